"""The generated default artwork."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from webradio.publishing.artwork import default_artwork


@pytest.mark.parametrize(
    "name",
    [
        "École Jules Ferry",
        "Groupe scolaire intercommunal des Hauts-de-Seine et du Val-de-Marne, école Anatole France",
        "Œuvre",
        "Anticonstitutionnellementanticonstitutionnellementanticonstitutionnellement",
        "",
        "学校",
    ],
)
def test_default_artwork_is_a_1400_px_rgb_png(name: str) -> None:
    """Apple's minimum square, RGB, PNG, whatever the name."""
    data = default_artwork(name)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        assert image.size == (1400, 1400)
        assert image.mode == "RGB"
        assert len(image.getcolors(maxcolors=1_000_000) or []) > 2  # not a blank square


def test_default_artwork_is_deterministic_and_depends_on_the_name() -> None:
    """The same name gives the same bytes (stable URL and ETag); another name another image."""
    assert default_artwork("École Jules Ferry") == default_artwork("École Jules Ferry")
    assert default_artwork("École Jules Ferry") != default_artwork("École Louis Pasteur")

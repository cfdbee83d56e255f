"""The generated default artwork."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from webradio.publishing.artwork import (
    ArtworkRefused,
    CheckedArtwork,
    check_artwork,
    default_artwork,
)


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


def _image(width: int, height: int, kind: str = "PNG", mode: str = "RGB") -> bytes:
    """An image of this size, format and colour mode."""
    buffer = io.BytesIO()
    Image.new(mode, (width, height), "white" if mode != "CMYK" else (0, 0, 0, 0)).save(
        buffer, format=kind
    )
    return buffer.getvalue()


def _declared(width: int, height: int, kind: str) -> bytes:
    """A small file whose header declares a huge image (a pixel bomb)."""
    if kind == "GIF":
        data = bytearray(_image(10, 10, "GIF"))
        data[6:10] = struct.pack("<HH", width, height)
        return bytes(data)
    data = bytearray(_image(10, 10, kind))
    if kind == "JPEG":  # the first start-of-frame's height and width
        at = data.index(b"\xff\xc0") + 5
        data[at : at + 4] = struct.pack(">HH", height, width)
        return bytes(data)
    header = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    at = data.index(b"IHDR")
    data[at : at + 17] = header
    data[at + 17 : at + 21] = struct.pack(">I", zlib.crc32(header))
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"pas une image", "lisible"),
        (lambda: _declared(30000, 30000, "PNG"), "entre 1400 et 3000"),
        (lambda: _declared(14000, 14000, "PNG"), "entre 1400 et 3000"),
        (lambda: _declared(65000, 65000, "JPEG"), "entre 1400 et 3000"),
        (lambda: _declared(65535, 65535, "GIF"), "entre 1400 et 3000"),
        (lambda: _image(1400, 1200), "carrée"),
        (lambda: _image(1000, 1000), "entre 1400 et 3000"),
        (lambda: _image(3001, 3001, "JPEG"), "entre 1400 et 3000"),
        (lambda: _image(1400, 1400, "GIF"), "PNG ou JPEG"),
        (lambda: _image(1400, 1400, "JPEG", "CMYK"), "RVB"),
    ],
)
def test_uploaded_artwork_is_refused_in_words(data: object, words: str) -> None:
    raw = data() if callable(data) else data
    assert isinstance(raw, bytes)
    with pytest.raises(ArtworkRefused) as refused:
        check_artwork(raw)
    assert words in str(refused.value)


def test_square_png_and_jpeg_between_the_bounds_are_accepted() -> None:
    assert check_artwork(_image(1400, 1400)) == CheckedArtwork("png", 1400)
    assert check_artwork(_image(3000, 3000, "JPEG")) == CheckedArtwork("jpg", 3000)

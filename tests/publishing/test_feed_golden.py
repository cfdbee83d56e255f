"""Golden files: each golden/NAME.json renders byte for byte to golden/NAME.xml."""

from __future__ import annotations

import os
import random
from dataclasses import replace
from datetime import timedelta, timezone

import pytest

from webradio.publishing.feed import render_feed

from .cases import CASE_FILES, GOLDEN_DIR, FeedCase

UPDATE = os.environ.get("WEBRADIO_UPDATE_GOLDEN") == "1"


def test_the_golden_set_covers_every_kind_of_feed() -> None:
    """Public (directories), public blocked, family, city and empty feeds; no orphaned output."""
    names = {path.stem for path in CASE_FILES}
    assert {"public", "public_blocked", "families", "city", "empty"} <= names
    assert {path.stem for path in GOLDEN_DIR.glob("*.xml")} <= names


def test_render_matches_golden_file(case: FeedCase) -> None:
    """Rendering the input gives exactly the committed bytes (WEBRADIO_UPDATE_GOLDEN=1 rewrites)."""
    expected_path = GOLDEN_DIR / f"{case.name}.xml"
    data = render_feed(case.channel, case.items)
    if UPDATE:
        expected_path.write_bytes(data)
        pytest.skip(f"rewrote {expected_path.name}")
    assert expected_path.exists(), "run with WEBRADIO_UPDATE_GOLDEN=1 to create it"
    assert data == expected_path.read_bytes()


def test_render_is_deterministic(case: FeedCase) -> None:
    """Same values twice, items shuffled, or dates in another zone: the same bytes."""
    first = render_feed(case.channel, case.items)
    assert render_feed(case.channel, case.items) == first

    shuffled = list(case.items)
    random.Random(4).shuffle(shuffled)
    assert render_feed(case.channel, list(reversed(shuffled))) == first

    paris_winter = timezone(timedelta(hours=1))
    moved = replace(case.channel, last_build=case.channel.last_build.astimezone(paris_winter))
    moved_items = [
        replace(item, published_at=item.published_at.astimezone(paris_winter))
        for item in case.items
    ]
    assert render_feed(moved, moved_items) == first

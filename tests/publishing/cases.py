"""Golden feed cases: JSON inputs in golden/, each next to its expected XML."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from webradio.publishing.feed import FeedChannel, FeedItem

GOLDEN_DIR = Path(__file__).parent / "golden"
CASE_FILES = sorted(GOLDEN_DIR.glob("*.json"))


@dataclass(frozen=True)
class FeedCase:
    """One input of the golden set: its name, channel and items (in the file's order)."""

    name: str
    channel: FeedChannel
    items: tuple[FeedItem, ...]


def _channel(raw: dict[str, Any]) -> FeedChannel:
    """A FeedChannel from JSON values (ISO dates, category as a list)."""
    values = dict(raw, last_build=datetime.fromisoformat(raw["last_build"]))
    if "category" in raw:
        values["category"] = tuple(raw["category"])
    return FeedChannel(**values)


def _item(raw: dict[str, Any]) -> FeedItem:
    """A FeedItem from JSON values."""
    until = raw.get("authorised_until")
    return FeedItem(
        **dict(
            raw,
            published_at=datetime.fromisoformat(raw["published_at"]),
            authorised_until=date.fromisoformat(until) if until else None,
        )
    )


def load_case(path: Path) -> FeedCase:
    """Read one golden input file."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return FeedCase(path.stem, _channel(raw["channel"]), tuple(_item(i) for i in raw["items"]))

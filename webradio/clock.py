"""Time in one place: stored as naive UTC, shown and judged in Europe/Paris."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def now_utc() -> datetime:
    """The current instant as a naive UTC datetime, as the database stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


def aware(moment: datetime) -> datetime:
    """A stored naive UTC datetime made timezone-aware."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def today_paris(moment: datetime | None = None) -> date:
    """The calendar day in Paris at `moment` (default: now); consent expires at Paris midnight."""
    return aware(moment or now_utc()).astimezone(PARIS).date()


def school_year_end(day: date) -> date:
    """31 August ending the school year that contains `day` (a year runs 1 Sept to 31 Aug)."""
    return date(day.year + 1 if day.month >= 9 else day.year, 8, 31)


def school_year_label(day: date) -> str:
    """The school year containing `day`, as "2026-2027"."""
    end = school_year_end(day)
    return f"{end.year - 1}-{end.year}"

"""The sweep: expiries seen, episodes withdrawn, raw takes deleted when their time is up.

Raw takes are deleted RAW_TAKE_RETENTION_DAYS (default 30) after every episode using them was
published or abandoned; the take row stays, with `deleted_at`, so history keeps its ids.
Re-editing never needs a raw take: it cuts the master by chapter bounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from webradio import audit, authorisations, outputs, publication, runtime, uploads
from webradio.clock import now_utc, today_paris
from webradio.extensions import db
from webradio.models import Episode, EpisodePart, EpisodeState, Take


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did: grants seen expired, episodes withdrawn, raw takes deleted."""

    expired_grant_ids: tuple[str, ...]
    withdrawn_episode_ids: tuple[str, ...]
    deleted_take_ids: tuple[str, ...]


def sweep(now: datetime | None = None, delete_takes: bool = True) -> SweepReport:
    """Run every consent (and, unless told not to, retention) duty due at `now` (naive UTC)."""
    now = now or now_utc()
    expired = authorisations.sweep_expiries(today_paris(now))
    published = list(db.session.scalars(select(Episode).filter_by(state=EpisodeState.PUBLISHED)))
    # Expiry changes no row, only the day: every school's outputs are rewritten.
    outputs.touch_all(db.session())
    publication.reconsider(published)
    withdrawn = tuple(e.id for e in published if e.state == EpisodeState.WITHDRAWN)
    deleted = delete_expired_takes(now) if delete_takes else []
    uploads.remove_expired()  # resumable uploads abandoned for a day
    return SweepReport(tuple(g.id for g in expired), withdrawn, tuple(deleted))


def retention_days() -> int:
    """How many days raw takes outlive their episode's publication or abandonment."""
    return int(current_app.config.get("RAW_TAKE_RETENTION_DAYS", 30))


def delete_expired_takes(now: datetime) -> list[str]:
    """Delete the raw audio of takes whose episodes were all published or abandoned long ago."""
    limit = now - timedelta(days=retention_days())
    deleted = []
    for take in db.session.scalars(select(Take).where(Take.deleted_at.is_(None))):
        done = _finished_at(take)
        if done is not None and done <= limit:
            delete_take_audio(take, now, reason="retention")
            deleted.append(take.id)
    db.session.commit()
    return deleted


def _finished_at(take: Take) -> datetime | None:
    """When the last episode using the take was published or abandoned; None if one is open."""
    episodes = db.session.scalars(
        select(Episode).join(EpisodePart).where(EpisodePart.take_id == take.id)
    ).all()
    moments = [e.published_at or e.abandoned_at for e in episodes]
    if not episodes or any(m is None for m in moments):
        return None
    return max(m for m in moments if m is not None)


def delete_take_audio(take: Take, now: datetime, reason: str) -> None:
    """Delete a take's raw audio (unless another live take shares its bytes); keep the row."""
    shared = db.session.scalars(
        select(Take.id).where(
            Take.storage_key == take.storage_key, Take.id != take.id, Take.deleted_at.is_(None)
        )
    ).first()
    if shared is None:
        runtime.storage().delete(take.storage_key)
    take.deleted_at = now
    audit.record("take.deleted", "take", take.id, take.school_id, None, reason=reason)

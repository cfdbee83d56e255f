"""The audit log: one append-only line per consent change and per publication, ids only.

A line holds ids, audiences and dates, never a name: the log may be shown to the city's data
protection officer without exposing a pupil.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import select

from webradio.extensions import db
from webradio.models import AuditEvent

Detail = str | int | bool | None | list[str] | date | datetime

KINDS = (
    "consent.granted",
    "consent.amended",
    "consent.withdrawn",
    "consent.expired",
    "episode.published",
    "episode.narrowed",
    "episode.widened",
    "episode.withdrawn",
    "episode.reedited",
    "episode.refused",
    "episode.deleted",
    "episode.correction_proposed",
    "episode.correction_approved",
    "episode.correction_refused",
    "pupil.exported",
    "pupil.erased",
    "take.deleted",
)


def record(
    kind: str,
    subject_type: str,
    subject_id: str,
    school_id: str | None,
    actor_id: str | None = None,
    **detail: Detail,
) -> AuditEvent:
    """Add one line to the session (the caller commits it with the change it describes)."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit kind {kind}")
    event = AuditEvent(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        school_id=school_id,
        actor_id=actor_id,
        detail_json=json.dumps({k: _plain(v) for k, v in detail.items()}, sort_keys=True),
    )
    db.session.add(event)
    return event


def _plain(value: Detail) -> str | int | bool | None | list[str]:
    """Dates as ISO strings, the rest as they are."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def events_about(subject_ids: list[str]) -> list[AuditEvent]:
    """Every line about these subjects, oldest first."""
    if not subject_ids:
        return []
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_id.in_(subject_ids))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def as_dict(event: AuditEvent) -> dict[str, object]:
    """One line as plain JSON values."""
    return {
        "at": event.at.isoformat(),
        "kind": event.kind,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "actor_id": event.actor_id,
        "detail": json.loads(event.detail_json),
    }

"""Domain verbs for takes: keep the upload untouched, then analyse it in a job."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any

from flask import current_app
from sqlalchemy import select

from webradio import runtime
from webradio.audio import peaks
from webradio.audio.analyse import Analysis, analyse, check_has_sound
from webradio.audio.presets import configured_max_take_s
from webradio.errors import N_, AudioError, NotFound
from webradio.extensions import db
from webradio.models import School, SchoolClass, Take, TakeOrigin


def ingest(
    school: School,
    stream: IO[bytes],
    *,
    school_class: SchoolClass | None = None,
    uploaded_by: str | None = None,
    label: str = "",
    origin: str = TakeOrigin.STAFF,
) -> Take:
    """Stream an upload to storage (never whole in memory), record it and queue its analysis;
    a file this class (or, without a class, this school) already sent gives back that take."""
    return ingest_once(
        school,
        stream,
        school_class=school_class,
        uploaded_by=uploaded_by,
        label=label,
        origin=origin,
    )[0]


def ingest_once(
    school: School,
    stream: IO[bytes],
    *,
    school_class: SchoolClass | None = None,
    uploaded_by: str | None = None,
    label: str = "",
    origin: str = TakeOrigin.STAFF,
) -> tuple[Take, bool]:
    """Like ingest(), and say whether the take was already there (same SHA-256 for the same
    school and class, raw audio still kept): a file sent twice is stored and analysed once."""
    stored = runtime.storage().put_stream(
        "takes", stream, int(current_app.config["MAX_CONTENT_LENGTH"])
    )
    existing = find_same_file(school, school_class, stored.sha256)
    if existing is not None:
        return existing, True
    take = Take(
        school_id=school.id,
        class_id=school_class.id if school_class else None,
        uploaded_by=uploaded_by,
        label=label.strip()[:200],
        origin=origin,
        sha256=stored.sha256,
        storage_key=stored.key,
        size_bytes=stored.size_bytes,
        state="uploaded",
    )
    db.session.add(take)
    db.session.commit()
    runtime.enqueue("analyse_take", take.id)
    db.session.refresh(take)
    return take, False


def find_same_file(school: School, school_class: SchoolClass | None, sha256: str) -> Take | None:
    """The take of this school and class holding a file with this SHA-256, if any (its raw
    audio not yet removed by retention)."""
    return db.session.scalars(
        select(Take)
        .filter_by(
            school_id=school.id,
            class_id=school_class.id if school_class else None,
            sha256=sha256,
            deleted_at=None,
        )
        .order_by(Take.created_at)
        .limit(1)
    ).first()


def get_take(take_id: str, school: School | None = None) -> Take:
    """The take with this id (within `school` when given), or NotFound."""
    take = db.session.get(Take, take_id)
    if take is None or (school is not None and take.school_id != school.id):
        raise NotFound(N_("Aucune prise avec l'identifiant « %(id)s »."), id=take_id)
    return take


def listed(school: School) -> Any:
    """The query of the school's takes that staff list and make episodes of: all but its
    jingles (takes too, kept for the jingles page: no analysis stored, no part of an episode)."""
    return Take.query.filter(Take.school_id == school.id, Take.origin != TakeOrigin.JINGLE)


def peaks_key(take_id: str) -> str:
    """Storage key of a take's envelope (waveform peaks and loudness), next to the take."""
    return f"peaks/{take_id}.json"


def analyse_take(take_id: str) -> Analysis:
    """Analyse the take once (safe to run twice); a bad file leaves it `failed` with a reason.

    The report goes to Take.analysis_json, the envelope to storage under peaks_key().
    """
    take = get_take(take_id)
    store = runtime.storage()
    if take.state == "ready" and take.analysis_json and store.exists(peaks_key(take.id)):
        envelope = peaks.read(store.local_path(peaks_key(take.id)))
        return Analysis.from_dict(json.loads(take.analysis_json), envelope)
    take.state = "analysing"
    take.failure_reason = None
    db.session.commit()
    path = store.local_path(take.storage_key)
    try:
        result = analyse(path, runtime.ffmpeg(), max_seconds=configured_max_take_s())
        check_has_sound(result)
    except AudioError as error:
        take.state = "failed"
        take.fail_with(error)
        db.session.commit()
        raise
    if result.envelope is not None:
        _store_peaks(take.id, result)
    take.analysis_json = json.dumps(result.to_dict())
    take.state = "ready"
    db.session.commit()
    return result


def _store_peaks(take_id: str, result: Analysis) -> None:
    """Write the envelope document and move it into storage."""
    assert result.envelope is not None
    store = runtime.storage()
    fd, name = tempfile.mkstemp(suffix=".json", dir=store.scratch_dir())
    tmp = Path(name)
    try:
        os.close(fd)
        peaks.write(tmp, result.envelope, result.duration_s)
        store.put_file(peaks_key(take_id), tmp)
    finally:
        tmp.unlink(missing_ok=True)

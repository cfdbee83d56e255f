"""Domain verbs for takes: keep the upload untouched, then analyse it in a job."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import IO

from flask import current_app

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
    """Stream an upload to storage (never whole in memory), record it and queue its analysis."""
    stored = runtime.storage().put_stream(
        "takes", stream, int(current_app.config["MAX_CONTENT_LENGTH"])
    )
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
    return take


def get_take(take_id: str, school: School | None = None) -> Take:
    """The take with this id (within `school` when given), or NotFound."""
    take = db.session.get(Take, take_id)
    if take is None or (school is not None and take.school_id != school.id):
        raise NotFound(N_("Aucune prise avec l'identifiant « %(id)s »."), id=take_id)
    return take


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
        take.failure_reason = str(error)
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

"""Sound tools for staff: take reports, waveform peaks, the school's jingles."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, flash, jsonify, render_template, request, send_file
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from webradio import episodes, people, runtime, takes
from webradio.audio.report import TakeReport, take_report
from webradio.errors import N_, NotFound, WebradioError
from webradio.models import Episode, School, Take, TakeState
from webradio.web import (
    back_to,
    current_school,
    failure_text,
    role_required,
    translate,
    wants_json,
)

bp = Blueprint("sound", __name__, url_prefix="/son")

STAFF = ("head", "teacher")
SAVED = N_("Jingle enregistré.")
REMOVED = N_("Jingle retiré : les prochains épisodes s'en passeront.")
NO_FILE = N_("Choisissez un fichier audio à envoyer.")


def reports_of(found: Iterable[Take]) -> dict[str, TakeReport]:
    """The sound report of each analysed take, by id (the `_take_report.html` fragment's data)."""
    return {t.id: take_report(t.analysis) for t in found if t.analysis}


def recent_takes(school: School, limit: int = 5) -> list[Take]:
    """The school's latest takes, newest first."""
    query = takes.listed(school).order_by(Take.created_at.desc())
    return list(query.limit(limit))


def render_report(episode: Episode) -> dict[str, Any] | None:
    """What the render measured on the master, decoded."""
    if not episode.render_report_json:
        return None
    report: dict[str, Any] = json.loads(episode.render_report_json)
    return report


def take_state_json(take: Take) -> dict[str, Any]:
    """A take's state for the pages that follow it, with its report once analysed."""
    data: dict[str, Any] = {
        "id": take.id,
        "state": take.state,
        "failure_reason": failure_text(take) if take.failure_reason else None,
        "label": take.label,
    }
    if take.state == TakeState.READY and take.analysis:
        report = take_report(take.analysis)
        data["report"] = {
            "good": report.good,
            "advice": [translate(line, **fields) for line, fields in report.advice],
            "figures": [
                {"label": translate(f.label), "value": f.value, "hint": translate(f.hint)}
                for f in report.figures
            ],
        }
    return data


def parts_from_form(
    form: MultiDict[str, str],
) -> tuple[list[str], dict[str, tuple[float | None, float | None]]]:
    """The chosen takes in the editor's order, and their in and out points (seconds).

    Fields: `take_ids` (checked), `order_<id>` (position), `in_s_<id>` and `out_s_<id>`
    (blank: the automatic trim of silences).
    """
    chosen = form.getlist("take_ids")
    order = {tid: _number(form.get(f"order_{tid}")) for tid in chosen}
    ranked = sorted(
        enumerate(chosen), key=lambda item: (order[item[1]] is None, order[item[1]] or 0, item[0])
    )
    take_ids = [tid for _, tid in ranked]
    points = {
        tid: (_number(form.get(f"in_s_{tid}")), _number(form.get(f"out_s_{tid}")))
        for tid in take_ids
    }
    return take_ids, points


def _number(raw: str | None) -> float | None:
    """A decimal typed in French or English ("12,5" or "12.5"); None when blank."""
    if raw is None or not raw.strip():
        return None
    try:
        return float(raw.strip().replace(",", "."))
    except ValueError:
        raise WebradioError(
            N_("« %(value)s » n'est pas un nombre de secondes."), value=raw
        ) from None


@bp.get("/prises/<take_id>/onde.json")
@role_required(*STAFF)
def take_peaks(take_id: str) -> ResponseReturnValue:
    """The take's waveform peaks (0.1 s buckets), for staff of its school only."""
    take = takes.get_take(take_id, current_school())
    key = takes.peaks_key(take.id)
    store = runtime.storage()
    if take.state != TakeState.READY or not store.exists(key):
        raise NotFound(N_("Le dessin du son de cette prise n'est pas encore prêt."))
    return send_file(
        store.local_path(key), mimetype="application/json", conditional=True, max_age=0
    )


# The first bytes of each container an upload may come in, and the type a browser plays it as.
# The take is stored under its hash with no extension: its format is read from its content.
AUDIO_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"OggS", "audio/ogg"),
    (0, b"\x1a\x45\xdf\xa3", "audio/webm"),
    (0, b"fLaC", "audio/flac"),
    (0, b"ID3", "audio/mpeg"),
    (4, b"ftyp", "audio/mp4"),
    (8, b"WAVE", "audio/wav"),
    (8, b"AIFF", "audio/aiff"),
)


def audio_type(head: bytes) -> str:
    """The media type of an audio file from its first 12 bytes (MPEG frames without ID3 too)."""
    for offset, magic, media_type in AUDIO_SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return media_type
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "audio/mpeg"
    return "application/octet-stream"


@bp.get("/prises/<take_id>/son")
@role_required(*STAFF)
def take_audio(take_id: str) -> ResponseReturnValue:
    """The take as uploaded, for the trim editor's player: byte ranges (206, 416), no cache.

    The editor never downloads a take whole: it draws the stored peaks and the browser's
    media element asks for the ranges it plays (`preload="metadata"`).
    """
    take = takes.get_take(take_id, current_school())
    store = runtime.storage()
    if take.deleted_at is not None or not store.exists(take.storage_key):
        raise NotFound(N_("Le son de cette prise n'est plus conservé."))
    path = store.local_path(take.storage_key)
    with path.open("rb") as handle:
        media_type = audio_type(handle.read(12))
    return send_file(path, mimetype=media_type, conditional=True, max_age=0)


@bp.get("/prises/<take_id>/etat")
@role_required(*STAFF)
def take_state(take_id: str) -> ResponseReturnValue:
    """A take's state and report as JSON."""
    return jsonify(take_state_json(takes.get_take(take_id, current_school())))


@bp.route("/jingles", methods=["GET", "POST"])
@role_required("head")
def jingles_page() -> ResponseReturnValue:
    """The school's intro and outro jingles: upload, generate a default one, or remove."""
    school = current_school()
    if request.method == "POST":
        try:
            _change_jingle(school)
        except WebradioError as refused:
            if wants_json():
                raise
            # Said on the jingles page itself, not on a page of its own with « retour ».
            flash(translate(refused.message, **refused.params), "error")
        return back_to("sound.jingles_page")
    pupils = people.pupils_on_roll(school)
    return render_template(
        "sound_jingles.html",
        school=school,
        kinds=episodes.JINGLE_KINDS,
        jingles={w: episodes.jingle_of(school, w) for w in episodes.JINGLE_KINDS},
        pupils=list(pupils),
    )


def _change_jingle(school: School) -> None:
    """Carry out the jingles form (remove, generate or upload), saying what was done."""
    which = request.form.get("which", "")
    action = request.form.get("action", "upload")
    if action == "remove":
        episodes.remove_jingle(school, which)
        flash(translate(REMOVED), "info")
    elif action == "generate":
        episodes.generate_jingle(school, which)
        flash(translate(SAVED), "info")
    else:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise WebradioError(NO_FILE)
        _, advice = episodes.store_jingle(
            school,
            which,
            upload.stream,
            speaker_ids=request.form.getlist("speaker_ids"),
            voice_free=request.form.get("voice_free") == "1",
        )
        flash(translate(SAVED), "info")
        if advice is not None:
            flash(translate(advice.message, **advice.params), "error")


@bp.get("/jingles/<which>.son")
@role_required(*STAFF)
def jingle_audio(which: str) -> ResponseReturnValue:
    """Listen to the school's jingle."""
    jingle = episodes.jingle_of(current_school(), which)
    if jingle is None or jingle.deleted_at is not None:
        raise NotFound(N_("Pas de jingle ici."))
    return send_file(runtime.storage().local_path(jingle.storage_key), max_age=0)

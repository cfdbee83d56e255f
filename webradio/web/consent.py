"""Parental authorisations for the school head: the grid, forms, history, episodes in words.

Every query is scoped to the signed-in person's school; only the head records authorisations
or sees a signed form. Teachers declare who speaks in each part and re-edit after a withdrawal.
"""

from __future__ import annotations

import dataclasses
import io
from datetime import date

from flask import Blueprint, flash, render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from webradio import (
    authorisations,
    clearance,
    episodes,
    people,
    pupils,
    reasons,
    reedit,
    runtime,
    voices,
)
from webradio.authorisations import Change, GrantRequest
from webradio.clock import school_year_end, today_paris
from webradio.consent import AUDIENCE_LABELS, AUDIENCES
from webradio.errors import N_, NotFound, WebradioError
from webradio.extensions import db
from webradio.ids import new_id
from webradio.models import ConsentGrant, Episode, Pupil, SchoolClass, User
from webradio.web import actor, back_to, current_school, role_required, translate

bp = Blueprint("consent", __name__)

HEAD = ("head",)
STAFF = ("head", "teacher")
SCAN_MAX_BYTES = 10 * 1024 * 1024
SCAN_TYPES = {b"%PDF": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png"}
SAVED = N_("Autorisations enregistrées : %(count)d modification(s).")
ERASED = N_("Élève effacé ; épisodes concernés : %(count)d (coupés ou supprimés, hors ligne).")
WITHDRAWN = N_("Retrait enregistré ; les épisodes concernés ont quitté les canaux non autorisés.")
SPEAKERS_SAVED = N_("Voix déclarées pour chaque partie.")


def episode_consent(episode: Episode) -> dict[str, object]:
    """What the consent part of the staff episode page shows, as values."""
    answer = clearance.of(episode)
    return {
        "explanations": reasons.explain(episode, answer),
        "blocking": reedit.blocking_pupils(episode),
        "school_pupils": _speaker_choices(episode),
        "withdrawal_reason": translate(
            reasons.WITHDRAWAL_REASONS.get(episode.withdrawn_reason or "consent", "")
        ),
    }


@bp.get("/autorisations/")
@role_required(*HEAD)
def index() -> ResponseReturnValue:
    """The school's classes, each with its grid and printable forms."""
    school = current_school()
    archives = _with_archives()
    every = list(
        db.session.scalars(
            select(SchoolClass).filter_by(school_id=school.id).order_by(SchoolClass.label)
        )
    )
    classes = [c for c in every if archives or c.archived_at is None]
    return render_template(
        "consent_index.html",
        school=school,
        classes=[(c, len(_pupils(c, archives))) for c in classes],
        archives=archives,
        archived_classes=sum(1 for c in every if c.archived_at is not None),
    )


@bp.route("/autorisations/classes/<class_id>", methods=["GET", "POST"])
@role_required(*HEAD)
def grid(class_id: str) -> ResponseReturnValue:
    """Pupils × audiences for one class; saving records every change in one go."""
    found = _class(class_id)
    archives = _with_archives()
    pupils = _pupils(found, archives)
    if request.method == "POST":
        changes = [c for c in (_row_change(p) for p in _posted_rows(found, pupils)) if c]
        # Scans are kept only once every row reads well, and dropped if the save is refused.
        changes, stored = _with_scans(changes)
        try:
            count = authorisations.save_many(changes, current_user.id)
        except WebradioError:
            kept = select(ConsentGrant.scan_key).where(ConsentGrant.scan_key.in_(stored))
            still_used = set(db.session.scalars(kept))  # the same file may be another's form
            for key in set(stored) - still_used:
                runtime.storage().delete(key)
            raise
        flash(translate(SAVED, count=count), "info")
        return back_to("consent.grid", class_id=found.id, **({"archives": 1} if archives else {}))
    today = today_paris()
    return render_template(
        "consent_grid.html",
        school_class=found,
        rows=[(p, clearance.grant_in_force(p, today)) for p in pupils],
        archives=archives,
        hidden=len(_pupils(found, True)) - len(pupils),
        audiences=AUDIENCES,
        labels=AUDIENCE_LABELS,
        year_end=school_year_end(today),
        today=today,
    )


@bp.get("/autorisations/classes/<class_id>/formulaires")
@role_required(*HEAD)
def forms(class_id: str) -> ResponseReturnValue:
    """Printable authorisation forms for a class, one page per pupil, pre-filled."""
    found = _class(class_id)
    return render_template(
        "consent_forms.html",
        school=current_school(),
        school_class=found,
        pupils=_pupils(found, _with_archives()),
        audiences=AUDIENCES,
        labels=AUDIENCE_LABELS,
        year_end=school_year_end(today_paris()),
    )


@bp.get("/autorisations/eleves/<pupil_id>")
@role_required(*HEAD)
def pupil(pupil_id: str) -> ResponseReturnValue:
    """One pupil's authorisations and their append-only history."""
    found = _pupil(pupil_id)
    grants = sorted(found.grants, key=lambda g: g.school_year, reverse=True)
    return render_template(
        "consent_pupil.html",
        pupil=found,
        grants=grants,
        history={g.id: authorisations.history(g) for g in grants},
        current=clearance.grant_in_force(found, today_paris()),
        episodes=clearance.episodes_of_pupil(found),
        audiences=AUDIENCES,
        labels=AUDIENCE_LABELS,
        actors=_actors({e.actor_id for g in grants for e in g.events if e.actor_id}),
        voice_takes=len(pupils.takes_of(found)),
        namesakes=[f"{p.first_name} ({p.school_class.label})" for p in pupils.namesakes(found)],
    )


@bp.get("/autorisations/eleves/<pupil_id>/export.zip")
@role_required(*HEAD)
def export(pupil_id: str) -> ResponseReturnValue:
    """Everything held about the pupil, as a zip for the family (never cached)."""
    found = _pupil(pupil_id)
    scratch = runtime.storage().scratch_dir() / f"export-{found.id}-{new_id()}.zip"
    try:  # the zip holds the child's voice: it never outlives the answer, even a failed one
        pupils.export(found, scratch)
        data = scratch.read_bytes()
    finally:
        scratch.unlink(missing_ok=True)
    response = send_file(
        io.BytesIO(data),
        mimetype="application/zip",
        as_attachment=True,
        # the head's download says whose data it is and when, never an id: « donnees-Inès-… »
        download_name=f"donnees-{found.first_name}-{today_paris().isoformat()}.zip".replace(
            " ", "-"
        ),
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/autorisations/eleves/<pupil_id>/effacement")
@role_required(*HEAD)
def erase(pupil_id: str) -> ResponseReturnValue:
    """Erase the pupil at the family's request, once the head ticked the confirmation."""
    found = _pupil(pupil_id)
    if request.form.get("confirm") != "1":
        raise WebradioError(N_("Cochez la case de confirmation pour effacer cet élève."))
    class_id = found.class_id
    touched = pupils.erase(found, current_user.id)
    flash(translate(ERASED, count=len(touched)), "info")
    return back_to("consent.grid", class_id=class_id)


def _actors(ids: set[str]) -> dict[str, str]:
    """Staff accounts by id, shown by their address (history lines say who recorded what)."""
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.email).where(User.id.in_(ids)))
    return {uid: email for uid, email in rows}


@bp.post("/autorisations/eleves/<pupil_id>/retrait")
@role_required(*HEAD)
def withdraw(pupil_id: str) -> ResponseReturnValue:
    """Record a withdrawal: total, or of the audiences ticked."""
    found = _pupil(pupil_id)
    chosen = frozenset(a for a in request.form.getlist("audiences") if a in AUDIENCES)
    total = request.form.get("total") == "1" or not chosen
    authorisations.withdraw(found, None if total else chosen, current_user.id)
    flash(translate(WITHDRAWN), "info")
    return back_to("consent.pupil", pupil_id=found.id)


@bp.get("/autorisations/eleves/<pupil_id>/formulaire-signe")
@role_required(*HEAD)
def scan(pupil_id: str) -> ResponseReturnValue:
    """The signed form's scan, for the head of the pupil's school only, never cached."""
    found = _pupil(pupil_id)
    grant = clearance.grant_in_force(found, today_paris())
    if grant is None or not grant.scan_key:
        raise NotFound(N_("Aucun formulaire numérisé pour cet élève."))
    path = runtime.storage().local_path(grant.scan_key)
    with path.open("rb") as handle:
        mimetype = _scan_type(handle.read(4)) or "application/octet-stream"
    response = send_file(path, mimetype=mimetype, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/autorisations/episodes/<episode_id>")
@role_required(*STAFF)
def episode(episode_id: str) -> ResponseReturnValue:
    """Per audience, in words: why the episode is or is not cleared, and who blocks it."""
    found = episodes.get_episode(episode_id, current_school())
    return render_template(
        "consent_episode.html",
        episode=found,
        explanations=reasons.explain(found, clearance.of(found)),
        labels=AUDIENCE_LABELS,
    )


@bp.post("/episodes/<episode_id>/voix")
@role_required(*STAFF)
def speakers(episode_id: str) -> ResponseReturnValue:
    """Declare which pupils speak in each part (the gate asks each of them)."""
    found = episodes.get_episode(episode_id, current_school())
    chosen = {part.id: request.form.getlist(f"part-{part.id}") for part in found.parts}
    voices.declare(found, chosen, actor())
    flash(translate(SPEAKERS_SAVED), "info")
    return back_to("staff.episode", episode_id=found.id)


@bp.route("/episodes/<episode_id>/remontage", methods=["GET", "POST"])
@role_required(*STAFF)
def reedit_episode(episode_id: str) -> ResponseReturnValue:
    """Cut the parts of the pupils chosen out of the master, then republish through the gate."""
    found = episodes.get_episode(episode_id, current_school())
    if request.method == "POST":
        chosen = set(request.form.getlist("pupil_ids"))
        cut = [p for p in clearance.voices(found) if p.id in chosen]
        result = reedit.reedit(found, cut, actor())
        flash(translate(result.message, **result.params), "info")
        return back_to("staff.episode", episode_id=found.id)
    return render_template(
        "reedit.html",
        episode=found,
        plan=reedit.plan(found, reedit.blocking_pupils(found)),
        blocking={p.id for p in reedit.blocking_pupils(found)},
        speakers=clearance.voices(found),
        jingle_kinds=episodes.JINGLE_KINDS,
    )


def _row_change(found: Pupil) -> Change | None:
    """Read one pupil's row of the grid: a grant, an amendment, a withdrawal, or nothing."""
    prefix = f"p-{found.id}-"
    form = request.form
    chosen = frozenset(a for a in form.getlist(prefix + "audiences") if a in AUDIENCES)
    current = clearance.grant_in_force(found, today_paris())
    active = current is not None and current.withdrawn_at is None
    if not chosen:
        return Change(found, None) if active and current and current.audiences else None
    guardians = form.get(prefix + "guardians", "")
    assent = form.get(prefix + "assent", "")
    req = GrantRequest(
        audiences=chosen,
        valid_until=_date(form.get(prefix + "until", "")),
        credit_first_name=form.get(prefix + "credit") == "1",
        signed_on=_date(form.get(prefix + "signed_on", "")),
        guardians_signed=int(guardians) if guardians in {"1", "2"} else None,
        pupil_assent={"1": True, "0": False}.get(assent),
    )
    _check_scan(found)
    if active and authorisations.unchanged(current, req) and not _scan_upload(found):
        return None
    if not active and (req.signed_on is None or req.guardians_signed is None):
        raise WebradioError(
            N_(
                "%(name)s : indiquez la date de signature et qui a signé (un ou deux responsables)."
            ),
            name=found.first_name,
        )
    return Change(found, req)


def _scan_upload(found: Pupil) -> FileStorage | None:
    """The scan sent for this pupil's row, if any."""
    upload = request.files.get(f"p-{found.id}-scan")
    return upload if upload is not None and upload.filename else None


def _check_scan(found: Pupil) -> None:
    """Refuse a scan that is not a PDF, JPEG or PNG (read from its first bytes)."""
    upload = _scan_upload(found)
    if upload is None:
        return
    head = upload.stream.read(4)
    upload.stream.seek(0)
    if _scan_type(head) is None:
        raise WebradioError(N_("Le formulaire numérisé doit être un PDF, un JPEG ou un PNG."))


def _with_scans(changes: list[Change]) -> tuple[list[Change], list[str]]:
    """Store each row's scan privately (content-addressed) and attach its key to the change."""
    school = current_school()
    result, stored = [], []
    for change in changes:
        upload = _scan_upload(change.pupil)
        if upload is None or change.request is None:
            result.append(change)
            continue
        key = (
            runtime.storage()
            .put_stream(f"consent-scans/{school.id}", upload.stream, SCAN_MAX_BYTES)
            .key
        )
        stored.append(key)
        result.append(Change(change.pupil, dataclasses.replace(change.request, scan_key=key)))
    return result, stored


def _scan_type(head: bytes) -> str | None:
    """The scan's type from its first bytes, never from its name."""
    return next((kind for magic, kind in SCAN_TYPES.items() if head.startswith(magic)), None)


def _date(text: str) -> date | None:
    """A YYYY-MM-DD form field, or None when empty; a readable refusal otherwise."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise WebradioError(
            N_("Date illisible : %(text)s (format AAAA-MM-JJ)."), text=text
        ) from None


def _class(class_id: str) -> SchoolClass:
    """A class of the signed-in head's school, or NotFound."""
    found = db.session.get(SchoolClass, class_id)
    if found is None or found.school_id != current_school().id:
        raise NotFound(N_("Classe introuvable."))
    return found


def _pupil(pupil_id: str) -> Pupil:
    """A pupil of the signed-in person's school, or NotFound."""
    found = db.session.get(Pupil, pupil_id)
    if found is None or found.school_id != current_school().id:
        raise NotFound(N_("Aucun élève avec l'identifiant « %(id)s »."), id=pupil_id)
    return found


def _pupils(school_class: SchoolClass, archived: bool = False) -> list[Pupil]:
    """The class's pupils on roll, by first name; with `archived`, also those archived (or
    the whole class, when it is archived). Erased pupils never."""
    found = db.session.scalars(
        select(Pupil)
        .filter_by(class_id=school_class.id, erased_at=None)
        .order_by(Pupil.first_name, Pupil.id)
    )
    on_roll = school_class.archived_at is None
    return [p for p in found if archived or (on_roll and p.archived_at is None)]


def _with_archives() -> bool:
    """Whether the head asked to see archived classes and pupils too (?archives=1)."""
    return request.args.get("archives") == "1"


def _posted_rows(school_class: SchoolClass, shown: list[Pupil]) -> list[Pupil]:
    """The pupils whose row the saved grid held: a pupil archived or restored since the page
    was drawn is left as recorded (an absent row would otherwise read as a withdrawal)."""
    posted = set(request.form.getlist("row"))
    if not posted:
        return shown
    return [p for p in _pupils(school_class, True) if p.id in posted]


def _speaker_choices(episode: Episode) -> list[Pupil]:
    """The pupils offered as voices of the episode's parts: those on roll, and any already
    declared on a part (archived since), so that saving never drops a declared voice."""
    offered = {p.id: p for p in people.pupils_on_roll(current_school())}
    for part in episode.parts:
        for pupil in part.take.speakers:
            if pupil.erased_at is None:
                offered.setdefault(pupil.id, pupil)
    return sorted(offered.values(), key=lambda p: (p.first_name, p.id))

"""Staff pages: the school's takes, classes and episodes, and publishing."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, flash, jsonify, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_login import current_user

from webradio import (
    accounts,
    clearance,
    episodes,
    mail,
    outputs,
    people,
    publication,
    reasons,
    runtime,
    schools,
    sharing,
    takes,
    urls,
)
from webradio.clock import today_paris
from webradio.consent import AUDIENCE_LABELS, AUDIENCES
from webradio.errors import N_, NotFound, WebradioError
from webradio.extensions import db
from webradio.models import Episode, Pupil, School, SchoolClass, Take, TakeState
from webradio.web import accounts as account_views
from webradio.web import (
    actor,
    back_to,
    correction,
    current_school,
    role_required,
    sound,
    take_json,
    translate,
    wants_json,
)
from webradio.web import consent as consent_views

bp = Blueprint("staff", __name__)

STAFF = ("head", "teacher")
NO_FILE = N_("Choisissez un fichier audio à envoyer.")
SUBMITTED = N_(
    "Épisode envoyé à la direction pour validation avant une diffusion au-delà de la classe."
)
PUBLISHED = N_("Épisode publié pour : %(audiences)s.")
REFUSED = N_("Demande refusée ; l'enseignant voit votre commentaire.")
UNPUBLISHED_DONE = N_("Épisode retiré de tous les canaux.")
DELETED = N_("Épisode supprimé, avec ses fichiers son.")
TEXT_SAVED = N_("Textes enregistrés ; toutes les diffusions sont à jour.")
TAKE_DELETED = N_("Prise supprimée, avec son fichier son.")


@bp.app_template_global()
def language_url(lang: str) -> str:
    """The page being read, in `lang`: the same address and query (a class's letters keep their
    tokens); after a form was posted, the page it was posted from (a GET there would be 405)."""
    if request.method == "GET":
        path, query = "", request.query_string.decode()
    else:
        came_from = urlsplit(request.referrer or "")
        if came_from.netloc == request.host and came_from.path:
            path, query = came_from.path, came_from.query
        else:
            path, query = (
                url_for("staff.dashboard" if current_user.is_authenticated else "auth.login"),
                "",
            )
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "lang"]
    return f"{path}?{urlencode([*kept, ('lang', lang)])}"


@bp.get("/")
@role_required(*STAFF, "city-admin")
def dashboard() -> ResponseReturnValue:
    """The school at a glance: classes and studio codes, takes, episodes."""
    if current_user.role == "city-admin":
        return back_to("staff.city")
    school = current_school()
    recent = sound.recent_takes(school)
    return render_template(
        "dashboard.html",
        school=school,
        classes=people.classes_on_roll(school),  # archived classes leave the studio list
        takes=takes.listed(school).order_by(Take.created_at.desc()).limit(50),
        episodes=Episode.query.filter_by(school_id=school.id).order_by(Episode.created_at.desc()),
        consent_alerts=reasons.alerts(school),
        to_approve=publication.awaiting_review(school.id) if current_user.role == "head" else [],
        corrections=publication.corrections_of(school.id, current_user.id),
        unauthorised=_unauthorised(school),
        recent=recent,
        reports=sound.reports_of(recent),
        labels=AUDIENCE_LABELS,
        files_waiting=_files_waiting(school),
    )


def _files_waiting(school: School) -> str | None:
    """Since when (local time) the school's public files wait to be rewritten, if they do."""
    for found, since in outputs.waiting_schools():
        if found.id == school.id:
            return format_datetime(since, "short")
    return None


def _unauthorised(school: School) -> dict[str, list[str]]:
    """For the teacher's eyes only: per class, the pupils whose voice may not be recorded for
    publication now (no valid authorisation)."""
    day = today_paris()
    found: dict[str, list[str]] = {}
    for pupil in people.pupils_on_roll(school):
        if clearance.valid_cause(pupil, day) is not None:
            found.setdefault(pupil.class_id, []).append(pupil.first_name)
    return found


@bp.get("/ville")
@role_required("city-admin")
def city() -> ResponseReturnValue:
    """The city IT team's view: every school, its public page and feed, and how many need
    its hand (each is on the accounts page, under « À surveiller »)."""
    listed = account_views.schools_in_reading_order()
    return render_template(
        "city.html", schools=listed, urls=urls, watching=account_views.watch_count(listed)
    )


STUDIO_KEPT = N_(
    "Le studio de %(label)s est déjà ouvert : le code %(code)s reste valable, rien ne change "
    "pour les tablettes."
)
STUDIO_OPENED = N_("Studio de %(label)s ouvert : code %(code)s.")
STUDIO_NEW_CODE = N_(
    "Nouveau code pour %(label)s : %(code)s. Les tablettes déjà entrées finissent leurs envois ; "
    "les autres doivent saisir le nouveau code."
)
STUDIO_CLOSED = N_("Studio de %(label)s fermé : plus aucune tablette ne peut envoyer.")


@bp.post("/classes/<class_id>/studio")
@role_required(*STAFF)
def open_studio(class_id: str) -> ResponseReturnValue:
    """Open the class's studio; when it is already open, keep (and show) the code in use."""
    school_class = _class_of_school(class_id)
    was_open = schools.studio_is_open(school_class)
    code = schools.open_studio(school_class)
    message = STUDIO_KEPT if was_open else STUDIO_OPENED
    flash(translate(message, label=school_class.label, code=code), "info")
    return back_to("staff.dashboard")


@bp.post("/classes/<class_id>/studio/nouveau-code")
@role_required(*STAFF)
def new_studio_code(class_id: str) -> ResponseReturnValue:
    """Give the class a new studio code, asked for explicitly (tablets already in keep theirs
    until their upload is done: see webradio.web.studio)."""
    school_class = _class_of_school(class_id)
    code = schools.new_studio_code(school_class)
    flash(translate(STUDIO_NEW_CODE, label=school_class.label, code=code), "info")
    return back_to("staff.dashboard")


@bp.post("/classes/<class_id>/studio/fermer")
@role_required(*STAFF)
def close_studio(class_id: str) -> ResponseReturnValue:
    """Revoke the class's studio code now (tablets' tickets too)."""
    school_class = _class_of_school(class_id)
    schools.close_studio(school_class)
    flash(translate(STUDIO_CLOSED, label=school_class.label), "info")
    return back_to("staff.dashboard")


def _class_of_school(class_id: str) -> SchoolClass:
    """A class of the signed-in person's school, or NotFound."""
    found = db.session.get(SchoolClass, class_id)
    if found is None or found.school_id != current_school().id:
        raise NotFound(N_("Classe introuvable."))
    return found


@bp.route("/prises/nouvelle", methods=["GET", "POST"])
@role_required(*STAFF)
def upload_take() -> ResponseReturnValue:
    """Upload a take (the page sends it with a progress bar; plain form post also works)."""
    school = current_school()
    if request.method == "GET":
        return render_template("upload.html", classes=people.classes_on_roll(school))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise WebradioError(NO_FILE)
    class_id = request.form.get("class_id") or None
    take = takes.ingest(
        school,
        upload.stream,
        school_class=_class_of_school(class_id) if class_id else None,
        uploaded_by=current_user.id,
        label=request.form.get("label", ""),
    )
    if wants_json():
        return take_json(take), 201
    return back_to("staff.dashboard")


@bp.get("/prises/<take_id>/etat")
@role_required(*STAFF)
def take_status(take_id: str) -> ResponseReturnValue:
    """A take's state as JSON (with its sound report once analysed), for the page to follow."""
    return jsonify(sound.take_state_json(takes.get_take(take_id, current_school())))


@bp.route("/episodes/nouveau", methods=["GET", "POST"])
@role_required(*STAFF)
def new_episode() -> ResponseReturnValue:
    """Build an episode from ready takes (ordered, trimmed), name who speaks, pick an audience."""
    school = current_school()
    ready = list(takes.listed(school).filter_by(state=TakeState.READY).order_by(Take.created_at))
    pupils = people.pupils_on_roll(school)  # never an archived pupil
    if request.method == "POST":
        take_ids, points = sound.parts_from_form(request.form)
        draft = episodes.EpisodeDraft(
            title=request.form.get("title", ""),
            description=request.form.get("description", ""),
            take_ids=take_ids,
            participant_ids=request.form.getlist("participant_ids"),
            no_pupil_voices=bool(request.form.get("no_pupil_voices")),
            audience=request.form.get("audience", "class"),
            points=points,
            noise_reduction=_noise_choice(),
        )
        try:
            episode = episodes.create(school, draft, created_by=current_user.id)
        except WebradioError as error:  # said above the form, with what was typed kept
            db.session.rollback()
            refused = translate(error.message, **error.params)
            return _new_episode_form(school, ready, pupils, refused), error.http_status
        episodes.queue_render(episode)
        return back_to("staff.episode", episode_id=episode.id)
    return _new_episode_form(school, ready, pupils)


def _new_episode_form(
    school: School, ready: list[Take], pupils: list[Pupil], refused: str | None = None
) -> str:
    """The new-episode form; after a refusal, with its reason and what the teacher typed."""
    return render_template(
        "episode_new.html",
        takes=ready,
        pupils=pupils,
        audiences=AUDIENCES,
        labels=AUDIENCE_LABELS,
        noisy={t.id for t in ready if episodes.noisy(t)},
        reduce_noise=bool(school.noise_reduction),
        refused=refused,
        form=request.form if refused else None,
    )


def _noise_choice() -> bool | None:
    """The new-episode form's noise reduction box; None when the form did not offer it (the
    school's setting then applies)."""
    if request.form.get("noise_reduction_offered") != "1":
        return None
    return request.form.get("noise_reduction") == "1"


@bp.get("/episodes/<episode_id>")
@role_required(*STAFF)
def episode(episode_id: str) -> ResponseReturnValue:
    """An episode for staff: state, preview, and the gate's answer per audience in words."""
    found = episodes.get_episode(episode_id, current_school())
    answer = clearance.of(found)
    known = reasons.first_names(found.school_id)
    return render_template(
        "episode.html",
        episode=found,
        cleared=answer.audiences,
        blocked=[
            (a, reasons.audience_reason(answer, a, known)) for a in answer.blocked_audiences()
        ],
        live=clearance.live(found, answer),
        labels=AUDIENCE_LABELS,
        consent=consent_views.episode_consent(found),
        rendered=sound.render_report(found),
        reports=sound.reports_of(part.take for part in found.parts),
        correction=correction.view(found, known),
    )


@bp.get("/episodes/<episode_id>/etat")
@role_required(*STAFF)
def episode_status(episode_id: str) -> ResponseReturnValue:
    """The episode's state as JSON, for the page to follow its render."""
    found = episodes.get_episode(episode_id, current_school())
    return jsonify(episodes.describe(found))


@bp.post("/episodes/<episode_id>/publier")
@role_required(*STAFF)
def publish(episode_id: str) -> ResponseReturnValue:
    """Publish: within the class a teacher may; beyond it the head approves."""
    found = episodes.get_episode(episode_id, current_school())
    cleared = publication.publish_as(found, actor())
    if cleared is None:
        flash(translate(SUBMITTED), "info")
        heads = accounts.head_addresses(found.school_id)
        _mailed(mail.request_to_approve(heads, found.title, _staff_url(found)), MAIL_TO_HEAD_FAILED)
        return back_to("staff.episode", episode_id=found.id)
    labels = ", ".join(translate(AUDIENCE_LABELS[a]) for a in cleared.audiences)
    flash(translate(PUBLISHED, audiences=labels), "info")
    return back_to("staff.episode", episode_id=found.id)


@bp.post("/episodes/<episode_id>/decision")
@role_required("head")
def review(episode_id: str) -> ResponseReturnValue:
    """The head approves or refuses a teacher's request, with a comment the teacher reads."""
    found = episodes.get_episode(episode_id, current_school())
    comment = request.form.get("comment", "")
    approved = request.form.get("decision") == "approve"
    if approved:
        cleared = publication.approve(found, actor(), comment)
        labels = ", ".join(translate(AUDIENCE_LABELS[a]) for a in cleared.audiences)
        flash(translate(PUBLISHED, audiences=labels), "info")
    else:
        publication.refuse(found, actor(), comment)
        flash(translate(REFUSED), "info")
    # After the commit: the teacher who made the episode is told (a dead relay changes nothing).
    teacher = accounts.address_of(found.created_by)
    told = mail.decision(teacher, found.title, approved, found.review_comment, _staff_url(found))
    _mailed(told, MAIL_TO_TEACHER_FAILED)
    return back_to("staff.dashboard")


MAIL_TO_TEACHER_FAILED = N_(
    "L'e-mail à l'enseignant n'a pas pu être envoyé : il verra la décision sur son tableau de bord."
)
MAIL_TO_HEAD_FAILED = N_(
    "L'e-mail à la direction n'a pas pu être envoyé : la demande l'attend sur son tableau de bord."
)


def _staff_url(found: Episode) -> str:
    """The episode's staff page at the public address (for an e-mail)."""
    return urls.base() + url_for("staff.episode", episode_id=found.id)


def _mailed(message: mail.Message, failed: str) -> None:
    """Send a notification after the action's commit; say so when the relay did not take it."""
    if mail.send(message) == mail.Delivery.FAILED:
        flash(translate(failed), "error")


@bp.post("/episodes/<episode_id>/depublier")
@role_required("head")
def unpublish(episode_id: str) -> ResponseReturnValue:
    """The head takes the episode off every channel (after ticking the confirmation)."""
    found = episodes.get_episode(episode_id, current_school())
    _confirmed()
    publication.unpublish(found, actor())
    flash(translate(UNPUBLISHED_DONE), "info")
    return back_to("staff.episode", episode_id=found.id)


@bp.post("/episodes/<episode_id>/textes")
@role_required(*STAFF)
def edit_text(episode_id: str) -> ResponseReturnValue:
    """Correct the title, description and chapter titles (beyond the class, the head's)."""
    found = episodes.get_episode(episode_id, current_school())
    episodes.edit_text(found, _text_edit(found), actor())
    flash(translate(TEXT_SAVED), "info")
    return back_to("staff.episode", episode_id=found.id)


def _text_edit(found: Episode) -> episodes.TextEdit:
    """The words typed in the episode page's correction form."""
    return episodes.TextEdit(
        title=request.form.get("title", ""),
        description=request.form.get("description", ""),
        chapter_titles={
            p.id: request.form[f"chapter-{p.id}"]
            for p in found.parts
            if f"chapter-{p.id}" in request.form
        },
    )


@bp.post("/episodes/<episode_id>/textes/proposer")
@role_required("teacher")
def propose_text(episode_id: str) -> ResponseReturnValue:
    """A teacher's correction of an episode published beyond the class: kept for the head
    (a second one replaces it), who is told; the published words stay meanwhile."""
    found = episodes.get_episode(episode_id, current_school())
    episodes.propose_text(found, _text_edit(found), actor())
    return _correction_sent(found)


@bp.post("/episodes/<episode_id>/transcription/proposer")
@role_required("teacher")
def propose_transcript(episode_id: str) -> ResponseReturnValue:
    """A teacher's transcript for an episode published beyond the class: it joins the
    correction waiting for the head, who is told; the public transcript stays meanwhile."""
    found = episodes.get_episode(episode_id, current_school())
    sharing.propose_transcript(found, actor(), request.form.get("transcript", ""))
    return _correction_sent(found)


def _correction_sent(found: Episode) -> ResponseReturnValue:
    """Say the correction waits for the head, tell the heads, back to the episode."""
    flash(translate(CORRECTION_SENT), "info")
    heads = accounts.head_addresses(found.school_id)
    _mailed(mail.correction_to_approve(heads, found.title, _staff_url(found)), MAIL_TO_HEAD_FAILED)
    return back_to("staff.episode", episode_id=found.id)


@bp.post("/episodes/<episode_id>/textes/decision")
@role_required("head")
def review_text(episode_id: str) -> ResponseReturnValue:
    """The head approves a teacher's correction (applied through the gate at once) or refuses
    it with a comment the teacher reads."""
    found = episodes.get_episode(episode_id, current_school())
    comment = request.form.get("comment", "")
    approved = request.form.get("decision") == "approve"
    if approved:
        episodes.approve_correction(found, actor(), comment)
        flash(translate(CORRECTION_APPROVED), "info")
    else:
        publication.refuse_words(found, actor(), comment)
        flash(translate(REFUSED), "info")
    teacher = accounts.address_of(found.pending_edit_by)
    told = mail.correction_decision(
        teacher, found.title, approved, found.edit_review_comment, _staff_url(found)
    )
    _mailed(told, MAIL_TO_TEACHER_FAILED)
    return back_to("staff.dashboard")


CORRECTION_SENT = N_(
    "Correction envoyée à la direction : l'épisode garde ses textes actuels jusqu'à sa validation."
)
CORRECTION_APPROVED = N_(
    "Correction validée : les nouveaux textes sont en ligne, là où ils peuvent l'être."
)


@bp.post("/prises/<take_id>/supprimer")
@role_required(*STAFF)
def delete_take(take_id: str) -> ResponseReturnValue:
    """Delete a take no episode uses, with its sound (after ticking the confirmation)."""
    found = takes.get_take(take_id, current_school())
    _confirmed()
    episodes.delete_take(found, actor())
    flash(translate(TAKE_DELETED), "info")
    return back_to("staff.dashboard")


@bp.post("/episodes/<episode_id>/supprimer")
@role_required(*STAFF)
def delete(episode_id: str) -> ResponseReturnValue:
    """Delete the episode and its sound files (after ticking the confirmation); beyond the
    class, the head's decision."""
    found = episodes.get_episode(episode_id, current_school())
    _confirmed()
    publication.delete(found, actor())
    flash(translate(DELETED), "info")
    return back_to("staff.dashboard")


def _confirmed() -> None:
    """Refuse a destructive action whose confirmation box was not ticked."""
    if request.form.get("confirm") != "1":
        raise WebradioError(N_("Cochez la case de confirmation pour continuer."))


@bp.post("/episodes/<episode_id>/rendu")
@role_required(*STAFF)
def rerender(episode_id: str) -> ResponseReturnValue:
    """Render again (the takes are kept untouched); beyond the class, the head's decision."""
    found = episodes.get_episode(episode_id, current_school())
    episodes.queue_render(found, actor())
    return back_to("staff.episode", episode_id=found.id)


@bp.get("/episodes/<episode_id>/ecoute.mp3")
@role_required(*STAFF)
def preview(episode_id: str) -> ResponseReturnValue:
    """The master for staff of the school, before or after publication (byte ranges work)."""
    found = episodes.get_episode(episode_id, current_school())
    if not found.media_key:
        raise NotFound(N_("Le son de cet épisode n'est pas encore prêt."))
    path = runtime.storage().local_path(found.media_key)
    return send_file(path, mimetype="audio/mpeg", conditional=True, max_age=0)

"""The head's people page: classes and their pupils, changed in the browser; class lists imported
from the school's administration tools with a preview (first names only, never a surname)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext

from webradio import people, roster, schools
from webradio.errors import N_, WebradioError
from webradio.extensions import db
from webradio.models import School
from webradio.web import back_to, current_school, role_required, translate

bp = Blueprint("people", __name__)

ROSTER_MAX_BYTES = 1_000_000
# The class select's value meaning "the class written on each line of the file".
FROM_FILE = ""
CLASS_CREATED = N_("Classe « %(label)s » créée.")
CLASS_RENAMED = N_("Classe renommée : « %(label)s ».")
PUPIL_ADDED = N_("%(name)s fait maintenant partie de la classe.")
PUPIL_RENAMED = N_("Prénom corrigé : %(name)s.")
PUPIL_MOVED = N_("%(name)s est maintenant en %(label)s.")
NO_FILE = N_("Choisissez le fichier CSV de la liste de classe.")
BROKEN_FORM = N_("La liste envoyée est incomplète : importez le fichier à nouveau.")
CHOOSE_CLASS = N_(
    "Ce fichier n'a pas de colonne « Classe » ni « Division » : choisissez la classe des "
    "élèves dans la liste, puis envoyez-le de nouveau."
)
TOO_BIG = N_("Ce fichier est trop gros pour une liste de classe (au plus 1 Mo).")
PUPIL_ARCHIVED = N_(
    "%(name)s passe aux archives : ses autorisations et ses épisodes ne changent pas."
)
PUPIL_RESTORED = N_("%(name)s est de retour dans sa classe.")
CLASS_RESTORED = N_("Classe « %(label)s » restaurée.")
NOT_CONFIRMED = N_("Cochez la case de confirmation pour archiver ces classes.")


@dataclass(frozen=True)
class Refusal:
    """A refused change, shown on the page: which form (`form`, and the class or pupil it is
    about), what the head typed (kept in the field, marked invalid) and why."""

    form: str
    target: str
    value: str
    message: str


@bp.route("/ecole/eleves")
@role_required("head")
def people_page() -> ResponseReturnValue:
    """The school's classes, each with its pupils on record (erased pupils never shown);
    `?archives=1` shows the archived classes and pupils too."""
    return _page(current_school())


def _page(school: School, refused: Refusal | None = None) -> str:
    """The page, with a refusal shown in the form it came from."""
    show_archives = request.args.get("archives") == "1"
    classes = people.list_classes(school)
    by_class: dict[str, list[people.PupilRow]] = {c.id: [] for c in classes}
    for pupil in people.list_pupils(school):
        by_class.setdefault(pupil.class_id, []).append(pupil)
    shown = {""} | set(by_class) | {p.id for rows in by_class.values() for p in rows}
    return render_template(
        "school_people.html",
        school=school,
        classes=classes,
        pupils=by_class,
        refused=refused,
        # A refusal is said next to its field; one about nothing on the page, at the top.
        said_on_top=refused is not None and refused.target not in shown,
        show_archives=show_archives,
        archived_classes=people.list_classes(school, archived=True) if show_archives else [],
        archived_pupils=people.list_pupils(school, archived=True) if show_archives else [],
    )


def _act(
    verb: Callable[[School], str], form: str, field: str, target: str = ""
) -> ResponseReturnValue:
    """Run a change for the head's school and say what was done; or show the page again with
    why it was refused and what was typed (`field`) kept in the form."""
    school = current_school()
    try:
        flash(verb(school), "info")
    except WebradioError as error:
        db.session.rollback()
        message = translate(error.message, **error.params)
        refused = Refusal(form, target, request.form.get(field, ""), message)
        return _page(school, refused), error.http_status
    kept = {"archives": "1"} if request.args.get("archives") == "1" else {}
    return back_to("people.people_page", **kept)


@bp.post("/ecole/eleves/classes")
@role_required("head")
def create_class() -> ResponseReturnValue:
    """Create a class."""

    def verb(school: School) -> str:
        created = people.create_class(school, request.form.get("label", ""))
        return translate(CLASS_CREATED, label=created.label)

    return _act(verb, "new-class", "label")


@bp.post("/ecole/eleves/classes/<class_id>/nom")
@role_required("head")
def rename_class(class_id: str) -> ResponseReturnValue:
    """Rename a class."""

    def verb(school: School) -> str:
        renamed = people.rename_class(school, class_id, request.form.get("label", ""))
        return translate(CLASS_RENAMED, label=renamed.label)

    return _act(verb, "class-label", "label", class_id)


@bp.post("/ecole/eleves/classes/<class_id>/eleves")
@role_required("head")
def add_pupil(class_id: str) -> ResponseReturnValue:
    """Add a pupil to a class, by first name only."""

    def verb(school: School) -> str:
        label = people.class_on_roll(school, class_id).label
        pupil = schools.add_pupil(school, label, request.form.get("first_name", ""))
        return translate(PUPIL_ADDED, name=pupil.first_name)

    return _act(verb, "add", "first_name", class_id)


@bp.post("/ecole/eleves/<pupil_id>/prenom")
@role_required("head")
def rename_pupil(pupil_id: str) -> ResponseReturnValue:
    """Correct a pupil's first name."""

    def verb(school: School) -> str:
        pupil = people.rename_pupil(school, pupil_id, request.form.get("first_name", ""))
        return translate(PUPIL_RENAMED, name=pupil.first_name)

    return _act(verb, "name", "first_name", pupil_id)


@bp.post("/ecole/eleves/<pupil_id>/classe")
@role_required("head")
def move_pupil(pupil_id: str) -> ResponseReturnValue:
    """Move a pupil to another class of the school."""

    def verb(school: School) -> str:
        pupil = people.move_pupil(school, pupil_id, request.form.get("class_id", ""))
        return translate(PUPIL_MOVED, name=pupil.first_name, label=pupil.school_class.label)

    return _act(verb, "move", "class_id", pupil_id)


@bp.post("/ecole/eleves/import")
@role_required("head")
def preview_roster() -> ResponseReturnValue:
    """Read an uploaded class list and show, line by line, what would be imported or why not.

    Nothing is stored: the file is read in memory and only first names and classes go on.
    """
    school = current_school()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _refused(NO_FILE)
    data = upload.stream.read(ROSTER_MAX_BYTES + 1)
    if len(data) > ROSTER_MAX_BYTES:
        return _refused(TOO_BIG)
    chosen = request.form.get("class_id", FROM_FILE)
    try:
        label = people.school_class_of(school, chosen).label if chosen != FROM_FILE else None
        parsed = roster.parse_roster(data, class_label=label)
    except WebradioError as error:
        return _refused(error.message, **error.params)
    if label is None and not parsed.has_class_column:
        return _refused(CHOOSE_CLASS)
    labels = {c.label for c in people.list_classes(school)}
    lines = [(r.first_name, r.class_label) for r in parsed.rows]
    return render_template(
        "school_roster_preview.html",
        school=school,
        roster=parsed,
        known=people.already_on_record(school, lines),
        new_classes=sorted({r.class_label for r in parsed.rows if r.valid} - labels),
    )


def _refused(message: str, **params: object) -> ResponseReturnValue:
    """Back to the page with the reason a file could not be read."""
    flash(translate(message, **params), "error")
    return back_to("people.people_page")


@bp.post("/ecole/eleves/import/confirmer")
@role_required("head")
def import_roster() -> ResponseReturnValue:
    """Import the previewed lines in one transaction (checked again: the form is not trusted)."""
    first_names = request.form.getlist("first_name")
    labels = request.form.getlist("class_label")
    skip = request.form.get("skip_refused") == "1"

    def verb(school: School) -> str:
        if len(first_names) != len(labels):
            raise WebradioError(BROKEN_FORM)
        lines = list(zip(first_names, labels, strict=True))
        result = people.import_roster(school, lines, skip_refused=skip)
        added = len(result.added)
        said = [
            ngettext("%(num)d élève importé.", "%(num)d élèves importés.", added)
            if added
            else gettext("Aucun nouvel élève.")
        ]
        if result.already:
            said.append(
                ngettext(
                    "%(num)d déjà inscrit dans sa classe, laissé tel quel.",
                    "%(num)d déjà inscrits dans leur classe, laissés tels quels.",
                    result.already,
                )
            )
        if result.left_out:
            said.append(
                ngettext(
                    "%(num)d ligne laissée de côté : ajoutez cet élève à la main dans sa classe.",
                    "%(num)d lignes laissées de côté : ajoutez ces élèves à la main dans leur"
                    " classe.",
                    result.left_out,
                )
            )
        return " ".join(said)

    try:
        flash(verb(current_school()), "info")
    except WebradioError as error:
        db.session.rollback()
        flash(translate(error.message, **error.params), "error")
    return back_to("people.people_page")


@bp.post("/ecole/eleves/<pupil_id>/archiver")
@role_required("head")
def archive_pupil(pupil_id: str) -> ResponseReturnValue:
    """Archive a pupil who left (hidden from lists and pickers, nothing erased)."""

    def verb(school: School) -> str:
        return translate(PUPIL_ARCHIVED, name=people.archive_pupil(school, pupil_id).first_name)

    return _act(verb, "archive", "", pupil_id)


@bp.post("/ecole/eleves/<pupil_id>/restaurer")
@role_required("head")
def restore_pupil(pupil_id: str) -> ResponseReturnValue:
    """Bring an archived pupil back."""

    def verb(school: School) -> str:
        return translate(PUPIL_RESTORED, name=people.restore_pupil(school, pupil_id).first_name)

    return _act(verb, "restore", "", pupil_id)


@bp.post("/ecole/eleves/nouvelle-annee")
@role_required("head")
def new_year() -> ResponseReturnValue:
    """« Nouvelle année »: archive the ticked classes at once, after the confirmation box."""

    def verb(school: School) -> str:
        if request.form.get("confirm") != "1":
            raise WebradioError(NOT_CONFIRMED)
        done = people.archive_classes(school, request.form.getlist("class_id"))
        labels = ", ".join(f"« {c.label} »" for c in done)
        return ngettext(
            "%(num)d classe archivée : %(labels)s. Son nom est libre.",
            "%(num)d classes archivées : %(labels)s. Leurs noms sont libres.",
            len(done),
            labels=labels,
        )

    return _act(verb, "new-year", "")


@bp.post("/ecole/eleves/classes/<class_id>/restaurer")
@role_required("head")
def restore_class(class_id: str) -> ResponseReturnValue:
    """Bring an archived class back, with its pupils."""

    def verb(school: School) -> str:
        return translate(CLASS_RESTORED, label=people.restore_class(school, class_id).label)

    return _act(verb, "restore-class", "", class_id)

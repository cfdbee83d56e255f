"""The class studio: a tablet opened with a short code uploads takes into one class, no more."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, session
from flask.typing import ResponseReturnValue

from webradio import schools, takes
from webradio.errors import N_, NotFound, WebradioError
from webradio.extensions import limiter, remote_address
from webradio.models import SchoolClass, Take, TakeOrigin
from webradio.web import back_to, take_json, wants_json
from webradio.web.sound import reports_of, take_state_json

bp = Blueprint("studio", __name__, url_prefix="/studio")

NO_FILE = N_("Choisissez un fichier audio à envoyer.")
LIVE_CLASS = "webradio.studio_class"


def _live_class() -> SchoolClass | None:
    """The class the URL's code opens now; None for a wrong, expired or revoked code."""
    # Asked by the limits before the view runs, then by the view: once per request.
    if LIVE_CLASS not in request.environ:
        code = str((request.view_args or {}).get("code", ""))
        try:
            request.environ[LIVE_CLASS] = schools.class_for_studio_code(code)
        except NotFound:
            request.environ[LIVE_CLASS] = None
    found: SchoolClass | None = request.environ[LIVE_CLASS]
    return found


def _studio_class(code: str) -> SchoolClass:
    """The class this code opens, or the one 404 for wrong, expired and revoked codes alike."""
    found = _live_class()
    return found if found is not None else schools.class_for_studio_code(code)


def _right_code() -> bool:
    """True when the URL holds a live studio code (the class is at work, not a guesser)."""
    return _live_class() is not None


def _wrong_code() -> bool:
    """True when the URL holds no live studio code."""
    return _live_class() is None


def _class_key() -> str:
    """Right codes are limited per class: 24 tablets share one school address."""
    found = _live_class()
    return f"classe:{found.id if found else ''}"


# Guessing codes: wrong codes count per address, on every studio URL together; a right code
# never counts there, so a classroom is not shut out by a mistyped code next door.
guesses = limiter.shared_limit(
    "20/minute;100/hour", scope="studio-guesses", key_func=remote_address, exempt_when=_right_code
)


# No limit here: this form only redirects to the code's page, where guesses are counted.
@bp.route("/", methods=["GET", "POST"])
def enter() -> ResponseReturnValue:
    """Ask for the class code written on the board."""
    if request.method == "POST":
        code = request.form.get("code", "")
        return back_to("studio.room", code=code.strip().lower())
    return render_template("studio_enter.html")


@bp.get("/<code>")
@guesses
@limiter.limit("600/minute", key_func=_class_key, exempt_when=_wrong_code)
def room(code: str) -> ResponseReturnValue:
    """The studio of the class this code opens: upload, and the class's recent takes."""
    school_class = _studio_class(code)
    session["studio_class"] = school_class.id
    # Nothing here says anything about any family's choice: the whole class sees this page.
    recent = list(
        Take.query.filter_by(class_id=school_class.id).order_by(Take.created_at.desc()).limit(10)
    )
    return render_template(
        "studio.html",
        school_class=school_class,
        code=code,
        takes=recent,
        reports=reports_of(recent),
    )


@bp.post("/<code>/prises")
@guesses
@limiter.limit("300/minute", key_func=_class_key, exempt_when=_wrong_code)
def upload(code: str) -> ResponseReturnValue:
    """Receive one take from the studio (streamed to disk) into the code's class."""
    school_class: SchoolClass = _studio_class(code)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise WebradioError(NO_FILE)
    take = takes.ingest(
        school_class.school,
        upload.stream,
        school_class=school_class,
        label=request.form.get("label", ""),
        origin=TakeOrigin.STUDIO,
    )
    if wants_json():
        return take_json(take), 201
    return back_to("studio.room", code=code)


@bp.get("/<code>/prises/<take_id>/etat")
@guesses
@limiter.limit("3000/minute", key_func=_class_key, exempt_when=_wrong_code)
def take_status(code: str, take_id: str) -> ResponseReturnValue:
    """A take of this class, as JSON with its sound report, so the tablet can follow it."""
    school_class = _studio_class(code)
    take = takes.get_take(take_id, school_class.school)
    if take.class_id != school_class.id:
        raise NotFound(N_("Aucune prise avec l'identifiant « %(id)s »."), id=take_id)
    return jsonify(take_state_json(take))

"""The class studio: a tablet opened with a short code uploads takes into one class, no more."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, session
from flask.typing import ResponseReturnValue

from webradio import schools, takes
from webradio.errors import N_, NotFound, WebradioError
from webradio.extensions import limiter
from webradio.models import SchoolClass, Take, TakeOrigin
from webradio.web import back_to, take_json, wants_json
from webradio.web.sound import take_state_json

bp = Blueprint("studio", __name__, url_prefix="/studio")

NO_FILE = N_("Choisissez un fichier audio à envoyer.")


@bp.route("/", methods=["GET", "POST"])
@limiter.limit("20/minute", methods=["POST"])
def enter() -> ResponseReturnValue:
    """Ask for the class code written on the board."""
    if request.method == "POST":
        code = request.form.get("code", "")
        return back_to("studio.room", code=code.strip().lower())
    return render_template("studio_enter.html")


@bp.get("/<code>")
@limiter.limit("20/minute")
def room(code: str) -> ResponseReturnValue:
    """The studio of the class this code opens: upload, and the class's recent takes."""
    school_class = schools.class_for_studio_code(code)
    session["studio_class"] = school_class.id
    # Nothing here says anything about any family's choice: the whole class sees this page.
    recent = (
        Take.query.filter_by(class_id=school_class.id).order_by(Take.created_at.desc()).limit(10)
    )
    return render_template("studio.html", school_class=school_class, code=code, takes=recent)


@bp.post("/<code>/prises")
def upload(code: str) -> ResponseReturnValue:
    """Receive one take from the studio (streamed to disk) into the code's class."""
    school_class: SchoolClass = schools.class_for_studio_code(code)
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
@limiter.limit("120/minute")
def take_status(code: str, take_id: str) -> ResponseReturnValue:
    """A take of this class, as JSON with its sound report, so the tablet can follow it."""
    school_class = schools.class_for_studio_code(code)
    take = takes.get_take(take_id, school_class.school)
    if take.class_id != school_class.id:
        raise NotFound(N_("Aucune prise avec l'identifiant « %(id)s »."), id=take_id)
    return jsonify(take_state_json(take))

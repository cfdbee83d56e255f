"""The class studio: a tablet opened with a short code uploads takes into one class, no more.

A tablet that opened the studio holds a *ticket*: the class, the code it entered with and the
end of the studio it entered, signed by the server. The ticket lasts as long as that studio,
and a day more (DELIVERY_GRACE) for what the tablet already holds: a page left open all night
still delivers the takes recorded before the code expired. A teacher who gives the class a new
code does not pull the rug from under a pupil recording: the ticket keeps the old code working
for that tablet. Closing the studio stops every ticket at once; the page then says so, keeps
the takes, and sends them once the pupil types the new code. Uploads rely on the code and the
ticket, never on the session, so no session or CSRF token can expire under an upload.

Past its studio's end a ticket delivers only what the page recorded before that end. The page
stamps each take with the moment its recording began, counted on the server's clock (the time
the page was served plus the page's monotonic clock since), never on the tablet's own clock,
which may be wrong; a monotonic clock can only lag, so a take recorded before the end is never
refused. A take stamped after the end stays on the tablet until the pupil types the new code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, Response, current_app, jsonify, render_template, request, session
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeSerializer

from webradio import schools, takes
from webradio.clock import aware, now_utc
from webradio.errors import N_, NotFound, WebradioError
from webradio.extensions import csrf, db, limiter, remote_address
from webradio.models import SchoolClass, Take, TakeOrigin
from webradio.web import back_to, translate, wants_json
from webradio.web.sound import reports_of, take_state_json

bp = Blueprint("studio", __name__, url_prefix="/studio")

NO_FILE = N_("Choisissez un fichier audio à envoyer.")
ALREADY_SENT = N_("Ce fichier a déjà été envoyé : c’est la même prise.")
LIVE_CLASS = "webradio.studio_class"
BY_TICKET = "webradio.studio_ticket"
TICKET_HEADER = "Webradio-Studio-Ticket"
_TICKET_SALT = "webradio.studio-ticket"
DELIVERY_GRACE = timedelta(hours=24)
CLOSED = N_(
    "Le studio a été fermé par l’enseignant ou son code a expiré. Ce qui est gardé sur la "
    "tablette y reste : demandez le nouveau code à l’enseignant et tapez-le, tout partira ensuite."
)


RECORDED_AFTER_END = N_(
    "Cet enregistrement a été fait après la fin du studio : il reste sur la tablette. Demandez "
    "le nouveau code à l’enseignant et tapez-le, il partira ensuite."
)


class StudioClosed(NotFound):
    """A tablet's genuine ticket no longer opens its studio (closed, or past its delivery
    grace): the page keeps its takes and asks for the new code."""


class RecordedAfterEnd(StudioClosed):
    """A take the page began recording after its studio's end, delivered with the old ticket."""

    http_status = 403


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt=_TICKET_SALT)


def issue_ticket(school_class: SchoolClass, code: str) -> str:
    """The ticket of a tablet entering with `code`: it lasts as long as this studio (and its
    delivery grace)."""
    ends = school_class.studio_expires_at or now_utc()
    return str(_serializer().dumps({"c": school_class.id, "k": code, "e": ends.isoformat()}))


@dataclass(frozen=True)
class Ticket:
    """What a tablet's ticket says: the class, the code it entered with, its studio's end."""

    class_id: str
    code: str
    ends: datetime


def read_ticket(ticket: str) -> Ticket | None:
    """The ticket's content, or None when it is forged or malformed."""
    try:
        data = _serializer().loads(ticket)
        return Ticket(str(data["c"]), str(data["k"]), datetime.fromisoformat(str(data["e"])))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def class_for_ticket(ticket: str, code: str) -> SchoolClass | None:
    """The class a tablet's ticket still opens with `code` (the code it entered with), or None:
    forged, for another code, more than DELIVERY_GRACE past its studio's end, or the studio
    closed since (even if opened again)."""
    found = read_ticket(ticket)
    if found is None or found.code != code.strip().lower():
        return None
    school_class = db.session.get(SchoolClass, found.class_id)
    # The studio's end names one opening (a new code keeps it): closed (None), or closed and
    # opened again (another end), the ticket is dead.
    if school_class is None or school_class.studio_expires_at != found.ends:
        return None
    return school_class if now_utc() <= found.ends + DELIVERY_GRACE else None


def _presented_ticket() -> str:
    """The ticket the tablet sent: in its header (uploads), or in the form (the page's posts)."""
    return request.headers.get(TICKET_HEADER) or request.form.get("ticket", "")


def _live_class() -> SchoolClass | None:
    """The class the URL's code opens now (or, for a tablet that entered with an older code, its
    ticket); None for a wrong, expired or revoked code."""
    # Asked by the limits before the view runs, then by the view: once per request.
    if LIVE_CLASS not in request.environ:
        code = str((request.view_args or {}).get("code", ""))
        try:
            request.environ[LIVE_CLASS] = schools.class_for_studio_code(code)
        except NotFound:
            ticket = _presented_ticket()
            request.environ[LIVE_CLASS] = class_for_ticket(ticket, code) if ticket else None
            if request.environ[LIVE_CLASS] is not None:
                request.environ[BY_TICKET] = read_ticket(ticket)
    found: SchoolClass | None = request.environ[LIVE_CLASS]
    return found


def check_recorded_in_time(recorded_at: str | None) -> None:
    """Refuse (RecordedAfterEnd) a take delivered with a ticket whose studio has ended when the
    page stamped it after that end (milliseconds on the server's clock). A live code takes
    everything, and a take without a stamp (a page from before this check) is delivered."""
    held: Ticket | None = request.environ.get(BY_TICKET)
    stamp = (recorded_at or "").strip()
    if held is None or not stamp.isdigit() or len(stamp) > 16:
        return
    if int(stamp) > aware(held.ends).timestamp() * 1000:
        raise RecordedAfterEnd(RECORDED_AFTER_END)


def _studio_class(code: str) -> SchoolClass:
    """The class this code opens; StudioClosed for a tablet whose ticket no longer opens it,
    the one 404 for wrong, expired and revoked codes alike otherwise."""
    found = _live_class()
    if found is not None:
        return found
    if _held_ticket() is not None:
        raise StudioClosed(CLOSED)
    return schools.class_for_studio_code(code)


def _held_ticket() -> Ticket | None:
    """The tablet's genuine ticket for the URL's code, even when it no longer opens the studio
    (closed, ended): the server signed it for a tablet it let in, so a guesser cannot hold one."""
    code = str((request.view_args or {}).get("code", "")).strip().lower()
    ticket = _presented_ticket()
    held = read_ticket(ticket) if ticket else None
    return held if held is not None and held.code == code else None


def _right_code() -> bool:
    """True when the URL holds a live studio code, or the tablet a ticket for it (the class is
    at work, finishing its takes after the bell, not a guesser)."""
    return _live_class() is not None or _held_ticket() is not None


def _wrong_code() -> bool:
    """True when neither the URL's code nor the tablet's ticket is the class's."""
    return not _right_code()


def _class_key() -> str:
    """Right codes are limited per class: 24 tablets share one school address."""
    found = _live_class()
    held = _held_ticket() if found is None else None
    return f"classe:{found.id if found else held.class_id if held else ''}"


# Guessing codes: wrong codes count per address, on every studio URL together; a right code
# never counts there, so a classroom is not shut out by a mistyped code next door.
guesses = limiter.shared_limit(
    "20/minute;100/hour", scope="studio-guesses", key_func=remote_address, exempt_when=_right_code
)


# The dashboard shows a live code with "Fermer" and "Nouveau code…", a closed one with "Ouvrir".
bp.add_app_template_global(schools.studio_is_open, "studio_is_open")


# No limit here: this form only redirects to the code's page, where guesses are counted.
# No CSRF token either: it changes nothing, and a token would expire on a page left open.
@csrf.exempt
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
    try:
        school_class = _studio_class(code)
    except NotFound as refused:
        # A reload after the code expired: the page to type the new one, saying why.
        message = translate(refused.message, **refused.params)
        return render_template("studio_enter.html", message=message), 404
    session["studio_class"] = school_class.id
    # Nothing here says anything about any family's choice: the whole class sees this page.
    recent = list(
        Take.query.filter_by(class_id=school_class.id).order_by(Take.created_at.desc()).limit(10)
    )
    return render_template(
        "studio.html",
        school_class=school_class,
        code=code,
        ticket=issue_ticket(school_class, code),
        server_now_ms=int(now_utc().timestamp() * 1000),
        studio_ends_ms=int(aware(school_class.studio_expires_at or now_utc()).timestamp() * 1000),
        takes=recent,
        reports=reports_of(recent),
    )


# The code in the URL (or the tablet's ticket) is the authority here, not the session: a
# forged cross-site post would need the code, which is all an upload needs anyway.
@csrf.exempt
@bp.post("/<code>/prises")
@guesses
@limiter.limit("300/minute", key_func=_class_key, exempt_when=_wrong_code)
def upload(code: str) -> ResponseReturnValue:
    """Receive one take from the studio (streamed to disk) into the code's class."""
    school_class: SchoolClass = _studio_class(code)
    check_recorded_in_time(request.form.get("recorded_at"))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise WebradioError(NO_FILE)
    take, duplicate = takes.ingest_once(
        school_class.school,
        upload.stream,
        school_class=school_class,
        label=request.form.get("label", ""),
        origin=TakeOrigin.STUDIO,
    )
    if wants_json():
        return duplicate_json(take, duplicate), 200 if duplicate else 201
    return back_to("studio.room", code=code)


def duplicate_json(take: Take, duplicate: bool) -> Response:
    """A take's state as JSON, saying when the same file had already been sent."""
    data = take_state_json(take)
    data["duplicate"] = duplicate
    if duplicate:
        data["message"] = translate(ALREADY_SENT)
    return jsonify(data)


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

"""Resumable uploads over the tus 1.0.0 protocol (https://tus.io/protocols/resumable-upload).

Two doors, one protocol:

- `/studio/<code>/envois/` for the class studio: the code in the URL, or the tablet's ticket
  (header `Webradio-Studio-Ticket`) when the teacher has given a new code since or the code
  expired while the page held takes (a 404 with `studio_closed` once it no longer opens);
- `/prises/envois/` for signed-in staff: the session and a CSRF token in `X-CSRFToken` (a
  page left open renews it at `/prises/jeton-envoi` and goes on where it stopped).

Extensions: creation, expiration (uploads left unfinished are removed after a day without
activity) and termination. Chunks are small (5 MB from the page), so a reverse proxy's body
limit can stay small. When the last byte arrives the file becomes a take through
webradio.takes (same checks and limits as a plain upload); the answer carries its id in
`Webradio-Take` (and `Webradio-Duplicate: 1` when the same file had already been sent).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.utils import formatdate
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from werkzeug.exceptions import ClientDisconnected
from wtforms.validators import ValidationError

from webradio import takes, uploads
from webradio.clock import now_utc
from webradio.errors import N_, Forbidden, NotFound, WebradioError
from webradio.extensions import csrf, db, limiter
from webradio.models import School, SchoolClass, TakeOrigin
from webradio.storage import DiskFull, disk_full
from webradio.web import translate, wants_json
from webradio.web.studio import (
    CLOSED,
    DELIVERY_GRACE,
    TICKET_HEADER,
    RecordedAfterEnd,
    StudioClosed,
    _class_key,
    _studio_class,
    _wrong_code,
    check_recorded_in_time,
    guesses,
    read_ticket,
)

bp = Blueprint("tus", __name__)
csrf.exempt(bp)  # staff requests check the token themselves (below); the studio needs none

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,expiration,termination"
OCTETS = "application/offset+octet-stream"
STAFF = ("head", "teacher")
TOKEN_EXPIRED = N_(
    "Le jeton de sécurité de la page a expiré. Il est renouvelé : l’envoi reprend où il en était."
)
SIGN_IN = N_("Votre session a expiré : reconnectez-vous ; l’enregistrement reste sur l’appareil.")
BAD_LENGTH = N_("En-tête Upload-Length manquant ou invalide.")
BAD_OFFSET = N_("En-tête Upload-Offset manquant ou invalide.")
BAD_TYPE = N_("Type de contenu attendu : application/offset+octet-stream.")
BAD_VERSION = N_("Version du protocole tus non prise en charge (1.0.0 attendue).")
CUT = N_("L’envoi a été coupé ; il reprendra où il en était.")
WRONG_CLASS = N_("Classe introuvable.")
DISK_FULL = N_(
    "Le serveur manque de place sur son disque pour l’instant : l’enregistrement reste sur "
    "l’appareil et repartira de lui-même."
)
DISK_RETRY_S = 60  # Retry-After on a full disk: the page tries again, no sooner
STALE_FORM = N_(
    "La page était ouverte depuis trop longtemps et son jeton de sécurité a expiré. "
    "Rechargez la page puis recommencez."
)


# --- the protocol, shared by both doors --------------------------------------------------------


def _tus(response: Response) -> Response:
    """Headers every tus answer carries."""
    response.headers["Tus-Resumable"] = TUS_VERSION
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(error: WebradioError) -> Response:
    """A refusal as French JSON (the page shows it), with the tus headers."""
    body: dict[str, object] = {"error": translate(error.message, **error.params)}
    if isinstance(error, StudioClosed):
        body["studio_closed"] = True  # the page keeps the take and asks for the new code
        body["recorded_after_end"] = isinstance(error, RecordedAfterEnd)
    response = jsonify(body)
    response.status_code = error.http_status
    if isinstance(error, DiskFull):
        response.headers["Retry-After"] = str(DISK_RETRY_S)
    return _tus(response)


def _expires(upload: uploads.Upload) -> str:
    return formatdate(upload.expires, usegmt=True)


def _options() -> Response:
    response = _tus(Response(status=204))
    response.headers["Tus-Version"] = TUS_VERSION
    response.headers["Tus-Extension"] = EXTENSIONS
    response.headers["Tus-Max-Size"] = str(uploads.max_bytes())
    return response


def _check_version() -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise _Precondition(BAD_VERSION)


class _Precondition(WebradioError):
    http_status = 412


def parse_metadata(header: str) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64value` pairs (the value may be absent)."""
    found: dict[str, str] = {}
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        if not parts[0]:
            continue
        value = ""
        if len(parts) > 1:
            try:
                value = base64.b64decode(parts[1], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise uploads.UploadRefused(N_("En-tête Upload-Metadata invalide.")) from None
        found[parts[0]] = value
    return found


def _int_header(name: str, message: str) -> int:
    raw = request.headers.get(name, "")
    if not raw.isdigit():
        raise uploads.UploadRefused(message)
    return int(raw)


def _create(owner: dict[str, str | None], location_endpoint: str, **values: Any) -> Response:
    if "Upload-Defer-Length" in request.headers:
        raise uploads.UploadRefused(BAD_LENGTH)
    length = _int_header("Upload-Length", BAD_LENGTH)
    metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
    upload = uploads.create(length, metadata, owner)
    response = _tus(Response(status=201))
    response.headers["Location"] = url_for(location_endpoint, upload_id=upload.id, **values)
    response.headers["Upload-Expires"] = _expires(upload)
    return response


def _state(upload: uploads.Upload, status: int) -> Response:
    """HEAD and PATCH answers: where the upload stands, and its take once complete."""
    response = _tus(Response(status=status))
    response.headers["Upload-Offset"] = str(uploads.offset(upload))
    response.headers["Upload-Length"] = str(upload.length)
    response.headers["Upload-Expires"] = _expires(upload)
    if upload.take_id is not None:
        response.headers["Webradio-Take"] = upload.take_id
        if upload.duplicate:
            response.headers["Webradio-Duplicate"] = "1"
    return response


def _take_maker(
    school_class: SchoolClass | None, origin: str
) -> Callable[[uploads.Upload], tuple[str, bool]]:
    """What turns a complete upload into a take (once; the same file twice is one take)."""

    def make_take(done: uploads.Upload) -> tuple[str, bool]:
        school = db.session.get(School, done.owner.get("school"))
        if school is None:
            raise NotFound(uploads.GONE)
        with uploads.data_path(done.id).open("rb") as stream:
            take, duplicate = takes.ingest_once(
                school,
                stream,
                school_class=school_class,
                uploaded_by=done.owner.get("user"),
                label=done.metadata.get("label", ""),
                origin=origin,
            )
        return take.id, duplicate

    return make_take


@contextmanager
def _room_on_disk() -> Iterator[None]:
    """A full disk (files or database) answers 507 in French with Retry-After: the page keeps
    the take and tries again; what arrived is kept."""
    try:
        yield
    except Exception as error:
        if not disk_full(error):
            raise
        db.session.rollback()
        raise DiskFull(DISK_FULL) from error


def _head(upload: uploads.Upload, school_class: SchoolClass | None, origin: str) -> Response:
    """Where the upload stands; a whole one whose take could not be made yet is made now."""
    with _room_on_disk():
        uploads.finish(upload, _take_maker(school_class, origin))
    return _state(upload, 200)


def _patch(upload: uploads.Upload, school_class: SchoolClass | None, origin: str) -> Response:
    if request.mimetype != OCTETS:
        raise _UnsupportedType(BAD_TYPE)
    at = _int_header("Upload-Offset", BAD_OFFSET)
    try:
        with _room_on_disk():
            uploads.append(upload, at, request.stream, _take_maker(school_class, origin))
    except ClientDisconnected:
        raise uploads.UploadRefused(CUT) from None  # what arrived is kept
    return _state(upload, 204)


class _UnsupportedType(WebradioError):
    http_status = 415


@bp.errorhandler(WebradioError)
def _refused(error: WebradioError) -> ResponseReturnValue:
    return _error(error)


@bp.app_errorhandler(CSRFError)
def _stale_form(error: CSRFError) -> ResponseReturnValue:
    """Any form posted with a missing or expired CSRF token: French, JSON for the pages'
    scripts (flask-wtf's own answer is an English "400 Bad Request")."""
    message = translate(STALE_FORM)
    if wants_json():
        return jsonify(error=message, token_expired=True), 400
    return render_template("error.html", message=message), 400


# --- the studio's door -------------------------------------------------------------------------

STUDIO_LIMIT = "1200/minute"  # per class: 24 tablets, a HEAD and a few 5 MB chunks per take


def _studio_upload(code: str, upload_id: str) -> tuple[uploads.Upload, SchoolClass]:
    try:
        school_class = _studio_class(code)
    except StudioClosed:
        # Closed (or ended) since the tablet began this upload: the take in flight still lands,
        # for the tablet whose ticket entered this class, within its delivery grace. Nothing new
        # starts (POST stays refused).
        school_class = _in_flight_class(upload_id)
    upload = uploads.load(upload_id)
    if upload.owner.get("class") != school_class.id or upload.owner.get("door") != "studio":
        raise NotFound(uploads.GONE)
    return upload, school_class


def _in_flight_class(upload_id: str) -> SchoolClass:
    """The class of an upload this tablet's ticket began before its studio closed; the
    studio's refusal (StudioClosed) again otherwise."""
    held = read_ticket(request.headers.get(TICKET_HEADER, ""))
    found = db.session.get(SchoolClass, held.class_id) if held else None
    try:
        upload = uploads.load(upload_id)
    except NotFound:
        upload = None
    if (
        held is None
        or found is None
        or upload is None
        or upload.owner.get("class") != found.id
        or now_utc() > held.ends + DELIVERY_GRACE
    ):
        raise StudioClosed(CLOSED)
    return found


@bp.route("/studio/<code>/envois/", methods=["OPTIONS", "POST"])
@guesses
@limiter.limit(STUDIO_LIMIT, key_func=_class_key, exempt_when=_wrong_code)
def studio_create(code: str) -> ResponseReturnValue:
    """tus: the studio's capabilities (OPTIONS), or a new upload into the code's class."""
    if request.method == "OPTIONS":
        # The server's clock, for a page waking up (its own monotonic clock stood still while the
        # tablet slept): it then knows whether its studio has ended.
        answer = _options()
        answer.headers["Webradio-Now"] = str(int(now_utc().timestamp() * 1000))
        return answer
    _check_version()
    school_class = _studio_class(code)
    check_recorded_in_time(
        parse_metadata(request.headers.get("Upload-Metadata", "")).get("recorded_at")
    )
    owner: dict[str, str | None] = {
        "door": "studio",
        "school": school_class.school_id,
        "class": school_class.id,
        "user": None,
    }
    return _create(owner, "tus.studio_upload", code=code)


@bp.route("/studio/<code>/envois/<upload_id>", methods=["OPTIONS", "HEAD", "PATCH", "DELETE"])
@guesses
@limiter.limit(STUDIO_LIMIT, key_func=_class_key, exempt_when=_wrong_code)
def studio_upload(code: str, upload_id: str) -> ResponseReturnValue:
    """tus: where an upload stands (HEAD), its next chunk (PATCH), or its removal (DELETE)."""
    if request.method == "OPTIONS":
        return _options()
    _check_version()
    upload, school_class = _studio_upload(code, upload_id)
    if request.method == "HEAD":
        return _head(upload, school_class, TakeOrigin.STUDIO)
    if request.method == "DELETE":
        uploads.delete(upload)
        return _tus(Response(status=204))
    return _patch(upload, school_class, TakeOrigin.STUDIO)


# --- the staff's door --------------------------------------------------------------------------


def _staff_school_id() -> str:
    """The signed-in staff member's school; a French refusal (not a redirect) otherwise."""
    if not current_user.is_authenticated:
        raise Forbidden(SIGN_IN)
    if current_user.role not in STAFF or current_user.school_id is None:
        raise Forbidden(N_("Votre rôle ne permet pas cette action."))
    return str(current_user.school_id)


class _TokenExpired(WebradioError):
    http_status = 403


def _check_token() -> None:
    """The page's CSRF token, sent in X-CSRFToken (a stale one: 403, renewed by the page)."""
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except ValidationError:
        raise _TokenExpired(TOKEN_EXPIRED) from None


def _staff_key() -> str:
    return f"compte:{current_user.get_id() or ''}"


@bp.route("/prises/envois/", methods=["OPTIONS", "POST"])
@limiter.limit(STUDIO_LIMIT, key_func=_staff_key)
def staff_create() -> ResponseReturnValue:
    """tus: capabilities (OPTIONS), or a new upload for the signed-in staff member's school."""
    if request.method == "OPTIONS":
        return _options()
    _check_version()
    school_id = _staff_school_id()
    _check_token()
    class_id = parse_metadata(request.headers.get("Upload-Metadata", "")).get("class_id") or None
    if class_id is not None:
        found = db.session.get(SchoolClass, class_id)
        if found is None or found.school_id != school_id:
            raise NotFound(WRONG_CLASS)
    owner: dict[str, str | None] = {
        "door": "staff",
        "school": school_id,
        "class": class_id,
        "user": str(current_user.id),
    }
    return _create(owner, "tus.staff_upload")


@bp.route("/prises/envois/<upload_id>", methods=["OPTIONS", "HEAD", "PATCH", "DELETE"])
@limiter.limit(STUDIO_LIMIT, key_func=_staff_key)
def staff_upload(upload_id: str) -> ResponseReturnValue:
    """tus: where an upload stands (HEAD), its next chunk (PATCH), or its removal (DELETE)."""
    if request.method == "OPTIONS":
        return _options()
    _check_version()
    school_id = _staff_school_id()
    if request.method != "HEAD":
        _check_token()
    upload = uploads.load(upload_id)
    if upload.owner.get("door") != "staff" or upload.owner.get("school") != school_id:
        raise NotFound(uploads.GONE)
    if request.method == "DELETE":
        uploads.delete(upload)
        return _tus(Response(status=204))
    class_id = upload.owner.get("class")
    school_class = db.session.get(SchoolClass, class_id) if class_id else None
    if request.method == "HEAD":
        return _head(upload, school_class, TakeOrigin.STAFF)
    return _patch(upload, school_class, TakeOrigin.STAFF)


@bp.get("/prises/jeton-envoi")
def staff_token() -> ResponseReturnValue:
    """A fresh CSRF token for a staff page left open (its uploads go on with it)."""
    _staff_school_id()
    response = jsonify(csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response

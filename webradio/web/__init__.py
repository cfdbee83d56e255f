"""The web layer: blueprints, sign-in, roles, and the one place errors become pages."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from flask import (
    Flask,
    Response,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from webradio.errors import N_, Forbidden, WebradioError
from webradio.extensions import limiter, login_manager
from webradio.models import Failing, School, Take
from webradio.publication import Actor

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

F = TypeVar("F", bound=Callable[..., Any])

TOO_MANY = N_("Trop d’essais en peu de temps. Réessayez dans %(seconds)d secondes.")
# The 410 of an episode the head took off line: a neutral note, no family and no expiry named.
UNPUBLISHED = "unpublished"
TOO_LARGE = N_(
    "Le fichier est trop gros (au plus %(mb)d Mo). "
    "Coupez l'enregistrement ou réduisez-le, puis réessayez."
)


def register_web(app: Flask) -> None:
    """Bind blueprints, the user loader, the language switch and error pages to `app`."""
    from webradio.web import auth, consent, delivery, families, public, sound, staff, studio

    for module in (auth, public, staff, studio, consent, families, sound):
        app.register_blueprint(module.bp)
    from webradio.web import settings

    app.register_blueprint(settings.bp)
    from webradio.web import accounts, people

    app.register_blueprint(people.bp)
    from webradio.web import tus

    app.register_blueprint(tus.bp)
    app.register_blueprint(accounts.bp)
    families.redact_logs(app)
    # Public files (feeds, pages, embeds...) are answered before Flask's dispatch, with no
    # database (bench/serve.py).
    fast = delivery.PublicFastPath(app.wsgi_app, Path(app.config["FEEDS_ROOT"]))
    app.wsgi_app = NoSniff(fast)  # type: ignore[method-assign]
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Connectez-vous pour accéder à cette page.")
    login_manager.localize_callback = gettext
    login_manager.user_loader(auth.load_user)
    app.session_interface = PublicPagesSessionInterface()
    app.before_request(_remember_language)
    app.after_request(_security_headers)
    app.errorhandler(WebradioError)(_webradio_error)
    app.errorhandler(RequestEntityTooLarge)(_too_large)
    app.errorhandler(404)(_status_page)
    app.errorhandler(405)(_status_page)
    app.errorhandler(410)(_status_page)
    app.errorhandler(403)(_status_page)
    app.errorhandler(429)(_too_many)
    app.errorhandler(503)(_unavailable)
    app.errorhandler(InternalServerError)(_unexpected)
    app.context_processor(
        lambda: {"tr": translate, "failure": failure_text, "get_locale": get_locale}
    )


class PublicPagesSessionInterface(SecureCookieSessionInterface):
    """Sessions as usual, but public answers stay cacheable: no `Vary: Cookie` on them.

    Flask-Login reads the session after every request, which would make every feed, page and
    MP3 vary by cookie and defeat a CDN; the public blueprint never depends on the session.
    """

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Save as usual; drop the Vary header on public answers that did not touch the session."""
        super().save_session(app, session, response)
        if request.blueprint == "public" and not session.modified:
            response.vary.discard("cookie")  # werkzeug compares lower-case

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when the site is https, or when this request came over HTTPS (a proxy's)."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


class NoSniff:
    """A WSGI layer adding `X-Content-Type-Options: nosniff` to every answer, the feed fast
    path's included (browsers must not guess a type, e.g. run an uploaded file as script)."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Hand the request on; add the header when the answer starts."""

        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            if not any(name.lower() == "x-content-type-options" for name, _ in headers):
                headers.append(("X-Content-Type-Options", "nosniff"))
            return start_response(status, headers, *exc_info)

        return self.app(environ, start)


# Pages no other site may frame, and what may follow a link out of them. `None` is Flask's own
# (static files, unknown paths), answered like public pages.
BASE_POLICY = "base-uri 'self'; object-src 'none'"
REFERRER_POLICY = {
    "public": "strict-origin-when-cross-origin",
    None: "strict-origin-when-cross-origin",
    "families": "no-referrer",  # secret family URLs never leave in a Referer
}


def _security_headers(response: Response) -> Response:
    """Framing and referrer rules by page kind: staff pages (and families' and the studio's)
    are never framed; public pages only by this site; the embed and the city widget, made for
    other sites, set their own policy (`frame-ancestors *`) and keep it."""
    public = request.blueprint in {None, "public"}
    if "Content-Security-Policy" not in response.headers:
        ancestors = "'self'" if public else "'none'"
        response.headers["Content-Security-Policy"] = f"frame-ancestors {ancestors}; {BASE_POLICY}"
        response.headers["X-Frame-Options"] = "SAMEORIGIN" if public else "DENY"
    policy = REFERRER_POLICY.get(request.blueprint, "same-origin")
    response.headers.setdefault("Referrer-Policy", policy)
    return response


def translate(message: str, **params: object) -> str:
    """Translate a French message marked with N_ (errors, labels), then fill its fields; the
    fields named in `_translate` are French labels themselves (a jingle's name), translated too."""
    text = gettext(message)
    labels = params.pop("_translate", None)
    for key in labels if isinstance(labels, list) else ():
        if isinstance(params.get(key), str):  # a label may have fields too: « Partie %(n)d »
            params[key] = gettext(params[key]) % params
    return text % params if params else text


def failure_text(subject: Failing) -> str:
    """A take's or an episode's failure reason in the reader's language, its fields filled."""
    message, params = subject.failure_message
    try:
        return translate(message, **params)
    except (KeyError, TypeError, ValueError):  # a translation that lost a field
        return subject.failure_reason or ""


# Pages framed by other sites promise no cookie: ?lang= applies to that answer only.
COOKIE_FREE_ENDPOINTS = {"public.embed", "public.city_widget"}


def _remember_language() -> None:
    """Keep ?lang=fr|en for the rest of the visit (not in frames on other sites)."""
    lang = request.args.get("lang")
    if lang in {"fr", "en"} and request.endpoint not in COOKIE_FREE_ENDPOINTS:
        session["lang"] = lang


def wants_json() -> bool:
    """True for XHR uploads and API calls that expect JSON back."""
    return request.accept_mimetypes.best == "application/json" or request.is_json


def _webradio_error(error: WebradioError) -> ResponseReturnValue:
    """A refusal as a page (or JSON) in the reader's language."""
    message = translate(error.message, **error.params)
    if wants_json():
        return jsonify(error=message), error.http_status
    return render_template("error.html", message=message), error.http_status


def _status_page(error: HTTPException) -> ResponseReturnValue:
    """404, 403, 405, 410 and 429 as short pages in the reader's language."""
    status = error.code or 500
    neutral = status == 410 and error.description == UNPUBLISHED
    headers = error.get_headers()  # 405 keeps its Allow header
    allow = [(k, v) for k, v in headers if k == "Allow"]
    return render_template("status.html", status=status, unpublished=neutral), status, allow


def _unavailable(_error: HTTPException) -> ResponseReturnValue:
    """503: something public cannot be written now (a full disk); podcast apps try again."""
    response = make_response(render_template("status.html", status=503), 503)
    response.headers["Retry-After"] = "120"
    response.headers["Cache-Control"] = "no-store"
    return response


def _unexpected(_error: HTTPException) -> ResponseReturnValue:
    """An error nobody foresaw: a short page in the reader's language, never a bare 500 (the
    traceback goes to the log)."""
    return render_template("status.html", status=500), 500


def _too_many(error: HTTPException) -> ResponseReturnValue:
    """429 in the reader's language with when to retry; JSON to scripts (the studio's polls
    read it and keep following the take)."""
    seconds = _retry_after_s()
    if wants_json():
        response = jsonify(error=translate(TOO_MANY, seconds=seconds))
    else:
        response = make_response(render_template("status.html", status=429))
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response


def _retry_after_s() -> int:
    """Seconds until the limit that refused this request lets it through again."""
    refused = limiter.current_limit
    if refused is None:
        return 60
    return max(1, math.ceil(refused.reset_at - time.time()))


def _too_large(error: HTTPException) -> ResponseReturnValue:
    """An upload past MAX_UPLOAD_MB, said plainly."""
    from flask import current_app

    message = translate(TOO_LARGE, mb=int(current_app.config["MAX_UPLOAD_MB"]))
    if wants_json():
        return jsonify(error=message), 413
    return render_template("error.html", message=message), 413


def take_json(take: Take) -> Response:
    """A take's state as JSON (upload answers and polling), with its report once analysed."""
    from webradio.web.sound import take_state_json

    return jsonify(take_state_json(take))


def role_required(*roles: str) -> Callable[[F], F]:
    """Allow the view only to signed-in staff holding one of `roles`."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                raise Forbidden(N_("Votre rôle ne permet pas cette action."))
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def current_school() -> School:
    """The signed-in person's school: every staff query is scoped to it."""
    school = current_user.school
    if school is None:
        raise Forbidden(N_("Ce compte n'est rattaché à aucune école."))
    return school


def back_to(endpoint: str, **values: Any) -> ResponseReturnValue:
    """Redirect to another view of the app."""
    return redirect(url_for(endpoint, **values))


def actor() -> Actor:
    """The signed-in person as the domain verbs see them (role and id)."""
    return Actor(current_user.role, current_user.id)

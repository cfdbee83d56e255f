"""The web layer: blueprints, sign-in, roles, and the one place errors become pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, jsonify, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from webradio.errors import N_, Forbidden, WebradioError
from webradio.extensions import db, login_manager
from webradio.models import School, Take, User
from webradio.publication import Actor

F = TypeVar("F", bound=Callable[..., Any])

TOO_LARGE = N_(
    "Le fichier est trop gros (au plus %(mb)d Mo). "
    "Coupez l'enregistrement ou réduisez-le, puis réessayez."
)


def register_web(app: Flask) -> None:
    """Bind blueprints, the user loader, the language switch and error pages to `app`."""
    from webradio.web import auth, consent, delivery, families, public, sound, staff, studio

    for module in (auth, public, staff, studio, consent, families, sound):
        app.register_blueprint(module.bp)
    families.redact_logs(app)
    # Public feed files are answered before Flask's dispatch (bench/feeds.py: 2,400/s needs it).
    fast = delivery.FeedFastPath(app.wsgi_app, Path(app.config["FEEDS_ROOT"]))
    app.wsgi_app = fast  # type: ignore[method-assign]
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Connectez-vous pour accéder à cette page.")
    login_manager.localize_callback = gettext
    login_manager.user_loader(lambda user_id: db.session.get(User, user_id))
    app.session_interface = PublicPagesSessionInterface()
    app.before_request(_remember_language)
    app.errorhandler(WebradioError)(_webradio_error)
    app.errorhandler(RequestEntityTooLarge)(_too_large)
    app.errorhandler(404)(_status_page)
    app.errorhandler(410)(_status_page)
    app.errorhandler(403)(_status_page)
    app.errorhandler(429)(_status_page)
    app.context_processor(lambda: {"tr": translate, "get_locale": get_locale})


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


def translate(message: str, **params: object) -> str:
    """Translate a French message marked with N_ (errors, labels), then fill its fields."""
    text = gettext(message)
    return text % params if params else text


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
    """404, 403, 410 and 429 as short pages in the reader's language (410: withdrawn or expired)."""
    status = error.code or 500
    return render_template("status.html", status=status), status


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

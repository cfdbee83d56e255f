"""Sign-in and sign-out for staff accounts."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from flask import Blueprint, Response, current_app, flash, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.security import check_password_hash, generate_password_hash

from webradio.errors import N_, WebradioError
from webradio.extensions import db, limiter, remote_address
from webradio.models import User
from webradio.web import back_to, translate

bp = Blueprint("auth", __name__)

BAD_SIGN_IN = N_("Adresse ou mot de passe incorrect.")
DISABLED = N_(
    "Ce compte est désactivé. Adressez-vous à la direction de l'école (ou, pour un directeur, "
    "au service informatique de la ville)."
)
SESSION_MARK = "_mark"
# A sign-in or password form weighs a few hundred bytes; nothing bigger is read.
FORM_BYTES = 8 * 1024
FORM_TOO_LONG = N_("Ce formulaire est trop long. Rechargez la page et réessayez.")


class FormTooLong(WebradioError):
    """A body far past what a sign-in or password form sends."""

    http_status = 413


def small_forms_only(endpoint: str | None, values: dict[str, object] | None) -> None:
    """Refuse a body past FORM_BYTES before anything reads it.

    Registered as a URL value preprocessor because those run before every `before_request`
    hook, the rate limiter's included, and the limiter reads the form (the e-mail tried).
    """
    if request.content_length is not None and request.content_length > FORM_BYTES:
        raise FormTooLong(FORM_TOO_LONG)
    request.max_content_length = FORM_BYTES  # a body without a length stops being read there


def form_too_long(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    """A chunked body that went past FORM_BYTES: the form's message, not the upload's."""
    return render_template("error.html", message=translate(FORM_TOO_LONG)), 413


def cap_forms(blueprint: Blueprint) -> None:
    """Read no more than FORM_BYTES of any request to `blueprint`'s views."""
    blueprint.url_value_preprocessor(small_forms_only)
    blueprint.register_error_handler(RequestEntityTooLarge, form_too_long)


cap_forms(bp)


def _tried_account() -> str:
    """The account a sign-in tries (limits follow it whatever the address)."""
    return "compte:" + request.form.get("email", "").strip().lower()


def _failed(response: Response) -> bool:
    """Only refused sign-ins count against a limit (colleagues behind one school address)."""
    return response.status_code == 401


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"], key_func=remote_address, deduct_when=_failed)
@limiter.limit("10/minute", methods=["POST"], key_func=_tried_account, deduct_when=_failed)
def login() -> ResponseReturnValue:
    """Show the sign-in form; sign in on a correct e-mail and password."""
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        password = request.form.get("password", "")
        user = db.session.scalars(select(User).filter_by(email=email)).first()
        # An unknown address costs the same hash as a known one: timing tells no address.
        known = check_password_hash(user.password_hash if user else _dummy_hash(), password)
        if user is not None and known and user.disabled_at is not None:
            # Said only to whoever knows the password: it tells a stranger nothing.
            flash(translate(DISABLED), "error")
            return render_template("login.html", email=email), 403
        if user is not None and known:
            sign_in(user)
            return back_to("staff.dashboard")
        flash(translate(BAD_SIGN_IN), "error")
        return render_template("login.html", email=email), 401
    return render_template("login.html", email="")


@bp.post("/deconnexion")
@login_required
def logout() -> ResponseReturnValue:
    """Sign out here and everywhere: every copy of the session cookie stops working."""
    user = db.session.get(User, current_user.id)
    if user is not None:
        user.session_epoch += 1
        db.session.commit()
    logout_user()
    session.pop(SESSION_MARK, None)
    return back_to("auth.login")


def sign_in(user: User) -> None:
    """Open a session for `user`, marked so that a later sign-out, password change or
    disabling ends it."""
    login_user(user)
    session[SESSION_MARK] = session_mark(user)


def session_mark(user: User) -> str:
    """What a live session of `user` carries: it changes at sign-out and password change."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    state = f"{user.id}:{user.session_epoch}:{user.password_hash}".encode()
    return hmac.new(secret, state, hashlib.sha256).hexdigest()[:32]


def load_user(user_id: str) -> User | None:
    """The signed-in account, unless it is disabled or this session predates its last
    sign-out or password."""
    user = db.session.get(User, user_id)
    mark = session.get(SESSION_MARK)
    if user is None or user.disabled_at is not None or not isinstance(mark, str):
        return None
    return user if hmac.compare_digest(mark, session_mark(user)) else None


@cache
def _dummy_hash() -> str:
    """A password hash of nothing anyone knows, made like real ones (same cost)."""
    return generate_password_hash(secrets.token_urlsafe(16))

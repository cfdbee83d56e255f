"""Sign-in and sign-out for staff accounts."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash

from webradio.errors import N_
from webradio.extensions import db, limiter
from webradio.models import User
from webradio.web import back_to, translate

bp = Blueprint("auth", __name__)

BAD_SIGN_IN = N_("Adresse ou mot de passe incorrect.")


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def login() -> ResponseReturnValue:
    """Show the sign-in form; sign in on a correct e-mail and password."""
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        user = db.session.scalars(select(User).filter_by(email=email)).first()
        if user and check_password_hash(user.password_hash, request.form.get("password", "")):
            login_user(user)
            return back_to("staff.dashboard")
        flash(translate(BAD_SIGN_IN), "error")
        return render_template("login.html", email=email), 401
    return render_template("login.html", email="")


@bp.post("/deconnexion")
@login_required
def logout() -> ResponseReturnValue:
    """Sign out."""
    logout_user()
    return back_to("auth.login")

"""Accounts in the browser: the head's team (« Équipe »), the city admin's schools and heads,
one-time password links and « Mot de passe oublié ? »."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_login import current_user
from sqlalchemy import select

from webradio import accounts, mail, outputs, people, schools
from webradio.errors import N_, WebradioError
from webradio.extensions import db, limiter, remote_address
from webradio.models import School, User
from webradio.web import auth, back_to, current_school, role_required, translate

bp = Blueprint("accounts", __name__)
auth.cap_forms(bp)  # password and account forms: a few hundred bytes each

ROLE_LABELS = {
    "head": N_("Direction"),
    "teacher": N_("Enseignant ou enseignante"),
    "city-admin": N_("Service informatique de la ville"),
}
STATE_LABELS = {
    accounts.AccountState.ACTIVE: N_("Actif"),
    accounts.AccountState.INVITED: N_("Invité (mot de passe pas encore choisi)"),
    accounts.AccountState.DISABLED: N_("Désactivé"),
}
INVITED = N_("Compte ouvert pour %(email)s.")
LINK_MADE = N_(
    "Nouveau lien pour %(email)s : le mot de passe actuel reste valable tant que le lien n'a pas "
    "servi."
)
DISABLED = N_("Compte de %(email)s désactivé : il ne peut plus se connecter.")
ENABLED = N_("Compte de %(email)s réactivé.")
SCHOOL_CREATED = N_("École « %(name)s » créée.")
# Why a school needs the city's hand (the city page lists them first, each linked to its card).
NO_HEAD = N_("pas encore de direction")
HEAD_INVITED = N_("direction invitée, mot de passe pas encore choisi")
HEAD_DISABLED = N_("direction désactivée")
MAIL_SENT = N_("Le lien a aussi été envoyé par e-mail à %(email)s.")
MAIL_FAILED = N_(
    "L'e-mail n'a pas pu être envoyé : transmettez vous-même le lien ci-dessous à %(email)s."
)
PASSWORD_SET = N_("Mot de passe enregistré. Bienvenue !")
FORGOT_SENT = N_(
    "Si un compte existe pour cette adresse, un lien pour choisir un nouveau mot de passe "
    "vient d'y être envoyé. Il fonctionne une fois, pendant %(hours)d heures."
)
TOKEN_IN_PATH = re.compile(r"/compte/mot-de-passe/[^/?\s\"]+")


@bp.record_once
def _redact(state: BlueprintSetupState) -> None:
    """No log holds a password link: Flask's and werkzeug's lines are filtered."""
    for logger in (state.app.logger, logging.getLogger("werkzeug")):
        if not any(isinstance(f, RedactPasswordLinks) for f in logger.filters):
            logger.addFilter(RedactPasswordLinks())


class RedactPasswordLinks(logging.Filter):
    """Replace the secret of any password link in a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message in place; never drop the record."""
        message = record.getMessage()
        if "/compte/mot-de-passe/" in message:
            record.msg = TOKEN_IN_PATH.sub("/compte/mot-de-passe/[lien]", message)
            record.args = ()
        return True


def _me() -> User:
    """The signed-in account as a model row."""
    user = db.session.get(User, current_user.id)
    assert user is not None  # role_required signed them in
    return user


def _labels() -> dict[str, object]:
    """What every accounts page needs to name roles and states."""
    return {"role_labels": ROLE_LABELS, "state_labels": STATE_LABELS}


def _issued_view(issued: accounts.IssuedLink | None) -> dict[str, object] | None:
    """The one-time link as the page shows it (the address, until when)."""
    if issued is None:
        return None
    return {
        "email": issued.user.email,
        "url": issued.url,
        "until": format_datetime(issued.expires_at, "d MMMM y, HH:mm"),
        "hours": issued.hours,
        "invitation": issued.purpose == accounts.LinkPurpose.INVITATION,
    }


def _mail_link(issued: accounts.IssuedLink) -> None:
    """E-mail the link when a relay is configured, and say whether it left."""
    school = issued.user.school.name if issued.user.school else None
    invitation = issued.purpose == accounts.LinkPurpose.INVITATION
    message = mail.password_link(issued.user.email, issued.url, issued.hours, invitation, school)
    delivery = mail.send(message)
    if delivery == mail.Delivery.SENT:
        flash(translate(MAIL_SENT, email=issued.user.email), "info")
    elif delivery == mail.Delivery.FAILED:
        flash(translate(MAIL_FAILED, email=issued.user.email), "error")


# --- The head's team ----------------------------------------------------------------------------


@bp.get("/ecole/equipe")
@role_required("head")
def team() -> ResponseReturnValue:
    """The school's staff accounts: e-mail, role, state, and what the head may do."""
    return _team_page()


def _team_page(issued: accounts.IssuedLink | None = None, status: int = 200) -> ResponseReturnValue:
    """The team page, with a link just made shown once."""
    school = current_school()
    return (
        render_template(
            "accounts_team.html",
            school=school,
            rows=accounts.team(school),
            me=current_user.id,
            issued=_issued_view(issued),
            **_labels(),
        ),
        status,
    )


def _acting(verb: Callable[[], accounts.IssuedLink | None]) -> ResponseReturnValue:
    """Run a change; show the head's or city admin's page again, with a new link or the
    refusal said at the top."""
    page = _team_page if current_user.role == "head" else _city_page
    try:
        issued = verb()
    except WebradioError as error:
        db.session.rollback()
        flash(translate(error.message, **error.params), "error")
        return page(None, error.http_status)
    if issued is None:
        return back_to("accounts.team" if current_user.role == "head" else "accounts.city")
    _mail_link(issued)
    return page(issued, 200)


@bp.post("/ecole/equipe/inviter")
@role_required("head")
def invite_teacher() -> ResponseReturnValue:
    """Open a teacher's account and show its one-time link (e-mailed too when configured)."""

    def verb() -> accounts.IssuedLink:
        issued = accounts.invite(request.form.get("email", ""), "teacher", current_school(), _me())
        flash(translate(INVITED, email=issued.user.email), "info")
        return issued

    return _acting(verb)


@bp.post("/comptes/<user_id>/lien")
@role_required("head", "city-admin")
def reset_link(user_id: str) -> ResponseReturnValue:
    """A new one-time link for the account to choose a password."""

    def verb() -> accounts.IssuedLink:
        issued = accounts.reset_link(accounts.account_for(_me(), user_id), _me())
        flash(translate(LINK_MADE, email=issued.user.email), "info")
        return issued

    return _acting(verb)


@bp.post("/comptes/<user_id>/desactiver")
@role_required("head", "city-admin")
def disable(user_id: str) -> ResponseReturnValue:
    """Disable an account: no sign-in, its sessions end (never one's own)."""

    def verb() -> None:
        user = accounts.disable(accounts.account_for(_me(), user_id), _me())
        flash(translate(DISABLED, email=user.email), "info")

    return _acting(verb)


@bp.post("/comptes/<user_id>/reactiver")
@role_required("head", "city-admin")
def enable(user_id: str) -> ResponseReturnValue:
    """Let a disabled account sign in again."""

    def verb() -> None:
        user = accounts.enable(accounts.account_for(_me(), user_id))
        flash(translate(ENABLED, email=user.email), "info")

    return _acting(verb)


# --- The city admin's schools -------------------------------------------------------------------


@bp.get("/ville/ecoles")
@role_required("city-admin")
def city() -> ResponseReturnValue:
    """Every school (name, slug, heads); create a school, invite a head."""
    return _city_page()


def _city_page(issued: accounts.IssuedLink | None = None, status: int = 200) -> ResponseReturnValue:
    """The city admin's page, with a link just made shown once."""
    listed = schools_in_reading_order()
    heads = accounts.heads_of([s.id for s in listed])
    return (
        render_template(
            "city_schools.html",
            schools=listed,
            not_written=_not_written(),
            to_watch=_to_watch(listed, heads),
            heads=heads,
            issued=_issued_view(issued),
            form=request.form if request.method == "POST" else {},
            **_labels(),
        ),
        status,
    )


def schools_in_reading_order() -> list[School]:
    """Every school as a French reader files them (the database sorts by code point)."""
    return sorted(
        db.session.scalars(select(School)), key=lambda s: (people.reading_order(s.name), s.slug)
    )


def watch_count(listed: list[School]) -> int:
    """How many of these schools need the city's hand: no active head, or files waiting."""
    heads = accounts.heads_of([s.id for s in listed])
    slugs = {school.slug for school, _ in _to_watch(listed, heads)}
    return len(slugs | {row["slug"] for row in _not_written()})


def _not_written() -> list[dict[str, str]]:
    """The schools whose public files wait to be rewritten (a full disk?), with since when."""
    return [
        {"name": school.name, "slug": school.slug, "since": format_datetime(since, "short")}
        for school, since in outputs.waiting_schools()
    ]


def _to_watch(
    listed: list[School], heads: dict[str, list[accounts.AccountRow]]
) -> list[tuple[School, str]]:
    """The schools without an active head, each with why (no head, only invited, disabled)."""
    found = []
    for school in listed:
        states = {row.state for row in heads[school.id]}
        if accounts.AccountState.ACTIVE in states:
            continue
        if not states:
            found.append((school, NO_HEAD))
        elif accounts.AccountState.INVITED in states:
            found.append((school, HEAD_INVITED))
        else:
            found.append((school, HEAD_DISABLED))
    return found


@bp.post("/ville/ecoles")
@role_required("city-admin")
def create_school() -> ResponseReturnValue:
    """Create a school under a fixed slug."""

    if not request.form.get("name", "").strip():
        flash(translate(N_("Donnez le nom de l'école.")), "error")
        return _city_page(None, 400)
    try:
        created = schools.create_school(
            request.form.get("slug", "").strip().lower(), request.form.get("name", "").strip()
        )
    except WebradioError as error:
        db.session.rollback()
        flash(translate(error.message, **error.params), "error")
        return _city_page(None, error.http_status)
    flash(translate(SCHOOL_CREATED, name=created.name), "info")
    # Straight to its card, where its head is invited (the fortieth school is far down).
    return redirect(url_for("accounts.city", _anchor=f"ecole-{created.slug}"))


@bp.post("/ville/ecoles/<slug>/directeurs")
@role_required("city-admin")
def invite_head(slug: str) -> ResponseReturnValue:
    """Open a head's account for a school and show its one-time link."""

    def verb() -> accounts.IssuedLink:
        school = schools.get_school(slug)
        issued = accounts.invite(request.form.get("email", ""), "head", school, _me())
        flash(translate(INVITED, email=issued.user.email), "info")
        return issued

    return _acting(verb)


# --- Choosing a password through a link ---------------------------------------------------------


@bp.route("/compte/mot-de-passe/<token>", methods=["GET", "POST"])
@limiter.limit("20/minute", key_func=remote_address)
def choose_password(token: str) -> ResponseReturnValue:
    """Choose a password through a one-time link, then be signed in."""
    from webradio.web.auth import sign_in

    try:
        link = accounts.open_link(token)
    except accounts.LinkGone as error:
        return render_template("password_gone.html", message=translate(error.message)), 410
    refused = None
    if request.method == "POST":
        try:
            user = accounts.use_link(
                token, request.form.get("password", ""), request.form.get("confirmation", "")
            )
        except accounts.LinkGone as error:
            return render_template("password_gone.html", message=translate(error.message)), 410
        except WebradioError as error:
            db.session.rollback()
            refused = translate(error.message, **error.params)
        else:
            sign_in(user)
            flash(translate(PASSWORD_SET), "info")
            return back_to("staff.dashboard")
    page = render_template(
        "password_choose.html",
        email=link.user.email,
        invitation=link.purpose == accounts.LinkPurpose.INVITATION,
        refused=refused,
        min_chars=accounts.people.PASSWORD_MIN_CHARS,
    )
    return page, 400 if refused else 200


@bp.route("/connexion/oubli", methods=["GET", "POST"])
@limiter.limit("5/minute", methods=["POST"], key_func=remote_address)
def forgotten() -> ResponseReturnValue:
    """« Mot de passe oublié ? »: with e-mail, a link to the address if an account has it (the
    same answer, in the same time, whatever the address); without, whom to ask."""
    sent = False
    if request.method == "POST" and mail.configured():
        _send_reset_in_background(current_app._get_current_object(), request.form.get("email", ""))  # type: ignore[attr-defined]
        sent = True
    return render_template(
        "password_forgotten.html",
        mail_on=mail.configured(),
        sent=translate(FORGOT_SENT, hours=accounts.link_hours()) if sent else None,
    )


def _send_reset_in_background(app: Flask, email: str) -> None:
    """Look the address up, make the link and send it away from the request: the answer takes
    the same time whether or not an account has this address."""

    def run() -> None:
        with app.app_context():
            try:
                issued = accounts.forgotten(email)
                if issued is not None:
                    school = issued.user.school.name if issued.user.school else None
                    mail.send(
                        mail.password_link(
                            issued.user.email, issued.url, issued.hours, False, school
                        )
                    )
            finally:
                db.session.remove()

    threading.Thread(target=run, name="webradio-forgotten", daemon=True).start()

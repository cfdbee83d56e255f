"""Staff accounts run from the browser: invite, disable, enable, and one-time password links.

A link is a random secret of which only the SHA-256 is stored; it works once, for
PASSWORD_LINK_HOURS, and a newer link of the same account replaces it. A head acts on the
accounts of their own school, the city admin on every school's; nobody disables themself.
Each verb commits once; e-mails are the caller's, after the commit (webradio.mail).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from webradio import people, urls
from webradio.clock import now_utc
from webradio.errors import N_, Forbidden, NotFound, WebradioError
from webradio.extensions import db
from webradio.models import ROLES, PasswordLink, School, User

LINK_PATH = "/compte/mot-de-passe/"
CITY_ADMIN = "city-admin"
HEAD = "head"
TEACHER = "teacher"
LINK_GONE = N_(
    "Ce lien n'est plus valable : il a déjà servi, il a expiré, ou un lien plus récent l'a "
    "remplacé. Demandez-en un nouveau à la direction de l'école (ou, pour un directeur, au "
    "service informatique de la ville)."
)
_EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"


class LinkPurpose(StrEnum):
    """Why a link was made: a new account's first password, or a new password."""

    INVITATION = "invitation"
    RESET = "reset"


class AccountState(StrEnum):
    """How an account stands, as the team pages show it."""

    ACTIVE = "active"
    INVITED = "invited"  # never chose a password yet
    DISABLED = "disabled"


class LinkGone(WebradioError):
    """A password link that is unknown, used, replaced or expired (said plainly, not a 500)."""

    http_status = 410


@dataclass(frozen=True)
class IssuedLink:
    """A link just made: shown once to whoever asked, or e-mailed; never stored in clear."""

    user: User
    url: str
    expires_at: datetime
    purpose: LinkPurpose

    @property
    def hours(self) -> int:
        """How long the link works, in hours."""
        return link_hours()


@dataclass(frozen=True)
class AccountRow:
    """A staff account as the team pages list it."""

    id: str
    email: str
    role: str
    state: AccountState
    school_id: str | None


def link_hours() -> int:
    """How long a password link works (PASSWORD_LINK_HOURS, default 72)."""
    return int(current_app.config.get("PASSWORD_LINK_HOURS", 72))


def _digest(token: str) -> str:
    """What is stored of a link's secret."""
    return hashlib.sha256(token.encode()).hexdigest()


def _unusable_password() -> str:
    """A hash of a password nobody knows: an invited account signs in only after its link."""
    return generate_password_hash(secrets.token_urlsafe(32))


def check_email(email: str) -> str:
    """The address, trimmed and lower-case, or a refusal saying what an address looks like."""
    cleaned = email.strip().lower()
    if len(cleaned) > 254 or not re.match(_EMAIL_SHAPE, cleaned):
        raise WebradioError(
            N_("« %(email)s » n’est pas une adresse e-mail valide (exemple : prenom@ecole.fr)."),
            email=email.strip(),
        )
    return cleaned


def state_of(user: User) -> AccountState:
    """Disabled, invited (no password chosen yet) or active."""
    if user.disabled_at is not None:
        return AccountState.DISABLED
    pending = db.session.scalars(
        select(PasswordLink.id).where(
            PasswordLink.user_id == user.id,
            PasswordLink.purpose == LinkPurpose.INVITATION,
            PasswordLink.used_at.is_(None),
        )
    ).first()
    return AccountState.INVITED if pending is not None else AccountState.ACTIVE


def team(school: School) -> list[AccountRow]:
    """The school's staff accounts by e-mail, with their state."""
    found = db.session.scalars(
        select(User).where(User.school_id == school.id).order_by(User.email, User.id)
    )
    return [AccountRow(u.id, u.email, u.role, state_of(u), u.school_id) for u in found]


def heads_of(school_ids: list[str]) -> dict[str, list[AccountRow]]:
    """Per school id, its heads' accounts with their state."""
    found: dict[str, list[AccountRow]] = {i: [] for i in school_ids}
    for user in db.session.scalars(
        select(User).where(User.school_id.in_(school_ids), User.role == HEAD).order_by(User.email)
    ):
        row = AccountRow(user.id, user.email, user.role, state_of(user), user.school_id)
        found[str(user.school_id)].append(row)
    return found


def account_for(acting: User, user_id: str) -> User:
    """The account `acting` may manage: one of their school's for a head, any school's
    account for the city admin; another school's account is not visible (NotFound)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(N_("Ce compte n'existe pas (ou plus)."))
    if acting.role == CITY_ADMIN:
        return user
    if acting.role == HEAD and acting.school_id is not None and user.school_id == acting.school_id:
        return user
    raise NotFound(N_("Ce compte n'existe pas (ou plus)."))


def invite(email: str, role: str, school: School | None, by: User | None) -> IssuedLink:
    """Open an account without a password and make its one-time link to choose one.

    A head invites teachers of their school; the city admin invites heads (or teachers) of any
    school. The command line (`by` None) may invite any role.
    """
    if role not in ROLES:
        raise WebradioError(
            N_("Rôle inconnu « %(role)s » ; choisir parmi : %(choices)s."),
            role=role,
            choices=", ".join(ROLES),
        )
    if by is not None:
        allowed = {TEACHER} if by.role == HEAD else {HEAD, TEACHER}
        if role not in allowed or (
            by.role == HEAD and (school is None or school.id != by.school_id)
        ):
            raise Forbidden(N_("Votre rôle ne permet pas d'ouvrir ce compte."))
    if role != CITY_ADMIN and school is None:
        raise WebradioError(N_("Un directeur ou un enseignant doit être rattaché à une école."))
    address = check_email(email)
    if db.session.scalars(select(User).filter_by(email=address)).first():
        raise WebradioError(N_("Un compte existe déjà pour %(email)s."), email=address)
    user = User(
        email=address,
        role=role,
        password_hash=_unusable_password(),
        school_id=school.id if school else None,
    )
    db.session.add(user)
    db.session.flush()
    return _issue(user, LinkPurpose.INVITATION, by)


def reset_link(user: User, by: User | None) -> IssuedLink:
    """A new one-time link for the account to choose a password (earlier links stop working).

    The current password keeps working until the link is used: a reset asked by mistake locks
    nobody out. A disabled account gets no link.
    """
    if user.disabled_at is not None:
        raise WebradioError(N_("Ce compte est désactivé : réactivez-le d'abord."))
    purpose = (
        LinkPurpose.INVITATION if state_of(user) == AccountState.INVITED else LinkPurpose.RESET
    )
    return _issue(user, purpose, by)


def _issue(user: User, purpose: LinkPurpose, by: User | None) -> IssuedLink:
    """Replace the account's open links by a new one; commit; the secret leaves in the URL."""
    now = now_utc()
    _close_links(user, now)
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=link_hours())
    db.session.add(
        PasswordLink(
            user_id=user.id,
            token_hash=_digest(token),
            purpose=purpose,
            created_by=by.id if by is not None else None,
            created_at=now,
            expires_at=expires,
        )
    )
    db.session.commit()
    return IssuedLink(user, urls.base() + LINK_PATH + token, expires, purpose)


def _close_links(user: User, now: datetime) -> None:
    """Stage: every open link of the account stops working (superseded, or account disabled)."""
    db.session.execute(
        update(PasswordLink)
        .where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
        .values(used_at=now)
    )


def open_link(token: str) -> PasswordLink:
    """The live link this secret opens, or LinkGone (unknown, used, replaced, expired, or its
    account disabled)."""
    link = db.session.scalars(
        select(PasswordLink).filter_by(token_hash=_digest(token.strip()))
    ).first()
    if (
        link is None
        or link.used_at is not None
        or link.expires_at <= now_utc()
        or link.user.disabled_at is not None
    ):
        raise LinkGone(LINK_GONE)
    return link


def use_link(token: str, password: str, confirmation: str) -> User:
    """Set the account's password through its link, once; every earlier session ends."""
    link = open_link(token)
    if password != confirmation:
        raise WebradioError(N_("Les deux mots de passe ne sont pas identiques."))
    people.check_password(password)
    user = link.user
    user.password_hash = generate_password_hash(password)
    user.session_epoch += 1
    _close_links(user, now_utc())
    db.session.commit()
    return user


def disable(user: User, by: User | None) -> User:
    """Disable an account: it cannot sign in, its sessions end and its links stop working."""
    if by is not None and by.id == user.id:
        raise WebradioError(N_("Vous ne pouvez pas désactiver votre propre compte."))
    if user.disabled_at is None:
        now = now_utc()
        user.disabled_at = now
        user.session_epoch += 1
        _close_links(user, now)
        db.session.commit()
    return user


def enable(user: User) -> User:
    """Let a disabled account sign in again (with its password; a new link if it has none)."""
    user.disabled_at = None
    db.session.commit()
    return user


def find_by_email(email: str) -> User | None:
    """The account with this address, if any."""
    return db.session.scalars(select(User).filter_by(email=email.strip().lower())).first()


def forgotten(email: str) -> IssuedLink | None:
    """A reset link for the enabled account with this address, else None (the caller answers
    the same either way)."""
    user = find_by_email(email)
    if user is None or user.disabled_at is not None:
        return None
    return reset_link(user, None)


def head_addresses(school_id: str) -> tuple[str, ...]:
    """The e-mail addresses of the school's enabled heads (told of a request to approve)."""
    return tuple(
        db.session.scalars(
            select(User.email)
            .where(User.school_id == school_id, User.role == HEAD, User.disabled_at.is_(None))
            .order_by(User.email)
        )
    )


def address_of(user_id: str | None) -> tuple[str, ...]:
    """The address of an enabled account (the teacher told of a decision), or none."""
    user = db.session.get(User, user_id) if user_id else None
    return (user.email,) if user is not None and user.disabled_at is None else ()

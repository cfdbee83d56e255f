"""Who is on record, for the city IT team: `pupil list`, `class list`, `user list|reset-password`,
`user link|disable|enable`.

Lists print one tab-separated line per row, its id first, or one JSON object with `--json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import click
from flask.cli import AppGroup, with_appcontext

from webradio import accounts, people, schools
from webradio.cli.common import password, refusals, say
from webradio.cli.consent import pupil
from webradio.errors import N_, NotFound
from webradio.models import User

PASSWORD = N_("Mot de passe")


def _print(
    key: str, rows: Sequence[people.ClassRow | people.PupilRow | people.UserRow], as_json: bool
) -> None:
    """One JSON object `{key: [rows]}` with --json, else one tab-separated line per row."""
    if as_json:
        click.echo(json.dumps({key: [r.as_dict() for r in rows]}, ensure_ascii=False))
        return
    for row in rows:
        click.echo("\t".join("" if v is None else str(v) for v in row.as_dict().values()))


@pupil.command("list")
@click.option("--school", "slug", required=True, help="L'école (son identifiant).")
@click.option("--class", "class_label", help="Seulement cette classe (son libellé).")
@click.option("--json", "as_json", is_flag=True)
@refusals
def pupil_list(slug: str, class_label: str | None, as_json: bool) -> None:
    """Pupils on record: id, first name, class id, class label (erased pupils never listed)."""
    _print("pupils", people.list_pupils(schools.get_school(slug), class_label), as_json)


@click.group(name="class", cls=AppGroup)
def class_group() -> None:
    """Classes."""


@class_group.command("list")
@click.option("--school", "slug", required=True, help="L'école (son identifiant).")
@click.option("--json", "as_json", is_flag=True)
@refusals
def class_list(slug: str, as_json: bool) -> None:
    """Classes: id, label, number of pupils on record."""
    _print("classes", people.list_classes(schools.get_school(slug)), as_json)


@click.command("list")
@with_appcontext
@click.option("--school", "slug", help="Seulement les comptes de cette école.")
@click.option("--json", "as_json", is_flag=True)
@refusals
def user_list(slug: str | None, as_json: bool) -> None:
    """Staff accounts: id, e-mail, role, school slug (empty for the city)."""
    found = schools.get_school(slug) if slug else None
    _print("users", people.list_users(found), as_json)


@click.command("reset-password")
@with_appcontext
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="read the new password from stdin")
@click.option("--json", "as_json", is_flag=True)
@refusals
def user_reset_password(email: str, password_stdin: bool, as_json: bool) -> None:
    """Set a new password for an account; prints its id (never the password)."""
    _account(email)  # a mistyped address is said before the password is asked for
    user = people.reset_password(email, password(password_stdin))
    say(N_("Mot de passe changé pour %(email)s ; l'ancien ne fonctionne plus."), email=user.email)
    if as_json:
        click.echo(json.dumps({"id": user.id, "email": user.email}, ensure_ascii=False))
        return
    click.echo(user.id)


def _account(email: str) -> User:
    """The account with this address, or a refusal naming it."""
    found = accounts.find_by_email(email)
    if found is None:
        raise NotFound(N_("Aucun compte pour %(email)s."), email=email)
    return found


@click.command("link")
@with_appcontext
@click.argument("email")
@click.option("--json", "as_json", is_flag=True)
@refusals
def user_link(email: str, as_json: bool) -> None:
    """A one-time link for the account to choose its password (the URL on the last line)."""
    issued = accounts.reset_link(_account(email), None)
    say(
        N_("Lien à usage unique pour %(email)s, valable %(hours)d heures :"),
        email=issued.user.email,
        hours=issued.hours,
    )
    if as_json:
        values = {"id": issued.user.id, "email": issued.user.email, "url": issued.url}
        click.echo(json.dumps({**values, "expires_at": issued.expires_at.isoformat() + "Z"}))
        return
    click.echo(issued.url)


@click.command("disable")
@with_appcontext
@click.argument("email")
@refusals
def user_disable(email: str) -> None:
    """Disable an account (no sign-in, its sessions end); prints its id."""
    user = accounts.disable(_account(email), None)
    say(N_("Compte de %(email)s désactivé : il ne peut plus se connecter."), email=user.email)
    click.echo(user.id)


@click.command("enable")
@with_appcontext
@click.argument("email")
@refusals
def user_enable(email: str) -> None:
    """Let a disabled account sign in again; prints its id."""
    user = accounts.enable(_account(email))
    say(N_("Compte de %(email)s réactivé."), email=user.email)
    click.echo(user.id)


@click.group(cls=AppGroup)
def user() -> None:
    """Staff accounts."""


# Built apart (the tests call them alone), so each pushes the app context itself.
for _command in (user_list, user_reset_password, user_link, user_disable, user_enable):
    user.add_command(_command)


@user.command("create")
@click.argument("email")
@click.option("--role", required=True, help="city-admin, head, teacher")
@click.option("--school", "slug")
@click.option("--password-stdin", is_flag=True, help="read the password from stdin")
@refusals
def user_create(email: str, role: str, slug: str | None, password_stdin: bool) -> None:
    """Create a staff account; prints its id."""
    found = schools.get_school(slug) if slug else None
    chosen = password(password_stdin, PASSWORD)
    click.echo(schools.create_user(email, role, chosen, found).id)

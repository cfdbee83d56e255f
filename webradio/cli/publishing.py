"""Feeds and family tokens: `webradio feeds ...`, `webradio family-token ...`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webradio import outputs, schools, sharing, urls
from webradio.cli.common import refusals, say
from webradio.errors import N_


@click.group(name="feeds", cls=AppGroup)
def feeds_group() -> None:
    """Feeds."""


@feeds_group.command("rebuild")
@refusals
def feeds_rebuild() -> None:
    """Rewrite every school's feed files; prints the slugs whose feed changed."""
    for slug in outputs.refresh({outputs.EVERY_SCHOOL}):
        click.echo(slug)


@click.group(name="family-token", cls=AppGroup)
def family_token_group() -> None:
    """Family tokens: the private feed address of one family, revocable one by one."""


@family_token_group.command("create")
@click.option("--school", "slug", required=True, help="L'école (son identifiant).")
@click.option("--label", required=True, help="Un libellé pour la reconnaître (jamais d'e-mail).")
@refusals
def family_token_create(slug: str, label: str) -> None:
    """Create a family access; prints its id, then the family feed URL on the last line."""
    token = sharing.create_token(schools.get_school(slug), label)
    say(N_("Accès famille créé. Donnez cette adresse à la famille seulement."))
    click.echo(token.id)
    click.echo(urls.family_feed(token.token))


@family_token_group.command("list")
@click.option("--school", "slug", required=True, help="L'école (son identifiant).")
@refusals
def family_token_list(slug: str) -> None:
    """One line per token: id, label, date created, live or revoked (tab-separated)."""
    for token in sharing.list_tokens(schools.get_school(slug)):
        state = "revoked" if token.revoked_at else "live"
        created = token.created_at.date().isoformat()
        click.echo("\t".join((token.id, token.label, created, state)))


@family_token_group.command("revoke")
@click.argument("token_id")
@refusals
def family_token_revoke(token_id: str) -> None:
    """Revoke a family access; its feed and media stop working before this returns."""
    sharing.revoke_token(sharing.get_token(token_id))
    say(N_("Accès révoqué : ce flux familial ne fonctionne plus."))

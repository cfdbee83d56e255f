"""Feeds and family tokens: `webradio feeds ...`."""

from __future__ import annotations

import click

from webradio import feeds
from webradio.cli.common import refusals


@click.group(name="feeds")
def feeds_group() -> None:
    """Feeds."""


@feeds_group.command("rebuild")
@refusals
def feeds_rebuild() -> None:
    """Rewrite every school's feed files; prints the slugs whose feed changed."""
    for slug in feeds.rebuild_all():
        click.echo(slug)


@click.group(name="family-token")
def family_token_group() -> None:
    """Family tokens: the private feed address of one family, revocable one by one."""

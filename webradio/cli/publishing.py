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

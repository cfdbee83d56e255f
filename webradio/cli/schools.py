"""Schools: `webradio school create|show`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webradio import schools
from webradio.cli.common import refusals, show


@click.group(cls=AppGroup)
def school() -> None:
    """Schools."""


@school.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@refusals
def school_create(slug: str, name: str) -> None:
    """Create a school; prints its slug."""
    created = schools.create_school(slug, name)
    click.echo(created.slug)


@school.command("show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True)
@refusals
def school_show(slug: str, as_json: bool) -> None:
    """Describe a school."""
    show(schools.school_summary(schools.get_school(slug)), as_json)

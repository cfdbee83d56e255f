"""Schools: `webradio school create|show|set`."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from webradio import schools
from webradio.cli.common import refusals, say, show, translate
from webradio.errors import N_


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


NOTHING_TO_SET = N_("Rien à changer : indiquez un réglage, par exemple --noise-reduction on.")
NOISE_REDUCTION_ON = N_(
    "Réduction du bruit de fond activée pour « %(name)s » : elle s’applique aux prochains "
    "rendus (sauf aux épisodes réglés autrement) ; les épisodes déjà prêts ne changent pas."
)
NOISE_REDUCTION_OFF = N_(
    "Réduction du bruit de fond désactivée pour « %(name)s » : les prochains rendus ne "
    "l’appliquent plus (sauf aux épisodes réglés autrement)."
)


@school.command("set")
@click.argument("slug")
@click.option(
    "--noise-reduction",
    type=click.Choice(["on", "off"], case_sensitive=False),
    help="Réduire le bruit de fond (souffle, ventilation) dans les rendus de l'école.",
)
@click.option("--json", "as_json", is_flag=True)
@refusals
def school_set(slug: str, noise_reduction: str | None, as_json: bool) -> None:
    """Change a school's settings; prints its slug."""
    if noise_reduction is None:
        raise click.UsageError(translate(NOTHING_TO_SET))
    found = schools.get_school(slug)
    reduce = noise_reduction.lower() == "on"
    # The settings page's verb, the other settings kept as they are.
    schools.update_settings(
        found,
        description=found.description or "",
        contact_email=found.contact_email or "",
        directories_opt_in=bool(found.directories_opt_in),
        preset=found.preset,
        noise_reduction=reduce,
    )
    say(NOISE_REDUCTION_ON if reduce else NOISE_REDUCTION_OFF, name=found.name)
    if as_json:
        click.echo(json.dumps({"slug": found.slug, "noise_reduction": reduce}))
        return
    click.echo(found.slug)

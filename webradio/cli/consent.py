"""Pupils and parental authorisations: `webradio pupil ...`, `webradio consent ...`."""

from __future__ import annotations

from typing import Any

import click

from webradio import authorisations, consent, schools
from webradio.cli.common import refusals


@click.group()
def pupil() -> None:
    """Pupils (first name or pseudonym only)."""


@pupil.command("add")
@click.option("--school", "slug", required=True)
@click.option("--class", "class_label", required=True)
@click.option("--first-name", required=True)
@refusals
def pupil_add(slug: str, class_label: str, first_name: str) -> None:
    """Add a pupil; prints its id."""
    click.echo(schools.add_pupil(schools.get_school(slug), class_label, first_name).id)


@click.group(name="consent")
def consent_group() -> None:
    """Parental authorisations."""


@consent_group.command("grant")
@click.argument("pupil_id")
@click.option("--audiences", required=True, help="class,families,public,directories")
@click.option("--until", "until", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--credit-first-name", is_flag=True)
@refusals
def consent_grant(pupil_id: str, audiences: str, until: Any, credit_first_name: bool) -> None:
    """Record a family's authorisation for this school year; prints its id."""
    request = authorisations.GrantRequest(
        audiences=consent.parse_audiences(audiences),
        valid_until=until.date() if until else None,
        credit_first_name=credit_first_name,
    )
    click.echo(authorisations.grant(schools.get_pupil(pupil_id), request).id)


@consent_group.command("withdraw")
@click.argument("pupil_id")
@click.option("--audiences", help="withdraw only these (default: all)")
@refusals
def consent_withdraw(pupil_id: str, audiences: str | None) -> None:
    """Record a withdrawal; every channel drops what is no longer cleared before this returns."""
    chosen = consent.parse_audiences(audiences) if audiences else None
    click.echo(authorisations.withdraw(schools.get_pupil(pupil_id), chosen).id)

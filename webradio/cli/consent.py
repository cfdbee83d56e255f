"""Pupils and parental authorisations: `webradio pupil ...`, `webradio consent ...`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from webradio import authorisations, consent, pupils, retention, schools
from webradio.cli.common import refusals, say
from webradio.clock import today_paris
from webradio.errors import N_, WebradioError


@click.group(cls=AppGroup)
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


@click.group(name="consent", cls=AppGroup)
def consent_group() -> None:
    """Parental authorisations."""


@consent_group.command("grant")
@click.argument("pupil_id")
@click.option("--audiences", required=True, help="class,families,public,directories")
@click.option("--until", "until", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--credit-first-name", is_flag=True)
@click.option("--signed-on", type=click.DateTime(["%Y-%m-%d"]), help="date on the paper form")
@click.option("--guardians", type=click.IntRange(1, 2), help="1 or 2 legal guardians signed")
@click.option("--pupil-assent/--no-pupil-assent", default=None, help="the pupil's own agreement")
@refusals
def consent_grant(
    pupil_id: str,
    audiences: str,
    until: Any,
    credit_first_name: bool,
    signed_on: Any,
    guardians: int | None,
    pupil_assent: bool | None,
) -> None:
    """Record a family's authorisation for this school year; prints its id."""
    found = schools.get_pupil(pupil_id)
    first = authorisations.is_first_grant(found)
    if first and signed_on is None:
        say("Date de signature non indiquée : aujourd'hui (--signed-on).")
    if first and guardians is None:
        say("Nombre de signataires non indiqué : un responsable légal (--guardians).")
    request = authorisations.GrantRequest(
        audiences=consent.parse_audiences(audiences),
        valid_until=until.date() if until else None,
        credit_first_name=credit_first_name,
        signed_on=signed_on.date() if signed_on else (today_paris() if first else None),
        guardians_signed=guardians or (1 if first else None),
        pupil_assent=pupil_assent,
    )
    click.echo(authorisations.grant(found, request).id)


@consent_group.command("withdraw")
@click.argument("pupil_id")
@click.option("--audiences", help="withdraw only these (default: all)")
@refusals
def consent_withdraw(pupil_id: str, audiences: str | None) -> None:
    """Record a withdrawal; every channel drops what is no longer cleared before this returns."""
    chosen = consent.parse_audiences(audiences) if audiences else None
    click.echo(authorisations.withdraw(schools.get_pupil(pupil_id), chosen).id)


@consent_group.command("show")
@click.argument("pupil_id")
@click.option("--json", "as_json", is_flag=True)
@refusals
def consent_show(pupil_id: str, as_json: bool) -> None:
    """The pupil's authorisation now: audiences, until when, and its history."""
    summary = pupils.consent_summary(schools.get_pupil(pupil_id))
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    history = summary.pop("history")
    for key, value in summary.items():
        click.echo(f"{key}: {value}")
    assert isinstance(history, list)
    for event in history:
        before, after = event["audiences_before"] or "-", event["audiences_after"] or "-"
        click.echo(f"{event['at']} {event['kind']} {before} -> {after} ({event['valid_until']})")


@consent_group.command("sweep")
@refusals
def consent_sweep() -> None:
    """Record expiries, withdraw what they end, delete raw takes past retention, rebuild feeds."""
    report = retention.sweep()
    say(
        "Autorisations expirées : %(grants)d ; épisodes retirés : %(episodes)d ; "
        "prises effacées : %(takes)d.",
        grants=len(report.expired_grant_ids),
        episodes=len(report.withdrawn_episode_ids),
        takes=len(report.deleted_take_ids),
    )
    for episode_id in report.withdrawn_episode_ids:
        click.echo(episode_id)


@pupil.command("export")
@click.argument("pupil_id")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@refusals
def pupil_export(pupil_id: str, out: Path) -> None:
    """Write a zip of everything held about the pupil (JSON, and their takes); prints the path."""
    if not out.parent.is_dir():
        raise WebradioError(N_("Le dossier %(folder)s n'existe pas."), folder=str(out.parent))
    written = pupils.export(schools.get_pupil(pupil_id), out)
    say("Export écrit : %(path)s", path=str(written))
    click.echo(str(written))


@pupil.command("erase")
@click.argument("pupil_id")
@refusals
def pupil_erase(pupil_id: str) -> None:
    """Erase a pupil: takes deleted, episodes withdrawn and flagged; prints the pupil's id."""
    found = schools.get_pupil(pupil_id)
    withdrawn = pupils.erase(found)
    say(
        "Élève effacé ; épisodes concernés, retirés et signalés : %(count)d.",
        count=len(withdrawn),
    )
    click.echo(found.id)

"""Episodes: `webradio episode create|publish|show`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from webradio import episodes, publication, reasons, schools
from webradio.cli.common import refusals, say, show


@click.group(cls=AppGroup)
def episode() -> None:
    """Episodes."""


@episode.command("create")
@click.option("--school", "slug", required=True)
@click.option("--title", required=True)
@click.option("--description", default="")
@click.option(
    "--take",
    "take_paths",
    multiple=True,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option("--participant", "participants", multiple=True)
@click.option("--no-pupil-voices", is_flag=True)
@click.option("--audience", required=True)
@click.option("--wait", is_flag=True, help="render now and return when ready or failed")
@refusals
def episode_create(
    slug: str,
    title: str,
    description: str,
    take_paths: tuple[Path, ...],
    participants: tuple[str, ...],
    no_pupil_voices: bool,
    audience: str,
    wait: bool,
) -> None:
    """Create an episode from audio files; prints its id."""
    from webradio import takes

    found = schools.get_school(slug)
    take_ids = []
    for path in take_paths:
        with path.open("rb") as stream:
            take_ids.append(takes.ingest(found, stream, label=path.stem).id)
    draft = episodes.EpisodeDraft(
        title=title,
        description=description,
        take_ids=take_ids,
        audience=audience,
        participant_ids=participants,
        no_pupil_voices=no_pupil_voices,
    )
    created = episodes.create(found, draft)
    if not wait:
        episodes.queue_render(created)
        click.echo(created.id)
        return
    click.echo(created.id)
    episodes.render_episode(created.id)


@episode.command("publish")
@click.argument("episode_id")
@refusals
def episode_publish(episode_id: str) -> None:
    """Publish to every audience cleared now: exit 0 as requested, 3 narrower, 1 none."""
    found = episodes.get_episode(episode_id)
    cleared = publication.publish(found, approved_by=None)
    known = reasons.first_names(found.school_id)
    for audience in cleared.blocked_audiences():
        say(
            "Bloqué pour %(audience)s : %(reason)s",
            audience=audience,
            reason=reasons.audience_reason(cleared, audience, known),
        )
    say("Publié pour : %(audiences)s", audiences=", ".join(cleared.audiences))
    click.echo(found.id)
    if found.requested_audience not in cleared.audiences:
        sys.exit(3)


@episode.command("show")
@click.argument("episode_id")
@click.option("--json", "as_json", is_flag=True)
@refusals
def episode_show(episode_id: str, as_json: bool) -> None:
    """Describe an episode: state, audiences cleared now, what blocks the others."""
    show(episodes.describe(episodes.get_episode(episode_id)), as_json)

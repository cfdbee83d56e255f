"""The `webradio` command line for the city IT team: ids on stdout, messages on stderr."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import FlaskGroup
from flask_migrate.cli import db as db_group

from webradio import authorisations, consent, create_app, episodes, feeds, publication, schools
from webradio.errors import WebradioError
from webradio.web import translate

F = TypeVar("F", bound=Callable[..., Any])


def say(message: str, **params: object) -> None:
    """A message for people, on stderr, in the configured language."""
    click.echo(translate(message, **params), err=True)


def show(values: dict[str, object], as_json: bool) -> None:
    """Print a description: one JSON object with --json, else one `key: value` per line."""
    if as_json:
        click.echo(json.dumps(values, ensure_ascii=False))
        return
    for key, value in values.items():
        click.echo(f"{key}: {value}")


def refusals(command: F) -> F:
    """Turn a WebradioError into its message on stderr and exit code 1, never a traceback."""

    @functools.wraps(command)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except WebradioError as error:
            say(error.message, **error.params)
            sys.exit(1)

    return wrapped  # type: ignore[return-value]


@click.group(
    cls=FlaskGroup, create_app=create_app, add_default_commands=False, add_version_option=False
)
def main() -> None:
    """webradio : la webradio des écoles / school web radio."""


main.add_command(db_group)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    """Serve the app and run its job worker in one process."""
    from webradio.serve import run_all

    run_all(current_app._get_current_object(), host, port)  # type: ignore[attr-defined]


@main.command()
def worker() -> None:
    """Run a job worker alone."""
    from webradio.serve import worker_only

    worker_only(current_app._get_current_object())  # type: ignore[attr-defined]


@main.command()
@refusals
def demo() -> None:
    """Seed the demo school on first start and print its sign-in (the password is shown once)."""
    from webradio.demo import seed

    seed()


@main.command()
def doctor() -> None:
    """Print the ffmpeg, database, storage and queue in use."""
    from webradio import runtime

    binary = runtime.ffmpeg()
    url = current_app.config["DATABASE_URL"]
    safe_url = url.split("@")[-1] if "@" in url else url
    click.echo(f"ffmpeg   : {binary.path}")
    click.echo(f"version  : {binary.version_text} ({binary.source} : {binary.reason})")
    click.echo(f"database : {safe_url}")
    click.echo(f"storage  : {current_app.config['STORAGE']} {current_app.config['MEDIA_ROOT']}")
    click.echo(f"feeds    : {current_app.config['FEEDS_ROOT']}")
    click.echo(f"queue    : {current_app.config['QUEUE_URL'].split('@')[-1]}")
    click.echo(f"base url : {current_app.config['BASE_URL']}")


@main.command()
@click.argument("in_path", type=click.Path(path_type=Path))
@click.argument("out_path", type=click.Path(path_type=Path))
@click.option("--preset", default="podcast", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@refusals
def process(in_path: Path, out_path: Path, preset: str, as_json: bool) -> None:
    """Clean one take: loudness, true peak, silences; write an MP3."""
    from webradio import runtime
    from webradio.audio.pipeline import process as run_pipeline
    from webradio.audio.presets import get_preset

    if not in_path.is_file():
        raise WebradioError("Fichier introuvable : %(path)s", path=str(in_path))
    report = run_pipeline(in_path, out_path, get_preset(preset), runtime.ffmpeg())
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        for key, value in report.to_json().items():
            click.echo(f"{key}: {value}", err=True)
        click.echo(str(out_path))


@main.group()
def school() -> None:
    """Schools."""


@school.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@refusals
def school_create(slug: str, name: str) -> None:
    """Create a school; prints its slug."""
    created = schools.create_school(slug, name)
    feeds.rebuild_school(created)
    click.echo(created.slug)


@school.command("show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True)
@refusals
def school_show(slug: str, as_json: bool) -> None:
    """Describe a school."""
    show(schools.school_summary(schools.get_school(slug)), as_json)


@main.group()
def user() -> None:
    """Staff accounts."""


@user.command("create")
@click.argument("email")
@click.option("--role", required=True, help="city-admin, head, teacher")
@click.option("--school", "slug")
@click.option("--password-stdin", is_flag=True, help="read the password from stdin")
@refusals
def user_create(email: str, role: str, slug: str | None, password_stdin: bool) -> None:
    """Create a staff account; prints its id."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    found = schools.get_school(slug) if slug else None
    click.echo(schools.create_user(email, role, password, found).id)


@main.group()
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


@main.group(name="consent")
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


@main.group()
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
    for blocked in cleared.blocked:
        say(
            "Bloqué pour %(audience)s : %(reason)s",
            audience=blocked.audience,
            reason=blocked.reason,
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


@main.group(name="feeds")
def feeds_group() -> None:
    """Feeds."""


@feeds_group.command("rebuild")
@refusals
def feeds_rebuild() -> None:
    """Rewrite every school's feed files; prints the slugs whose feed changed."""
    for slug in feeds.rebuild_all():
        click.echo(slug)

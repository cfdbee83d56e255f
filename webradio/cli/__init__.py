"""The `webradio` command line for the city IT team: ids on stdout, messages on stderr."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup
from flask_migrate.cli import db as db_group

from webradio import create_app, episodes, publication, reasons, schools
from webradio.cli import audio, consent, people, publishing
from webradio.cli.common import refusals, say, show


@click.group(
    cls=FlaskGroup, create_app=create_app, add_default_commands=False, add_version_option=False
)
def main() -> None:
    """webradio : la webradio des écoles / school web radio."""


main.add_command(db_group)
main.add_command(audio.process)
main.add_command(consent.pupil)
main.add_command(consent.consent_group)
main.add_command(publishing.feeds_group)
main.add_command(publishing.family_token_group)
main.add_command(people.class_group)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--server", type=click.Choice(["gunicorn", "waitress"]), hidden=True)
@click.option("--one-process", is_flag=True, hidden=True, help="the old layout (benchmark)")
def run(host: str, port: int, server: str | None, one_process: bool) -> None:
    """Serve the app and run its job worker, as two processes stopped together (Ctrl+C)."""
    from webradio import serve

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if one_process:
        serve.run_all(app, host, port)
        return
    sys.exit(serve.supervise(app, host, port, server or serve.DEFAULT_SERVER))


@main.command()
def worker() -> None:
    """Run a job worker alone, at a low CPU and disk priority (scale path)."""
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


user.add_command(people.user_list)
user.add_command(people.user_reset_password)
user.add_command(people.user_link)
user.add_command(people.user_disable)
user.add_command(people.user_enable)


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

"""The `webradio` command group (Flask's): ids on stdout, messages on stderr.

Each group lives in its own module, imported only when its name is typed: `webradio process`
reads a take and writes an MP3 without importing the database, the queue or the web app
(CONTRACT 1; it used to pay two seconds for them before its first ffmpeg). The installed
command does not even import this module for `process` (see `webradio.cli.entry`).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup

from webradio.cli.common import refusals, say, translate
from webradio.errors import N_

# Command name -> "module:attribute" of its click command or group.
COMMANDS = {
    "db": "flask_migrate.cli:db",
    "process": "webradio.cli.audio:process",
    # people adds `pupil list` to consent's pupil group, and `user`'s commands.
    "pupil": "webradio.cli.people:pupil",
    "consent": "webradio.cli.consent:consent_group",
    "feeds": "webradio.cli.publishing:feeds_group",
    "family-token": "webradio.cli.publishing:family_token_group",
    "class": "webradio.cli.people:class_group",
    "school": "webradio.cli.schools:school",
    "user": "webradio.cli.people:user",
    "episode": "webradio.cli.episodes:episode",
}


def create_app() -> Any:
    """The app, for the commands that run in its context (the factory imported only then)."""
    from webradio.factory import create_app as factory

    return factory()


class LazyGroup(FlaskGroup):
    """A FlaskGroup whose COMMANDS are imported when named (the app is built by those that
    need it, through their AppGroup's app context)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, lazy ones included (the help lists them all)."""
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command called `cmd_name`, its module imported now if it is a lazy one."""
        if cmd_name in COMMANDS:
            module, attribute = COMMANDS[cmd_name].split(":")
            found: click.Command = getattr(importlib.import_module(module), attribute)
            return found
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, create_app=create_app, add_default_commands=False,
             add_version_option=False)  # fmt: skip
def main() -> None:
    """webradio : la webradio des écoles / school web radio."""


def _app() -> Any:
    """The app the current command runs in."""
    return current_app._get_current_object()  # type: ignore[attr-defined]


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--server", type=click.Choice(["gunicorn", "waitress"]), hidden=True)
@click.option("--one-process", is_flag=True, hidden=True, help="the old layout (benchmark)")
def run(host: str, port: int, server: str | None, one_process: bool) -> None:
    """Serve the app and run its job worker, as two processes stopped together (Ctrl+C)."""
    from webradio import serve

    if one_process:
        serve.run_all(_app(), host, port)
        return
    sys.exit(serve.supervise(_app(), host, port, server or serve.DEFAULT_SERVER))


@main.command()
def worker() -> None:
    """Run a job worker alone, at a low CPU and disk priority (scale path)."""
    from webradio.serve import worker_only

    worker_only(_app())


@main.command()
@refusals
def demo() -> None:
    """Seed the demo school on first start and print its sign-in (the password is shown once)."""
    from webradio.demo import seed

    seed()


WAITING = N_(
    "Fichiers publics en attente de réécriture depuis le %(since)s : %(schools)s (disque plein ? "
    "libérez de la place : le worker les réécrit dans la minute)"
)
CITY_FILES = N_("les pages de la ville")


@main.command()
def doctor() -> None:
    """Print the ffmpeg, database, storage and queue in use; exit 1, saying so, while public
    files wait to be rewritten (a rewrite keeps failing: a full disk?)."""
    from webradio import runtime

    binary = runtime.ffmpeg()
    config = current_app.config
    url = config["DATABASE_URL"]
    safe_url = url.split("@")[-1] if "@" in url else url
    click.echo(f"ffmpeg   : {binary.path}")
    click.echo(f"version  : {binary.version_text} ({binary.source} : {binary.reason})")
    click.echo(f"database : {safe_url}")
    click.echo(f"storage  : {config['STORAGE']} {config['MEDIA_ROOT']}")
    click.echo(f"feeds    : {config['FEEDS_ROOT']}")
    click.echo(f"queue    : {config['QUEUE_URL'].split('@')[-1]}")
    click.echo(f"base url : {config['BASE_URL']}")
    waiting = _files_waiting()
    if waiting:
        say(WAITING, **waiting)
        sys.exit(1)


def _files_waiting() -> dict[str, str] | None:
    """Since when (Paris time) and for which schools public files wait to be rewritten."""
    from webradio import outputs
    from webradio.clock import PARIS, aware

    late = outputs.waiting()
    if not late:
        return None
    found = outputs.waiting_schools()
    schools = ", ".join(school.name for school, _ in found) or translate(CITY_FILES)
    since = aware(min(late.values())).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
    return {"since": since, "schools": schools}

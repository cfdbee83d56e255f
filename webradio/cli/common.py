"""What every command shares: messages on stderr, descriptions, refusals as exit code 1."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from webradio.errors import N_, WebradioError

F = TypeVar("F", bound=Callable[..., Any])


def say(message: str, **params: object) -> None:
    """A message for people, on stderr, in the configured language."""
    click.echo(translate(message, **params), err=True)


def translate(message: str, **params: object) -> str:
    """The app's translation when the command runs in the app; else the catalogue's (process,
    which does not import Flask)."""
    if "flask" in sys.modules:
        from flask import current_app, has_app_context

        if has_app_context() and "babel" in current_app.extensions:
            from webradio.web import translate as in_app

            return in_app(message, **params)
    from webradio.cli.standalone import translate as standalone

    return standalone(message, **params)


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


NEW_PASSWORD = N_("Nouveau mot de passe")
PASSWORD_AGAIN = N_("Le même, encore une fois")
PASSWORDS_DIFFER = N_("Les deux saisies diffèrent : recommencez.")
STOPPED = N_("Interrompu : rien n’a changé.")


def password(from_stdin: bool, prompt: str = NEW_PASSWORD) -> str:
    """The password on stdin's first line, or typed twice at the terminal (hidden); a stop at
    the prompt (Ctrl+C, end of input) says in words that nothing changed, and exits 1."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    try:
        while True:
            typed = click.prompt(translate(prompt), hide_input=True, err=True)
            if click.prompt(translate(PASSWORD_AGAIN), hide_input=True, err=True) == typed:
                return str(typed)
            say(PASSWORDS_DIFFER)
    except click.Abort:
        click.echo(err=True)
        say(STOPPED)
        sys.exit(1)

"""A school whose rendered, published episode has chapters and a transcript, is shared with the
city, and whose only voice is Léa's; helpers to count queries and to set the clock."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from app_support import IsolatedClient, app_settings
from consent.conftest import make_episode
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from web_support import PASSWORD

from webradio import authorisations, clock, create_app, publication, schools, sharing
from webradio.clock import PARIS, today_paris
from webradio.consent import parse_audiences
from webradio.extensions import db
from webradio.models import Episode, Pupil, School

TRANSCRIPT = "WEBVTT\n\n00:00.000 --> 00:04.000\nBonjour, voici le journal.\n"


@dataclass
class Radio:
    """What a serving test starts from."""

    school: School
    lea: Pupil
    episode: Episode


def publish_radio(take_wav: Path, until: date | None = None) -> Radio:
    """École des Fichiers with Léa (public, until `until` or the end of the school year) speaking
    in one published episode with a chapter title and a transcript, shared with the city."""
    school = schools.create_school("ecole-fichiers", "École des Fichiers")
    schools.create_user("head@fichiers.fr", "head", PASSWORD, school)
    lea = schools.add_pupil(school, "CM2", "Léa")
    request = authorisations.GrantRequest(
        parse_audiences("class,families,public"),
        valid_until=until,
        signed_on=today_paris(),
        guardians_signed=1,
    )
    authorisations.grant(lea, request)
    episode = make_episode(school, take_wav, [lea], title="Le potager", labels=("Ouverture",))
    sharing.update_sharing(episode, publication.CLI, True, TRANSCRIPT)
    publication.publish(episode, approved_by=None)
    return Radio(school, lea, episode)


@pytest.fixture
def radio(app: Flask, take_wav: Path) -> Radio:
    """The school and its published episode, authorised until the end of the school year."""
    return publish_radio(take_wav)


@dataclass
class Served:
    """One app shared by the read-only tests of a module, and its published radio."""

    app: Flask
    client: FlaskClient
    radio: Radio


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, migrated_db: Path, take_wav: Path
) -> Iterator[Served]:
    """An app with the published radio, made once for the module (tests must not change it)."""
    root = tmp_path_factory.mktemp("served")
    database = root / "webradio.sqlite3"
    shutil.copyfile(migrated_db, database)
    application = create_app(app_settings(root, database))
    application.test_client_class = IsolatedClient
    with application.app_context():
        yield Served(application, application.test_client(), publish_radio(take_wav))


@contextmanager
def counted() -> Iterator[list[str]]:
    """Collect every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


SetClock = Callable[[date, time], None]


@pytest.fixture
def set_clock(monkeypatch: pytest.MonkeyPatch) -> SetClock:
    """Set the app's clock (webradio.clock.now_utc, which today_paris and the gate read) to a
    wall-clock time in Paris."""

    def setter(day: date, moment: time) -> None:
        paris = datetime.combine(day, moment, tzinfo=PARIS)
        frozen = paris.astimezone(UTC).replace(tzinfo=None)
        monkeypatch.setattr(clock, "now_utc", lambda: frozen)

    return setter


def next_day(day: date) -> date:
    """The day after `day`."""
    return day + timedelta(days=1)

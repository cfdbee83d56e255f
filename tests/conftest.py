"""Fixtures: a fresh app per test (own instance, database, media and feeds under tmp_path)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_support import IsolatedClient, app_settings
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade

from webradio import create_app
from webradio.audio.clips import make_speechlike_take
from webradio.audio.ffmpeg import find_ffmpeg
from webradio.extensions import db


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once with Alembic; each test gets a copy."""
    root = tmp_path_factory.mktemp("template")
    database = root / "template.sqlite3"
    app = create_app(app_settings(root, database))
    with app.app_context():
        upgrade()
        db.engine.dispose()  # closing the last connection folds the WAL into the file we copy
    return database


@pytest.fixture
def app(tmp_path: Path, migrated_db: Path) -> Iterator[Flask]:
    """A fresh app on its own copy of the migrated database."""
    database = tmp_path / "webradio.sqlite3"
    shutil.copyfile(migrated_db, database)
    application = create_app(app_settings(tmp_path, database))
    with application.app_context():
        yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A runner for the `webradio` commands against the app."""
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def take_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 10-second speech-like take (espeak-ng if present, else synthesis), made once."""
    path = tmp_path_factory.mktemp("audio") / "take.wav"
    return make_speechlike_take(path, find_ffmpeg(), seconds=10.0)


@pytest.fixture
def browser_path() -> str:
    """The chromium to drive; skip when this machine has none."""
    from browser_support import chromium_path

    found = chromium_path()
    if found is None:
        pytest.skip("no browser installed: chromium was not found (/usr/bin/chromium or PATH)")
    return found


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Any]:
    """The demo school served by `webradio run` in its own folder, stopped afterwards."""
    from browser_support import demo_server

    with demo_server(tmp_path) as running:
        yield running

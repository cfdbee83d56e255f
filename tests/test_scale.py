"""The scale path: the same flow on PostgreSQL and a huey queue on Redis (configuration only).

These run where WEBRADIO_TEST_POSTGRES_URL and WEBRADIO_TEST_REDIS_URL are set, as `.ci/run` does
against the machine's services; elsewhere they skip and say why.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from flask import Flask
from flask_migrate import upgrade

from webradio import create_app
from webradio.cli import main
from webradio.extensions import db

POSTGRES = os.environ.get("WEBRADIO_TEST_POSTGRES_URL")
REDIS = os.environ.get("WEBRADIO_TEST_REDIS_URL")

pytestmark = [
    pytest.mark.scale,
    pytest.mark.skipif(
        not (POSTGRES and REDIS),
        reason="WEBRADIO_TEST_POSTGRES_URL and WEBRADIO_TEST_REDIS_URL are not set "
        "(.ci/run sets them to the local PostgreSQL and Redis)",
    ),
]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    assert POSTGRES
    name = f"webradio_test_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sqlalchemy.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def scale_app(tmp_path: Path, postgres_url: str) -> Iterator[Flask]:
    """The app on PostgreSQL with its queue on Redis, migrated with Alembic."""
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": postgres_url,
            "QUEUE_URL": REDIS,
            "MEDIA_ROOT": str(tmp_path / "media"),
            "FEEDS_ROOT": str(tmp_path / "feeds"),
            "SECRET_KEY": "test",
            "BASE_URL": "http://radio.test",
        }
    )
    with app.app_context():
        upgrade()
        app.extensions["webradio.huey"].flush()
        yield app
        db.session.remove()
        db.engine.dispose()


def drain_queue(app: Flask) -> int:
    """Run what the web side queued on Redis, as a `webradio worker` would; count the tasks."""
    huey = app.extensions["webradio.huey"]
    count = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        count += 1
    return count


def test_episode_through_redis_worker_on_postgres(scale_app: Flask, take_wav: Path) -> None:
    runner = scale_app.test_cli_runner()

    def run(*args: str) -> str:
        result = runner.invoke(main, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout.strip().splitlines()[-1]

    run("school", "create", "ecole-pg", "--name", "École PG")
    pupil = run("pupil", "add", "--school", "ecole-pg", "--class", "CE1", "--first-name", "Zoé")
    run("consent", "grant", pupil, "--audiences", "class,families,public")
    episode = run(
        "episode",
        "create",
        "--school",
        "ecole-pg",
        "--title",
        "Sur PostgreSQL",
        "--take",
        str(take_wav),
        "--participant",
        pupil,
        "--audience",
        "public",
    )
    state = json.loads(run("episode", "show", episode, "--json"))["state"]
    assert state == "rendering"  # queued on Redis, not run in the command
    assert drain_queue(scale_app) == 2  # the take's analysis and the episode's render
    db.session.expire_all()
    assert json.loads(run("episode", "show", episode, "--json"))["state"] == "ready"
    run("episode", "publish", episode)
    shown = json.loads(run("episode", "show", episode, "--json"))
    assert shown["audiences"] == ["class", "families", "public"]
    feed = (Path(scale_app.config["FEEDS_ROOT"]) / "ecole-pg.xml").read_text()
    assert "Sur PostgreSQL" in feed

"""Run a migration check on a fresh PostgreSQL database, where the suite has one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy
from flask_migrate import upgrade

from webradio import create_app
from webradio.extensions import db

POSTGRES = os.environ.get("WEBRADIO_TEST_POSTGRES_URL")
needs_postgres = pytest.mark.skipif(
    not POSTGRES, reason="WEBRADIO_TEST_POSTGRES_URL is not set (.ci/run sets it)"
)


def on_fresh_postgres(tmp_path: Path, check: Callable[[], None]) -> None:
    """Create a database, migrate it to the head, run `check` in the app, drop the database."""
    assert POSTGRES
    name = f"webradio_test_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    url = sqlalchemy.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": url,
            "QUEUE_URL": "immediate",
            "MEDIA_ROOT": str(tmp_path / "media"),
            "FEEDS_ROOT": str(tmp_path / "feeds"),
            "SECRET_KEY": "test",
            "BASE_URL": "http://radio.test",
        }
    )
    try:
        with app.app_context():
            upgrade()
            check()
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

"""Migration 0006 goes down and up on SQLite, and on PostgreSQL where the suite has one."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from webradio import create_app
from webradio.extensions import db

POSTGRES = os.environ.get("WEBRADIO_TEST_POSTGRES_URL")


def shape() -> dict[str, set[str]]:
    """The columns 0006 touches, per table (password_link absent when not there)."""
    seen = inspect(db.engine)
    tables = set(seen.get_table_names())
    return {
        name: {c["name"] for c in seen.get_columns(name)}
        for name in ("user_account", "school_class", "pupil", "password_link")
        if name in tables
    }


def down_and_up() -> None:
    """Check the schema at 0006, after going down to 0005, and after coming back."""
    assert "disabled_at" in shape()["user_account"]
    assert "archived_at" in shape()["pupil"] and "archived_at" in shape()["school_class"]
    assert {"token_hash", "expires_at", "used_at"} <= shape()["password_link"]
    db.session.remove()
    downgrade(revision="0005")
    down = shape()
    assert "password_link" not in down and "disabled_at" not in down["user_account"]
    assert "archived_at" not in down["pupil"] | down["school_class"]
    upgrade()
    assert "archived_at" in shape()["pupil"] and "password_link" in shape()


def test_0006_goes_down_and_up_on_sqlite(app: Flask) -> None:
    down_and_up()


@pytest.mark.scale
@pytest.mark.skipif(not POSTGRES, reason="WEBRADIO_TEST_POSTGRES_URL is not set (.ci/run sets it)")
def test_0006_goes_down_and_up_on_postgresql(tmp_path: Path) -> None:
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
            down_and_up()
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

"""Migration 0007 goes down and up on SQLite, and on PostgreSQL where the suite has one."""

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
EPISODE = {
    "noise_reduction",
    "pending_edit_json",
    "pending_edit_by",
    "pending_edit_at",
    "edit_review_decision",
    "edit_review_comment",
}


def columns(table: str) -> set[str]:
    """The table's column names as the database has them."""
    return {c["name"] for c in inspect(db.engine).get_columns(table)}


def down_and_up() -> None:
    """Check the schema at 0007, after going down to 0006, and after coming back."""
    assert columns("episode") >= EPISODE and "noise_reduction" in columns("school")
    db.session.remove()
    downgrade(revision="0006")
    assert not EPISODE & columns("episode") and "noise_reduction" not in columns("school")
    upgrade()
    assert columns("episode") >= EPISODE and "noise_reduction" in columns("school")
    with db.engine.begin() as connection:  # the default reaches rows the column never saw
        connection.execute(
            sqlalchemy.text(
                "INSERT INTO organisation (id, name, created_at) VALUES ('o1', 'Ville', "
                "CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            sqlalchemy.text(
                "INSERT INTO school (id, organisation_id, slug, name, description, preset, "
                "podcast_guid, directories_opt_in, created_at, updated_at) VALUES ('s1', 'o1', "
                "'s', 'S', '', 'podcast', 'g', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        flag = connection.execute(sqlalchemy.text("SELECT noise_reduction FROM school")).scalar()
    assert flag in (False, 0)


def test_0007_goes_down_and_up_on_sqlite(app: Flask) -> None:
    down_and_up()


@pytest.mark.scale
@pytest.mark.skipif(not POSTGRES, reason="WEBRADIO_TEST_POSTGRES_URL is not set (.ci/run sets it)")
def test_0007_goes_down_and_up_on_postgresql(tmp_path: Path) -> None:
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

"""Migrations 0007, 0009 and 0010 go down and up on SQLite, and on PostgreSQL where the suite
has one."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy
from flask import Flask
from flask_migrate import downgrade, upgrade
from migration_support import needs_postgres, on_fresh_postgres
from sqlalchemy import inspect

from webradio.extensions import db

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
@needs_postgres
def test_0007_goes_down_and_up_on_postgresql(tmp_path: Path) -> None:
    on_fresh_postgres(tmp_path, down_and_up)


def former_names_down_and_up() -> None:
    """0009 adds pupil.former_names, empty for the pupils already there, and goes back down."""
    assert "former_names" in columns("pupil")
    db.session.remove()
    downgrade(revision="0008")
    assert "former_names" not in columns("pupil")
    upgrade()
    assert "former_names" in columns("pupil")


def test_0009_keeps_former_names_and_goes_down_and_up_on_sqlite(app: Flask) -> None:
    former_names_down_and_up()


@pytest.mark.scale
@needs_postgres
def test_0009_goes_down_and_up_on_postgresql(tmp_path: Path) -> None:
    on_fresh_postgres(tmp_path, former_names_down_and_up)


def test_0010_adds_the_failure_record_and_goes_down_and_up_on_sqlite(app: Flask) -> None:
    """0010 adds take.failure_json and episode.failure_json, and goes back down (a reason
    stored before it has no record and is shown as its text: test_takes_web)."""
    assert "failure_json" in columns("take") and "failure_json" in columns("episode")
    db.session.remove()
    downgrade(revision="0009")
    assert "failure_json" not in columns("take") | columns("episode")
    upgrade()
    assert "failure_json" in columns("take") and "failure_json" in columns("episode")

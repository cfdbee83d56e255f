"""Migration 0006 goes down and up on SQLite, and on PostgreSQL where the suite has one."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from migration_support import needs_postgres, on_fresh_postgres
from sqlalchemy import inspect

from webradio.extensions import db


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
@needs_postgres
def test_0006_goes_down_and_up_on_postgresql(tmp_path: Path) -> None:
    on_fresh_postgres(tmp_path, down_and_up)

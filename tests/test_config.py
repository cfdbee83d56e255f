"""Configuration layers: defaults, instance/config.py, WEBRADIO_* environment, test config."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from webradio import create_app, urls
from webradio.extensions import db


def test_layers_override_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "BASE_URL = 'https://from-instance.example'\nMAX_UPLOAD_MB = 5\nDEFAULT_PRESET = 'voice'\n"
    )
    monkeypatch.setenv("WEBRADIO_BASE_URL", "https://radio.ville.fr/")
    monkeypatch.setenv("WEBRADIO_MAX_UPLOAD_MB", "7")
    monkeypatch.setenv("WEBRADIO_MAX_GAIN_DB", "18.5")
    app = create_app({"INSTANCE_PATH": str(instance), "MAX_UPLOAD_MB": 9, "QUEUE_URL": "immediate"})
    assert app.config["DEFAULT_PRESET"] == "voice"  # instance file over defaults
    assert app.config["MAX_GAIN_DB"] == 18.5  # typed from the environment
    assert app.config["BASE_URL"] == "https://radio.ville.fr"  # environment over instance file
    assert app.config["MAX_CONTENT_LENGTH"] == 9 * 1024 * 1024  # test config over environment
    assert app.config["SESSION_COOKIE_SECURE"] is True  # an https address means secure cookies
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'webradio.sqlite3'}"
    assert (instance / "secret_key").stat().st_mode & 0o777 == 0o600


def test_sqlite_runs_in_wal_mode(app: Flask) -> None:
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_the_command_line_follows_the_address_make_run_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`PORT=5501 make run` writes instance/base_url; a later `webradio ...` builds links on it."""
    instance = tmp_path / "instance"
    instance.mkdir()
    monkeypatch.delenv("WEBRADIO_BASE_URL", raising=False)
    settings = {"INSTANCE_PATH": str(instance), "QUEUE_URL": "immediate"}
    assert create_app(settings).config["BASE_URL"] == "http://127.0.0.1:5000"

    (instance / "base_url").write_text("http://127.0.0.1:5501/\n")
    app = create_app(settings)
    assert app.config["BASE_URL"] == "http://127.0.0.1:5501"
    with app.test_request_context():
        assert urls.feed("ecole").startswith("http://127.0.0.1:5501/")

    (instance / "config.py").write_text("BASE_URL = 'https://radio.ville.fr'\n")
    assert create_app(settings).config["BASE_URL"] == "https://radio.ville.fr"
    (instance / "config.py").unlink()
    monkeypatch.setenv("WEBRADIO_BASE_URL", "http://127.0.0.1:5000")  # said explicitly: it wins
    assert create_app(settings).config["BASE_URL"] == "http://127.0.0.1:5000"

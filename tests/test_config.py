"""Configuration layers: defaults, instance/config.py, WEBRADIO_* environment, test config."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from webradio import config, create_app, urls
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


def test_process_reads_the_settings_the_app_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`webradio process` reads the layers without Flask (config.layered_settings): the same
    values as the app's config, in the folder Flask would choose."""
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "import math\nMAX_TAKE_SECONDS = math.floor(42.7)\nLANGUAGE = 'en'\nlowercase = 1\n"
    )
    monkeypatch.setenv("WEBRADIO_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("WEBRADIO_MAX_GAIN_DB", "12.5")
    app = config.layered_app()
    plain = config.layered_settings()
    assert (plain["MAX_TAKE_SECONDS"], plain["LANGUAGE"], plain["MAX_GAIN_DB"]) == (42, "en", 12.5)
    assert "lowercase" not in plain
    assert plain == {key: app.config[key] for key in plain}
    assert config.instance_path() == app.instance_path == str(instance)
    monkeypatch.delenv("WEBRADIO_INSTANCE_PATH")
    assert config.instance_path() == config.layered_app().instance_path  # this checkout's
    (instance / "config.py").unlink()
    monkeypatch.setenv("WEBRADIO_INSTANCE_PATH", str(instance))
    assert config.layered_settings() == {**config.DEFAULTS, **config.from_environment(os.environ)}


@pytest.mark.parametrize(
    "where",
    [
        "{prefix}/lib/python3.11/site-packages",  # installed in a virtual environment
        "/usr/lib/python3/dist-packages",  # elsewhere on the system
        "/opt/venvs/radio/lib/python3.11/site-packages",  # another environment's
        "/opt/venvs/radio/Lib/site-packages",  # Windows' layout
        "/srv/radio/site-packages",  # a bare site-packages
        "/srv/checkout",  # a checkout
    ],
)
def test_the_instance_folder_is_where_flask_looks(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flask.sansio import scaffold

    package_path = where.format(prefix=sys.prefix)
    monkeypatch.delenv("WEBRADIO_INSTANCE_PATH", raising=False)
    monkeypatch.setattr(scaffold, "_find_package_path", lambda name: package_path)
    assert config.instance_path(package_path) == Flask("webradio").instance_path


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("WEBRADIO_MAX_TAKE_SECONDS", "3h", "un nombre est attendu"),
        ("WEBRADIO_QUEUE_WORKERS", "deux", "un nombre entier est attendu"),
    ],
)
@pytest.mark.parametrize("args", [["doctor"], ["process", "absente.wav", "absente.mp3"]])
def test_a_setting_that_is_not_a_number_is_said_in_words(
    name: str, raw: str, expected: str, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`WEBRADIO_MAX_TAKE_SECONDS=3h` stopped every command with a Python traceback."""
    from webradio.cli import entry

    monkeypatch.setenv(name, raw)
    monkeypatch.setattr(sys, "argv", ["webradio", *args])
    with pytest.raises(SystemExit) as stopped:
        entry()
    said = str(stopped.value.code)
    assert said.startswith(f"webradio : {name}='{raw}' : {expected}"), said
    assert "is expected" in said  # then in English

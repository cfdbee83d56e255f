"""`webradio demo` (what `make run` seeds) on an instance whose takes are kept short: the demo's
take fits the limit, and a demo that cannot make its episode still shows its password."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from webradio.cli.group import main
from webradio.demo import SLUG
from webradio.extensions import db
from webradio.models import Episode, School


def _seeded(runner: FlaskCliRunner) -> tuple[str, School]:
    """Run `webradio demo` once: what it said, and the demo school."""
    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    school = db.session.scalars(select(School).filter_by(slug=SLUG)).one()
    return result.output, school


def test_the_demo_take_fits_a_short_limit(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With takes of at most 10 s, the demo's 14 s take was refused and `make run` stopped."""
    monkeypatch.setitem(app.config, "MAX_TAKE_SECONDS", 10.0)
    said, school = _seeded(runner)
    assert "mot de passe (affiché une seule fois / shown once) : " in said
    episode = db.session.scalars(select(Episode).filter_by(school_id=school.id)).one()
    assert episode.state == "published" and 0 < (episode.duration_s or 0) <= 10.0


def test_a_demo_without_its_episode_still_shows_its_password(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A limit under any take: the accounts are made and the password shown once, the episode
    failed in words (the password was lost: the failed seed left the accounts, and the next
    start said « Démo déjà en place »)."""
    monkeypatch.setitem(app.config, "MAX_TAKE_SECONDS", 0.5)
    said, school = _seeded(runner)
    assert "Démo sans épisode publié / no published demo episode : " in said
    assert "une prise dure au plus" in said  # why, in words
    assert "mot de passe (affiché une seule fois / shown once) : " in said
    made = db.session.scalars(select(Episode).filter_by(school_id=school.id)).all()
    assert all(episode.state == "failed" and episode.failure_reason for episode in made)
    again = runner.invoke(main, ["demo"])
    assert again.exit_code == 0 and "Démo déjà en place" in again.output

"""`user link|disable|enable`: the browser's account verbs for the city IT team's scripts."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskCliRunner
from web_support import PASSWORD

from webradio.cli import people as cli_people
from webradio.extensions import db
from webradio.models import User

from .conftest import LINK, Team


def test_link_disable_and_enable_from_the_command_line(
    app: Flask, runner: FlaskCliRunner, team: Team
) -> None:
    made = runner.invoke(cli_people.user_link, ["Prof@Equipe.fr"])
    assert made.exit_code == 0, made.output
    path = LINK.search(made.stdout.splitlines()[-1])
    assert path is not None, "the link alone on the last line"
    assert "valable 72 heures" in made.stderr
    as_json = json.loads(runner.invoke(cli_people.user_link, ["prof@equipe.fr", "--json"]).stdout)
    assert as_json["email"] == "prof@equipe.fr" and as_json["url"].startswith("http://radio.test")
    visitor = app.test_client()
    assert visitor.get(path.group(1)).status_code == 410, "the newer link replaced it"
    assert visitor.get(LINK.search(as_json["url"]).group(1)).status_code == 200  # type: ignore[union-attr]

    off = runner.invoke(cli_people.user_disable, ["prof@equipe.fr"])
    assert off.exit_code == 0 and off.stdout.strip() == as_json["id"]
    db.session.expire_all()
    assert db.session.get(User, as_json["id"]).disabled_at is not None  # type: ignore[union-attr]
    refused = visitor.post("/connexion", data={"email": "prof@equipe.fr", "password": PASSWORD})
    assert refused.status_code == 403
    no_link = runner.invoke(cli_people.user_link, ["prof@equipe.fr"])
    assert no_link.exit_code == 1 and "désactivé" in no_link.stderr
    assert runner.invoke(cli_people.user_enable, ["prof@equipe.fr"]).exit_code == 0
    again = visitor.post("/connexion", data={"email": "prof@equipe.fr", "password": PASSWORD})
    assert again.status_code == 302
    unknown = runner.invoke(cli_people.user_disable, ["personne@nulle-part.fr"])
    assert unknown.exit_code == 1 and "Aucun compte pour personne@nulle-part.fr" in unknown.stderr

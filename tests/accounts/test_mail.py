"""E-mail through a real local SMTP server (aiosmtpd): password links, the forgotten-password
form, and the head's approval decisions; a dead relay never breaks the action."""

from __future__ import annotations

import html
import time
from pathlib import Path

import pytest
from browser_support import free_port
from consent.conftest import grant, make_episode
from flask import Flask
from flask.testing import FlaskClient
from web_support import PASSWORD, fetch, sign_in

from webradio import schools
from webradio.extensions import db
from webradio.models import Episode, PasswordLink, User

from .conftest import LINK, Inbox, Team, body_of


def account(email: str) -> User:
    """The account with this address."""
    db.session.expire_all()
    return db.session.scalars(db.select(User).filter_by(email=email)).one()


def test_a_reset_link_is_e_mailed_to_the_teacher_in_french(
    app: Flask, client: FlaskClient, team: Team, inbox: Inbox
) -> None:
    sign_in(client, "head@equipe.fr")
    shown = client.post(f"/comptes/{account('prof@equipe.fr').id}/lien")
    assert shown.status_code == 200
    page = html.unescape(shown.text)
    assert "Le lien a aussi été envoyé par e-mail à prof@equipe.fr" in page
    message = inbox.wait_for("prof@equipe.fr")
    assert message["From"] == "radio@ville.test"
    assert "Choisir un nouveau mot de passe" in message["Subject"]
    body = body_of(message)
    assert body.startswith("Bonjour,") and "École de l'Équipe" in body
    assert "ne fonctionne qu'une fois, pendant 72 heures" in body
    assert "choose it here" in body, "one line in English"
    path = LINK.search(body)
    assert path is not None and path.group(1) in page, "the same link as the page shows"
    visitor = app.test_client()
    done = visitor.post(
        path.group(1), data={"password": "secret-choisi", "confirmation": "secret-choisi"}
    )
    assert done.status_code == 302
    assert inbox.to("head@equipe.fr") == []


def test_an_invitation_is_e_mailed_and_a_dead_relay_says_so_on_the_page(
    app: Flask, client: FlaskClient, team: Team, inbox: Inbox
) -> None:
    sign_in(client, "head@equipe.fr")
    client.post("/ecole/equipe/inviter", data={"email": "arrivee@equipe.fr"})
    body = body_of(inbox.wait_for("arrivee@equipe.fr"))
    assert "Un compte vient d'être ouvert pour vous" in body
    app.config["SMTP_PORT"] = free_port()  # nobody listens there
    shown = client.post("/ecole/equipe/inviter", data={"email": "seconde@equipe.fr"})
    assert shown.status_code == 200
    page = html.unescape(shown.text)
    assert "L'e-mail n'a pas pu être envoyé : transmettez vous-même le lien" in page
    assert LINK.search(page), "the link is still shown"
    assert account("seconde@equipe.fr").disabled_at is None


def test_a_forgotten_password_gets_a_link_and_an_unknown_address_the_same_answer(
    app: Flask, client: FlaskClient, team: Team, inbox: Inbox
) -> None:
    form = html.unescape(fetch(client, "/connexion/oubli").text)
    assert "Recevoir un lien" in form
    answers = []
    for address in ("personne@nulle-part.fr", "prof@equipe.fr"):
        started = time.monotonic()
        answer = client.post("/connexion/oubli", data={"email": address})
        answers.append((answer.status_code, answer.text, time.monotonic() - started))
    assert answers[0][:2] == answers[1][:2], "the same page whatever the address"
    assert "Si un compte existe pour cette adresse" in html.unescape(answers[1][1])
    body = body_of(inbox.wait_for("prof@equipe.fr"))
    path = LINK.search(body)
    assert path is not None
    assert fetch(app.test_client(), path.group(1)).status_code == 200
    time.sleep(0.3)
    assert [r for r, _ in inbox.messages if "personne@nulle-part.fr" in r] == []
    assert db.session.scalars(db.select(PasswordLink)).all() != []


@pytest.fixture
def asked(app: Flask, client: FlaskClient, take_wav: Path) -> Episode:
    """A rendered episode a teacher asked the head to publish for the public."""
    school = schools.create_school("ecole-mail", "École du Courrier")
    schools.create_user("head@courrier.fr", "head", PASSWORD, school)
    schools.create_user("adjointe@courrier.fr", "head", PASSWORD, school)
    teacher = schools.create_user("prof@courrier.fr", "teacher", PASSWORD, school)
    lea = schools.add_pupil(school, "CM2", "Léa")
    grant(lea, "class,families,public")
    episode = make_episode(school, take_wav, [lea], title="Le journal du jeudi")
    episode.created_by = teacher.id
    db.session.commit()
    return episode


def request_it(client: FlaskClient, episode: Episode) -> None:
    """The teacher asks the head to publish beyond the class."""
    sign_in(client, "prof@courrier.fr")
    assert client.post(f"/episodes/{episode.id}/publier").status_code == 302


def test_heads_told_of_a_request_teacher_of_each_decision_and_a_dead_relay_breaks_nothing(
    client: FlaskClient, asked: Episode, inbox: Inbox
) -> None:
    request_it(client, asked)
    for head in ("head@courrier.fr", "adjointe@courrier.fr"):
        told = inbox.wait_for(head)
        assert "Épisode à valider : Le journal du jeudi" in told["Subject"]
        assert f"http://radio.test/episodes/{asked.id}" in body_of(told)
    assert inbox.to("prof@courrier.fr") == []

    sign_in(client, "head@courrier.fr")
    comment = "Le son du début est trop fort, refaites la première partie."
    refused = client.post(
        f"/episodes/{asked.id}/decision", data={"decision": "refuse", "comment": comment}
    )
    assert refused.status_code == 302
    message = inbox.wait_for("prof@courrier.fr")
    body = body_of(message)
    assert "Épisode à revoir : Le journal du jeudi" in message["Subject"]
    assert "La direction n'a pas validé votre épisode « Le journal du jeudi »" in body
    assert comment in body and "did not approve" in body
    inbox.clear()

    request_it(client, asked)
    sign_in(client, "head@courrier.fr")
    approved = client.post(
        f"/episodes/{asked.id}/decision", data={"decision": "approve", "comment": "Bravo !"}
    )
    assert approved.status_code == 302
    message = inbox.wait_for("prof@courrier.fr")
    assert "Épisode validé : Le journal du jeudi" in message["Subject"]
    body = body_of(message)
    assert "a validé votre épisode" in body and "Bravo !" in body
    assert [r for r, _ in inbox.messages if "prof@courrier.fr" in r] == [["prof@courrier.fr"]]

    # A dead relay: the request and the approval are done all the same, and the pages say so.
    client.application.config["SMTP_PORT"] = free_port()  # nobody listens there
    request_it(client, asked)
    followed = html.unescape(fetch(client, f"/episodes/{asked.id}").text)
    assert "L'e-mail à la direction n'a pas pu être envoyé" in followed
    sign_in(client, "head@courrier.fr")
    answer = client.post(f"/episodes/{asked.id}/decision", data={"decision": "approve"})
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(Episode, asked.id).state == "published"  # type: ignore[union-attr]
    page = html.unescape(fetch(client, "/").text)
    assert "Épisode publié pour" in page
    assert "L'e-mail à l'enseignant n'a pas pu être envoyé" in page
    assert fetch(client, f"/radio/ecole-mail/episodes/{asked.id}").status_code == 200

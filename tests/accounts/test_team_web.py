"""Accounts in the browser: the head's team, the city admin's schools, one-time password links."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from web_support import PASSWORD, fetch, sign_in

from webradio.clock import now_utc
from webradio.extensions import db
from webradio.models import PasswordLink, User

from .conftest import LINK, Team

NEW_PASSWORD = "un-tout-nouveau-secret"


def text(response: object) -> str:
    """A page's text as a reader sees it."""
    return html.unescape(response.text)  # type: ignore[attr-defined]


def link_on(page: str) -> str:
    """The one-time link a page shows (its path)."""
    found = LINK.search(page)
    assert found, page
    return found.group(1)


def user(email: str) -> User:
    """The account with this address, read afresh."""
    db.session.expire_all()
    found = db.session.scalars(db.select(User).filter_by(email=email)).one()
    return found


def signs_in(client: FlaskClient, email: str, password: str) -> int:
    """The status of a sign-in attempt (302 when it worked)."""
    client.post("/deconnexion")
    return client.post("/connexion", data={"email": email, "password": password}).status_code


def choose(client: FlaskClient, path: str, password: str, again: str | None = None) -> object:
    """Post a password through a link."""
    return client.post(path, data={"password": password, "confirmation": again or password})


def test_the_head_invites_a_teacher_who_chooses_a_password_and_signs_in(
    app: Flask, client: FlaskClient, team: Team
) -> None:
    sign_in(client, "head@equipe.fr")
    page = text(fetch(client, "/ecole/equipe"))
    assert "prof@equipe.fr" in page and "Enseignant" in page and "Actif" in page
    assert "head@autre.fr" not in page, "another school's accounts are not listed"
    assert "École de l'Équipe : les comptes des enseignants" in page  # never « de École... »
    refused = client.post("/ecole/equipe/inviter", data={"email": "pas une adresse"})
    assert refused.status_code == 400 and "n’est pas une adresse e-mail valide" in text(refused)
    shown = client.post("/ecole/equipe/inviter", data={"email": "Nouvelle@Equipe.fr"})
    assert shown.status_code == 200
    path = link_on(text(shown))
    assert "Invité" in text(shown) and "nouvelle@equipe.fr" in text(shown)
    until = r"jusqu’au \d{1,2} [a-zéû]+ \d{4}, \d{2}:\d{2} ;"  # Paris time, the month in words
    assert re.search(until, text(shown)), "no seconds, no abbreviated month"
    stored = db.session.scalars(db.select(PasswordLink)).all()
    assert [s.token_hash for s in stored] != [path.rsplit("/", 1)[1]], "only its hash is kept"
    assert path.rsplit("/", 1)[1] not in {s.token_hash for s in stored}
    again = client.post("/ecole/equipe/inviter", data={"email": "nouvelle@equipe.fr"})
    assert again.status_code == 400 and "Un compte existe déjà" in text(again)

    newcomer = app.test_client()
    form = text(fetch(newcomer, path))
    assert "Bienvenue" in form and "nouvelle@equipe.fr" in form
    short = choose(newcomer, path, "court")
    assert short.status_code == 400 and "au moins 8 caractères" in text(short)  # type: ignore[attr-defined]
    differ = choose(newcomer, path, NEW_PASSWORD, "autre-chose-encore")
    assert differ.status_code == 400 and "pas identiques" in text(differ)  # type: ignore[attr-defined]
    done = choose(newcomer, path, NEW_PASSWORD)
    assert done.status_code == 302 and done.headers["Location"] == "/"  # type: ignore[attr-defined]
    assert fetch(newcomer, "/").status_code == 200, "signed in straight away"
    used = fetch(newcomer, path)
    assert used.status_code == 410 and "n’est plus valable" in text(used)
    assert signs_in(newcomer, "nouvelle@equipe.fr", NEW_PASSWORD) == 302
    assert "Actif" in text(fetch(client, "/ecole/equipe"))


def test_a_disabled_account_cannot_sign_in_and_its_open_session_ends(
    app: Flask, client: FlaskClient, team: Team
) -> None:
    teacher = app.test_client()
    sign_in(teacher, "prof@equipe.fr")
    copied = teacher.get_cookie("session")
    assert copied is not None
    sign_in(client, "head@equipe.fr")
    prof = user("prof@equipe.fr")
    assert client.post(f"/comptes/{prof.id}/desactiver").status_code == 302
    assert "Désactivé" in text(fetch(client, "/ecole/equipe"))
    assert fetch(teacher, "/").status_code == 302, "the open session ended"
    thief = app.test_client()
    thief.set_cookie("session", copied.value)
    assert fetch(thief, "/").status_code == 302, "a copied cookie is refused too"
    refused = app.test_client().post(
        "/connexion", data={"email": "prof@equipe.fr", "password": PASSWORD}
    )
    assert refused.status_code == 403 and "Ce compte est désactivé" in text(refused)
    wrong = app.test_client().post(
        "/connexion", data={"email": "prof@equipe.fr", "password": "pas-le-bon"}
    )
    assert wrong.status_code == 401 and "désactivé" not in text(wrong), "strangers learn nothing"
    link = client.post(f"/comptes/{prof.id}/lien")
    assert link.status_code == 400 and "réactivez-le" in text(link)

    head = user("head@equipe.fr")
    myself = client.post(f"/comptes/{head.id}/desactiver")
    assert myself.status_code == 400 and "votre propre compte" in text(myself)
    elsewhere = user("head@autre.fr")
    assert client.post(f"/comptes/{elsewhere.id}/desactiver").status_code == 404
    assert user("head@autre.fr").disabled_at is None

    assert client.post(f"/comptes/{prof.id}/reactiver").status_code == 302
    assert signs_in(app.test_client(), "prof@equipe.fr", PASSWORD) == 302


def test_a_reset_link_works_once_replaces_older_links_and_expires(
    app: Flask, client: FlaskClient, team: Team
) -> None:
    sign_in(client, "head@equipe.fr")
    prof = user("prof@equipe.fr")
    first = link_on(text(client.post(f"/comptes/{prof.id}/lien")))
    second = link_on(text(client.post(f"/comptes/{prof.id}/lien")))
    visitor = app.test_client()
    assert fetch(visitor, first).status_code == 410, "a newer link replaces it"
    assert signs_in(visitor, "prof@equipe.fr", PASSWORD) == 302, "old password works until used"
    session = app.test_client()
    sign_in(session, "prof@equipe.fr")
    assert choose(visitor, second, NEW_PASSWORD).status_code == 302  # type: ignore[attr-defined]
    assert fetch(session, "/").status_code == 302, "sessions before the change end"
    assert signs_in(app.test_client(), "prof@equipe.fr", PASSWORD) == 401
    assert signs_in(app.test_client(), "prof@equipe.fr", NEW_PASSWORD) == 302
    reused = choose(app.test_client(), second, "encore-un-autre-secret")
    assert reused.status_code == 410  # type: ignore[attr-defined]
    assert signs_in(app.test_client(), "prof@equipe.fr", NEW_PASSWORD) == 302

    late = link_on(text(client.post(f"/comptes/{prof.id}/lien")))
    for row in db.session.scalars(db.select(PasswordLink).filter_by(used_at=None)):
        row.expires_at = now_utc() - timedelta(seconds=1)
    db.session.commit()
    expired = fetch(app.test_client(), late)
    assert expired.status_code == 410 and "a expiré" in text(expired)
    assert choose(app.test_client(), late, "encore-un-autre-secret").status_code == 410  # type: ignore[attr-defined]
    unknown = fetch(app.test_client(), "/compte/mot-de-passe/nimporte-quoi")
    assert unknown.status_code == 410 and "Demandez-en un nouveau" in text(unknown)


def test_a_teacher_cannot_reach_the_team_or_city_pages(client: FlaskClient, team: Team) -> None:
    sign_in(client, "prof@equipe.fr")
    head = user("head@equipe.fr")
    for method, path in (
        ("GET", "/ecole/equipe"),
        ("POST", "/ecole/equipe/inviter"),
        ("POST", f"/comptes/{head.id}/desactiver"),
        ("POST", f"/comptes/{head.id}/lien"),
        ("GET", "/ville/ecoles"),
        ("POST", "/ville/ecoles"),
    ):
        answer = fetch(client, path, method=method, data={"email": "x@y.fr"})
        assert answer.status_code == 403, path
        assert "Votre rôle ne permet pas cette action." in text(answer)
    assert user("head@equipe.fr").disabled_at is None
    assert '/ecole/equipe"' not in text(fetch(client, "/")), "no link in the teacher's navigation"


def test_the_city_admin_creates_a_school_and_invites_its_head(
    app: Flask, client: FlaskClient, team: Team
) -> None:
    sign_in(client, "dsi@ville.fr")
    page = text(fetch(client, "/ville/ecoles"))
    assert "École de l'Équipe" in page and "head@equipe.fr" in page and "head@autre.fr" in page
    bad = client.post("/ville/ecoles", data={"slug": "Pas Bon!", "name": "École Neuve"})
    assert bad.status_code == 400 and "Identifiant d'école invalide" in text(bad)
    assert 'value="École Neuve"' in text(bad), "what was typed is kept"
    made = client.post("/ville/ecoles", data={"slug": "ecole-neuve", "name": "École Neuve"})
    assert made.status_code == 302
    assert "École Neuve" in text(fetch(client, "/ville/ecoles"))
    invited = client.post("/ville/ecoles/ecole-neuve/directeurs", data={"email": "dir@neuve.fr"})
    assert invited.status_code == 200
    path = link_on(text(invited))

    head = app.test_client()
    assert choose(head, path, NEW_PASSWORD).status_code == 302  # type: ignore[attr-defined]
    team_page = text(fetch(head, "/ecole/equipe"))
    assert "dir@neuve.fr" in team_page and "Direction" in team_page
    assert "prof@equipe.fr" not in team_page

    other = user("head@autre.fr")
    assert client.post(f"/comptes/{other.id}/desactiver").status_code == 302
    assert signs_in(app.test_client(), "head@autre.fr", PASSWORD) == 403
    assert client.post(f"/comptes/{other.id}/reactiver").status_code == 302
    reset = link_on(text(client.post(f"/comptes/{other.id}/lien")))
    assert fetch(app.test_client(), reset).status_code == 200


def test_without_email_the_forgotten_password_page_says_whom_to_ask(
    client: FlaskClient, team: Team
) -> None:
    login = text(fetch(client, "/connexion"))
    assert "Mot de passe oublié ?" in login
    page = text(fetch(client, "/connexion/oubli"))
    assert "Demandez un nouveau lien à la direction de votre école" in page
    assert "service informatique de la ville" in page
    assert client.post("/connexion/oubli", data={"email": "prof@equipe.fr"}).status_code == 200
    assert db.session.scalars(db.select(PasswordLink)).first() is None, "no link made"


def test_the_city_page_lists_first_the_schools_to_look_at_each_leading_to_its_card(
    app: Flask, client: FlaskClient, team: Team
) -> None:
    """Forty schools make a long page: what needs the city's hand comes first, as links."""
    sign_in(client, "dsi@ville.fr")
    page = text(fetch(client, "/ville/ecoles"))
    assert "Rien à signaler : chaque école a une direction active." in page
    assert "Rien à signaler" in text(fetch(client, "/ville"))
    made = client.post("/ville/ecoles", data={"slug": "ecole-neuve", "name": "École Neuve"})
    assert made.headers["Location"].endswith("/ville/ecoles#ecole-ecole-neuve"), "to its card"
    client.post("/ville/ecoles", data={"slug": "ecole-invitee", "name": "École Invitée"})
    client.post("/ville/ecoles/ecole-invitee/directeurs", data={"email": "dir@invitee.fr"})
    client.post(f"/comptes/{user('head@autre.fr').id}/desactiver")
    client.post("/ville/ecoles", data={"slug": "ecole-zola", "name": "École maternelle Zola"})

    page = text(fetch(client, "/ville/ecoles"))
    # In a French reader's order: « maternelle » before « Neuve », case and accents set aside.
    assert page.index('id="ecole-ecole-zola"') < page.index('id="ecole-ecole-neuve"')
    assert page.index("École maternelle Zola</a>") < page.index("École Neuve</a>")
    watch = page[page.index("À surveiller") : page.index("Nouvelle école")]
    assert "4 écoles sur 5" in watch  # Neuve, Invitée, Autre École, maternelle Zola
    landing = text(fetch(client, "/ville"))  # where the city's IT team lands
    assert "4 écoles à surveiller" in landing and "/ville/ecoles#watch-title" in landing
    assert landing.index("École maternelle Zola") < landing.index("École Neuve")
    # Each school's name leads to its public page; its address code is not shown as text.
    assert '/radio/ecole-zola/">École maternelle Zola</a>' in landing
    assert ">ecole-zola<" not in landing
    assert '<a href="#ecole-ecole-neuve">École Neuve</a> : pas encore de direction' in watch
    assert (
        '<a href="#ecole-ecole-invitee">École Invitée</a> : direction invitée, mot de passe '
        "pas encore choisi" in watch
    )
    assert '<a href="#ecole-autre-ecole">Autre École</a> : direction désactivée' in watch
    assert "Équipe" not in watch, "a school with an active head is not listed"
    for slug in ("ecole-neuve", "ecole-invitee", "autre-ecole", "ecole-equipe"):
        assert f'id="ecole-{slug}"' in page

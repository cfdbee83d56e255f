"""Archived classes and pupils: out of the lists and pickers, back on demand, nothing erased."""

from __future__ import annotations

import html
from pathlib import Path

from consent.conftest import grant, make_episode
from flask import Flask
from flask.testing import FlaskClient
from web_support import PASSWORD, fetch, sign_in

from webradio import clearance, people, schools
from webradio.extensions import db
from webradio.models import Pupil, SchoolClass

PAGE = "/ecole/eleves"


def shown(client: FlaskClient, path: str) -> str:
    """A page's text as a reader sees it."""
    answer = fetch(client, path)
    assert answer.status_code == 200, answer.text
    return html.unescape(answer.text)


def test_an_archived_pupil_leaves_pickers_and_lists_but_their_episode_stays_published(
    app: Flask, client: FlaskClient, take_wav: Path
) -> None:
    school = schools.create_school("ecole-archives", "École des Archives")
    schools.create_user("head@archives.fr", "head", PASSWORD, school)
    schools.create_user("prof@archives.fr", "teacher", PASSWORD, school)
    lea = schools.add_pupil(school, "CM2", "Léa")
    schools.add_pupil(school, "CM2", "Inès")
    grant(lea, "class,families,public")
    episode = make_episode(school, take_wav, [lea], title="Le journal")
    sign_in(client, "head@archives.fr")
    assert client.post(f"/episodes/{episode.id}/publier").status_code == 302
    public = f"/radio/{school.slug}/episodes/{episode.id}"
    assert fetch(client, public).status_code == 200
    before = clearance.of(episode).audiences

    assert client.post(f"/ecole/eleves/{lea.id}/archiver").status_code == 302
    assert "Léa passe aux archives" in shown(client, PAGE)
    page = shown(client, PAGE)
    assert "Léa" not in page and "Inès" in page
    archives = shown(client, PAGE + "?archives=1")
    assert "Élèves archivés" in archives and "Léa" in archives
    sign_in(client, "prof@archives.fr")
    picker = shown(client, "/episodes/nouveau")
    assert "Inès" in picker and "Léa" not in picker, "not offered as a participant"
    assert [p.first_name for p in people.pupils_on_roll(school)] == ["Inès"]
    assert [p.first_name for p in people.list_pupils(school)] == ["Inès"]
    assert fetch(client, public).status_code == 200, "her published episode is still served"
    db.session.expire_all()
    assert clearance.of(episode).audiences == before, "her consent is unchanged"
    assert lea.grants and lea.erased_at is None

    sign_in(client, "head@archives.fr")
    assert client.post(f"/ecole/eleves/{lea.id}/restaurer?archives=1").status_code == 302
    assert "Léa" in shown(client, PAGE)
    sign_in(client, "prof@archives.fr")
    assert "Léa" in shown(client, "/episodes/nouveau")


def test_a_new_year_archives_the_chosen_classes_at_once_after_a_confirmation(
    app: Flask, client: FlaskClient
) -> None:
    school = schools.create_school("ecole-annee", "École de l'Année")
    schools.create_user("head@annee.fr", "head", PASSWORD, school)
    for label, name in (("CM2 A", "Léo"), ("CM2 B", "Zoé"), ("CP", "Noé")):
        schools.add_pupil(school, label, name)
    ids = {c.label: c.id for c in people.list_classes(school)}
    cm2a = db.session.get(SchoolClass, ids["CM2 A"])
    assert cm2a is not None
    schools.open_studio(cm2a)
    code = cm2a.studio_code
    sign_in(client, "head@annee.fr")
    assert "Nouvelle année" in shown(client, PAGE)
    chosen = {"class_id": [ids["CM2 A"], ids["CM2 B"]]}
    unconfirmed = client.post("/ecole/eleves/nouvelle-annee", data=chosen)
    assert unconfirmed.status_code == 400
    assert "Cochez la case de confirmation" in html.unescape(unconfirmed.text)
    assert len(people.list_classes(school)) == 3, "nothing archived without the confirmation"
    none = client.post("/ecole/eleves/nouvelle-annee", data={"confirm": "1"})
    assert none.status_code == 400 and "au moins une classe" in html.unescape(none.text)

    done = client.post("/ecole/eleves/nouvelle-annee", data={**chosen, "confirm": "1"})
    assert done.status_code == 302
    assert "2 classes archivées" in shown(client, PAGE)
    db.session.expire_all()
    assert [c.label for c in people.list_classes(school)] == ["CP"]
    assert [p.first_name for p in people.list_pupils(school)] == ["Noé"]
    archived = [c.label for c in people.list_classes(school, archived=True)]
    assert archived[0].startswith("CM2 A (20") and archived[1].startswith("CM2 B (20")
    page = shown(client, PAGE)
    assert "Léo" not in page and "Zoé" not in page and "Noé" in page
    assert fetch(client, f"/studio/{code}").status_code == 404, "its studio code stops working"
    dashboard = shown(client, "/")
    assert "CM2 A" not in dashboard and "CP" in dashboard
    assert client.post("/ecole/eleves/classes", data={"label": "CM2 A"}).status_code == 302, (
        "the name is free for next year's class"
    )
    moved = client.post(
        f"/ecole/eleves/{_pupil(school, 'Noé')}/classe", data={"class_id": ids["CM2 B"]}
    )
    assert moved.status_code == 400 and "archivée" in html.unescape(moved.text)

    assert client.post(f"/ecole/eleves/classes/{ids['CM2 B']}/restaurer").status_code == 302
    assert "Zoé" in shown(client, PAGE)
    db.session.expire_all()
    assert (
        db.session.scalars(db.select(Pupil).filter_by(first_name="Léo")).one().archived_at is None
    )


def _pupil(school: object, first_name: str) -> str:
    """The id of the pupil with this first name."""
    return db.session.scalars(db.select(Pupil.id).filter_by(first_name=first_name)).one()

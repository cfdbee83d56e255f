"""The auditor again, on the paths added since issue 10: a pupil renamed, the head's comments
on requests and corrections. Judged through the HTTP client, the command line and the files a
proxy serves."""

from __future__ import annotations

import zipfile
from pathlib import Path

import feedparser
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from web_support import fetch, post_file, sign_in

from webradio import feeds, publication, schools, voices
from webradio.cli import main
from webradio.extensions import db
from webradio.models import Episode, Take, User

from .conftest import World, grant, refreshed


def public_guids(world: World) -> list[str]:
    """The GUIDs of the school's public feed file, as a proxy would serve it."""
    return [e.id for e in feedparser.parse(feeds.feed_path(world.school).read_bytes()).entries]


def erase(runner: FlaskCliRunner, pupil_id: str) -> None:
    """`webradio pupil erase ID`, which must succeed."""
    result = runner.invoke(main, ["pupil", "erase", pupil_id])
    assert result.exit_code == 0, result.output


def database_bytes(app: Flask) -> list[tuple[Path, bytes]]:
    """The SQLite file and its WAL, read as a stranger with the disk would."""
    db.session.remove()
    db.engine.dispose()
    database = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    return [(p, p.read_bytes()) for p in database.parent.glob(database.name + "*")]


def test_a_renamed_pupil_is_still_found_under_the_name_the_texts_use(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, world: World
) -> None:
    """Léo's family allows the class only; the head corrects his first name to Léon. The
    title "Bon anniversaire Léo !" still names him: it never goes public, and his erasure
    removes the old name too."""
    leo = schools.add_pupil(world.school, "CM2", "Léo")
    grant(leo, "class")
    world.episode.title = "Bon anniversaire Léo !"
    world.episode.transcript = "WEBVTT\n\n00:00.000 --> 00:02.000\nJoyeux anniversaire LEO\n"
    db.session.commit()
    answer = publication.publish(world.episode, approved_by=None)
    assert list(answer.audiences) == ["class"]
    assert world.episode.guid not in public_guids(world)
    sign_in(client, "head@consent.fr")
    renamed = client.post(f"/ecole/eleves/{leo.id}/prenom", data={"first_name": "Léon"})
    assert renamed.status_code == 302
    assert world.episode.guid not in public_guids(world), "the old name still names him"
    client.post("/deconnexion")
    page = fetch(client, f"/radio/{world.school.slug}/episodes/{world.episode.id}")
    assert page.status_code == 404
    erase(runner, leo.id)
    episode = refreshed(world.episode)
    assert episode.title == "Bon anniversaire — !"
    assert "LEO" not in (episode.transcript or "")
    for path, data in database_bytes(app):
        assert "Léo".encode() not in data, path


def test_erasure_leaves_no_name_in_the_heads_comments(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, world: World
) -> None:
    """The head refuses a teacher's publication request and correction, naming Zoé in both
    comments; after Zoé's erasure the teacher's pages and the database keep no copy."""
    zoe = schools.add_pupil(world.school, "CM2", "Zoé")
    grant(zoe, "class")
    publication.publish(world.episode, approved_by=None)
    teacher = db.session.scalars(db.select(User).filter_by(email="prof@consent.fr")).one()
    head = db.session.scalars(db.select(User).filter_by(email="head@consent.fr")).one()
    as_teacher = publication.Actor("teacher", teacher.id)
    as_head = publication.Actor("head", head.id)
    words = publication.words_of(world.episode)
    proposed = publication.Words("Le journal de Zoé", words.description, words.chapter_titles)
    publication.propose_words(world.episode, proposed, as_teacher)
    publication.refuse_words(world.episode, as_head, "Pas le prénom de Zoé en public.")
    publication.publish_as(world.episode, as_teacher)
    publication.refuse(world.episode, as_head, "Zoé n'a pas l'accord de sa famille.")
    sign_in(client, "prof@consent.fr")
    assert "Zoé" in fetch(client, "/").text  # the teacher reads both answers
    erase(runner, zoe.id)
    episode = refreshed(world.episode)
    assert episode.review_comment == "— n'a pas l'accord de sa famille."
    assert episode.edit_review_comment == "Pas le prénom de — en public."
    for page in ("/", f"/episodes/{episode.id}"):
        assert "Zoé" not in fetch(client, page).text, page
    for path, data in database_bytes(app):
        assert "Zoé".encode() not in data, path


def test_a_studio_recording_uploaded_again_by_staff_keeps_its_voices(
    client: FlaskClient, runner: FlaskCliRunner, world: World, take_wav: Path, tmp_path: Path
) -> None:
    """A teacher uploads a recording from the staff page, ticks "no pupil voice" and it goes
    public; the same file then comes from a class tablet (pupils' voices by definition): the
    bytes are one sound, so the gate takes it off, no new attestation is accepted, and no
    family export hands over a copy in which another child is declared."""
    recording = tmp_path / "chorale.wav"
    recording.write_bytes(take_wav.read_bytes() + b"chorale")
    sign_in(client, "prof@consent.fr")
    uploaded = post_file(client, "/prises/nouvelle", recording, label="La chorale")
    assert uploaded.status_code in (201, 302), uploaded.text
    copy = db.session.scalars(db.select(Take).filter_by(label="La chorale")).one()
    form = {"title": "La chorale", "take_ids": copy.id, "audience": "public"}
    created = client.post("/episodes/nouveau", data=form | {"no_pupil_voices": "1"})
    assert created.status_code == 302, created.text
    episode_id = created.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    db.session.expire_all()  # the command line reads what the requests stored
    published = runner.invoke(main, ["episode", "publish", episode_id])
    assert published.exit_code == 0, published.output
    episode = db.session.get(Episode, episode_id)
    assert episode is not None and episode.guid in public_guids(world)
    code = schools.open_studio(world.lea.school_class)
    assert post_file(client, f"/studio/{code}/prises", recording).status_code == 201
    assert episode.guid not in public_guids(world)  # at once: the new copy marks its school
    again = client.post("/episodes/nouveau", data=form | {"no_pupil_voices": "1"})
    assert again.status_code == 400 and "studio de classe" in again.text
    studio = db.session.scalars(db.select(Take).filter_by(origin="studio")).one()
    voices.stage_speakers(studio, [world.lea, world.ines])  # the tablet's: both speak
    voices.stage_speakers(copy, [world.lea])  # the staff copy: a mistake
    db.session.commit()
    out = tmp_path / "lea.zip"
    exported = runner.invoke(main, ["pupil", "export", world.lea.id, str(out)])
    assert exported.exit_code == 0, exported.output
    with zipfile.ZipFile(out) as archive:
        assert f"prises/{copy.id}" not in archive.namelist(), "Inès speaks in those bytes"

"""A query budget: the public school page, the staff dashboard and a rewrite of the public
outputs run a number of queries that does not grow with the number of episodes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from web_support import PASSWORD, fetch, sign_in

from webradio import outputs, schools
from webradio.clock import now_utc
from webradio.extensions import db
from webradio.models import Episode, EpisodePart, School, Take

from .conftest import grant


@contextmanager
def counted() -> Iterator[list[str]]:
    """Collect every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def add_episodes(school: School, count: int, teacher_id: str) -> None:
    """`count` published episodes, each with a take spoken by a pupil and a voice-free one;
    each awaits the head twice: a publication request and a teacher's correction."""
    pupils = [schools.add_pupil(school, "CM1", name) for name in ("Léa", "Inès", "Noé")]
    for pupil in pupils:
        grant(pupil, "class,families,public")
    bed = Take(school_id=school.id, sha256="0", storage_key="takes/bed", size_bytes=1,
               state="ready", voice_free=True)  # fmt: skip
    db.session.add(bed)
    for number in range(count):
        voice = Take(school_id=school.id, sha256="1", storage_key=f"takes/v{number}",
                     size_bytes=1, state="ready", label=f"Prise {number}")  # fmt: skip
        voice.speakers = [pupils[number % 3]]
        episode = Episode(
            guid=f"urn:uuid:budget-{school.slug}-{number}",
            school_id=school.id,
            title=f"Le journal n° {number}",
            description="Des nouvelles de la classe.",
            requested_audience="public",
            state="published",
            published_audiences="class,families,public",
            media_key=f"masters/b{number}/{number:012x}.mp3",
            media_size=1000,
            duration_s=60.0,
            published_at=now_utc(),
            chapters_json="[]",
            submitted_at=now_utc(),
            pending_edit_json=json.dumps(
                {"title": f"Le journal {number}", "description": "", "chapter_titles": {}}
            ),
            pending_edit_by=teacher_id,
            pending_edit_at=now_utc(),
        )
        episode.parts = [
            EpisodePart(position=0, take=voice),
            EpisodePart(position=1, take=bed, title="Musique"),
        ]
        db.session.add(episode)
    db.session.commit()


def measure(app: Flask, client: FlaskClient, count: int) -> dict[str, int]:
    """Queries for each page or rewrite, in a school holding `count` episodes."""
    slug = f"budget-{count}"
    school = schools.create_school(slug, f"École {count}")
    schools.create_user(f"head@{slug}.fr", "head", PASSWORD, school)
    teacher = schools.create_user(f"prof@{slug}.fr", "teacher", PASSWORD, school)
    add_episodes(school, count, teacher.id)

    def dashboard(email: str) -> object:
        sign_in(client, email)
        db.session.expire_all()
        with counted() as seen:
            answer = fetch(client, "/")
        return answer, seen

    runs: dict[str, Callable[[], object]] = {
        "school page": lambda: fetch(client, f"/radio/{slug}/?lang=fr"),  # the app renders it
        "dashboard": lambda: dashboard(f"head@{slug}.fr"),
        "teacher's dashboard": lambda: dashboard(f"prof@{slug}.fr"),
        "outputs": lambda: outputs.refresh({school.id}),
    }
    found = {}
    for name, run in runs.items():
        db.session.expire_all()
        with counted() as seen:
            answer = run()
        if isinstance(answer, tuple):  # a dashboard, counted after signing in
            answer, seen = answer
        if hasattr(answer, "status_code"):
            assert answer.status_code == 200, name  # type: ignore[attr-defined]
        found[name] = len(seen)
    return found


@pytest.mark.parametrize("name", ["school page", "dashboard", "outputs"])
def test_queries_do_not_grow_with_the_episodes(app: Flask, client: FlaskClient, name: str) -> None:
    few, many = measure(app, client, 5), measure(app, client, 50)
    # The head's and the teacher's dashboards are measured in the same schools.
    for run in [name, "teacher's dashboard"] if name == "dashboard" else [name]:
        assert many[run] == few[run], (run, few, many)
        assert 0 < few[run] < 40, few


def test_the_dashboard_queries_do_not_grow_with_the_pupils(app: Flask, client: FlaskClient) -> None:
    """The studio list says, per class, whom not to record: one query for every grant."""
    counts = []
    for size in (2, 8):
        slug = f"pupils-{size}"
        school = schools.create_school(slug, f"École {size}")
        schools.create_user(f"head@{slug}.fr", "head", PASSWORD, school)
        for number in range(size):
            schools.add_pupil(school, "CE1", f"Élève {chr(65 + number)}")
        sign_in(client, f"head@{slug}.fr")
        db.session.expire_all()
        with counted() as seen:
            assert fetch(client, "/").status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[1], counts

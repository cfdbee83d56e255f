"""A query budget: the public school page, the staff dashboard and a rewrite of the public
outputs run a number of queries that does not grow with the number of episodes."""

from __future__ import annotations

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


def add_episodes(school: School, count: int) -> None:
    """`count` published episodes, each with a take spoken by a pupil and a voice-free one."""
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
    add_episodes(school, count)
    sign_in(client, f"head@{slug}.fr")
    runs: dict[str, Callable[[], object]] = {
        "school page": lambda: fetch(client, f"/radio/{slug}/?lang=fr"),  # the app renders it
        "dashboard": lambda: fetch(client, "/"),
        "outputs": lambda: outputs.refresh({school.id}),
    }
    found = {}
    for name, run in runs.items():
        db.session.expire_all()
        with counted() as seen:
            answer = run()
        if hasattr(answer, "status_code"):
            assert answer.status_code == 200, name  # type: ignore[attr-defined]
        found[name] = len(seen)
    return found


@pytest.mark.parametrize("name", ["school page", "dashboard", "outputs"])
def test_queries_do_not_grow_with_the_episodes(app: Flask, client: FlaskClient, name: str) -> None:
    few, many = measure(app, client, 5), measure(app, client, 50)
    assert many[name] == few[name], (name, few, many)
    assert 0 < few[name] < 40, few

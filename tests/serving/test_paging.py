"""A school with 500 public episodes: its radio is paged, each page a file, and the rewrite and
the pages run a number of queries that does not depend on the page or on the episodes."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from web_support import fetch

from webradio import outputs, runtime, site
from webradio.extensions import db
from webradio.models import Episode, EpisodePart

from .conftest import Radio, counted

EPISODES = 500


def clone(radio: Radio, count: int) -> None:
    """`count` more published episodes on the same master, take and voice (no render each)."""
    model = radio.episode
    take = model.parts[0].take
    for number in range(1, count + 1):
        copy = Episode(
            guid=f"urn:uuid:{uuid.uuid4()}",
            school_id=model.school_id,
            title=f"Épisode n° {number:03d}",
            requested_audience=model.requested_audience,
            state=model.state,
            published_audiences=model.published_audiences,
            media_key=model.media_key,
            media_size=model.media_size,
            duration_s=model.duration_s,
            published_at=model.published_at - timedelta(minutes=number),
            chapters_json=model.chapters_json,
        )
        copy.parts = [EpisodePart(position=0, take=take, title="Ouverture")]
        copy.participants = list(model.participants)
        db.session.add(copy)


def titles(html: str) -> list[str]:
    """The episode titles listed on a page of the radio."""
    return re.findall(r'<h2><a href="[^"]+/episodes/[^"]+">([^<]+)</a></h2>', html)


def test_five_hundred_episodes_are_paged_with_a_fixed_number_of_queries(
    app: Flask, client: FlaskClient, radio: Radio
) -> None:
    clone(radio, EPISODES - 1)
    started = time.perf_counter()
    db.session.commit()  # the after-commit step writes every page and episode file
    written_s = time.perf_counter() - started
    slug = radio.school.slug
    root = runtime.feeds_root()
    pages = site.pages_of(EPISODES)
    assert pages == 25
    assert (root / site.page_path(slug, 25)).exists() and not (
        root / site.page_path(slug, 26)
    ).exists()

    first, last = f"/radio/{slug}/", f"/radio/{slug}/page/25"
    with counted() as queries:
        front, back = fetch(client, first), fetch(client, last)
    assert queries == []  # files
    assert titles(front.text)[:2] == ["Le potager", "Épisode n° 001"]
    assert len(titles(front.text)) == site.PER_PAGE
    assert titles(back.text)[-1] == "Épisode n° 499" and len(titles(back.text)) == site.PER_PAGE
    assert (
        "Épisodes plus anciens" in front.text
        and f'href="http://radio.test{first}page/2"' in front.text
    )
    assert "Épisodes plus récents" not in front.text
    assert (
        f'href="http://radio.test{first}page/24"' in back.text and "plus anciens" not in back.text
    )
    assert fetch(client, f"/radio/{slug}/page/26").status_code == 404
    assert fetch(client, f"/radio/{slug}/page/1").status_code == 301

    budget = {}
    for name, address in (("first", first), ("last", last)):
        db.session.expire_all()
        with counted() as queries:
            rendered = fetch(client, address + "?lang=fr")  # the app renders it
        assert rendered.data == fetch(client, address).data
        budget[name] = len(queries)
    assert budget["first"] == budget["last"] < 40, budget
    english = fetch(client, last + "?lang=en")
    assert english.status_code == 200 and 'lang="en"' in english.text
    with counted() as queries:
        again = fetch(client, last + "?lang=en")  # made once per version of the page
    assert again.data == english.data and len(queries) <= 2, queries
    db.session.expire_all()
    started = time.perf_counter()
    with counted() as queries:
        assert outputs.refresh({radio.school.id}) == []  # nothing changed: nothing rendered
    again_s = time.perf_counter() - started
    assert len(queries) < 60, len(queries)
    print(f"\n{EPISODES} episodes: first rewrite {written_s:.2f} s, again {again_s:.2f} s, "
          f"page queries {budget}, rewrite queries {len(queries)}")  # fmt: skip

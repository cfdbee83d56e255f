"""The auditor a third time (issue 10): ways staff write a classmate's first name that a reader
still reads as that name, and the paths that were tried and held.

Every test goes through a public interface (the HTTP client, the files a proxy serves, the
feeds parsed by feedparser) and is judged by what a family or the public would see.
"""

from __future__ import annotations

import feedparser
from flask.testing import FlaskClient

from webradio import names, publication, runtime, schools, urls
from webradio.extensions import db

from .conftest import World, grant, refreshed

# How a classmate's first name (Zoé, class only, never credited) can reach a reader although no
# letter run of the typed text spells it: a podcast app renders an item's description as HTML
# and a WebVTT cue's markup, so entities and tags vanish on screen; a hashtag glues words.
SHOWN_AS_ZOE = {
    "description": "Bravo à Zo&eacute; pour son reportage !",
    "title": "Le journal #MerciZoé",
    "transcript": "WEBVTT\n\n00:00.000 --> 00:01.000\nMerci Z<b>o</b>é et L<i></i>éa !",
}


def public_guids(world: World) -> list[str]:
    """The GUIDs of the school's public feed file, as a proxy would serve it."""
    path = runtime.feeds_root() / f"{world.school.slug}.xml"
    return [entry.id for entry in feedparser.parse(path.read_bytes()).entries]


def test_a_name_hidden_by_markup_entities_or_a_hashtag_is_still_found(
    client: FlaskClient, world: World
) -> None:
    zoe = schools.add_pupil(world.school, "CE2", "Zoé")
    grant(zoe, "class")
    publication.publish(world.episode, approved_by=None)
    guid = world.episode.guid
    page = urls.episode_page(world.school.slug, world.episode.id).removeprefix(urls.base())
    for place, typed in SHOWN_AS_ZOE.items():
        episode = refreshed(world.episode)
        before = getattr(episode, place)
        setattr(episode, place, typed)
        db.session.commit()
        assert guid not in public_guids(world), place
        assert client.get(page).status_code == 410, place
        setattr(refreshed(world.episode), place, before)
        db.session.commit()
        assert guid in public_guids(world), place


def test_erasure_blanks_a_name_hidden_by_markup_entities_or_a_hashtag() -> None:
    for typed in SHOWN_AS_ZOE.values():
        blanked = names.redact(typed, ["Zoé"])
        assert names.ERASED in blanked, blanked
        assert not names.find({"text": blanked}, [("zoe", "Zoé")]), blanked

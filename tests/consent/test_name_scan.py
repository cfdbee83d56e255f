"""A scan of every public output finds no first name whose family did not allow crediting."""

from __future__ import annotations

import importlib
import re
import unicodedata
from pathlib import Path

from flask.testing import FlaskClient
from mutagen.id3 import ID3

from webradio import authorisations, clearance, publication, runtime, schools, urls
from webradio.consent import parse_audiences
from webradio.extensions import db
from webradio.models import Episode

from .conftest import World, grant, make_episode


def plain(text: str) -> str:
    """Lower case without accents, so "Inès", "INES" and "ines" all match."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))


def says(text: str, name: str) -> bool:
    """True when `name` appears in `text` as a whole word, whatever the case and accents."""
    return re.search(rf"(?<!\w){re.escape(plain(name))}(?!\w)", plain(text)) is not None


def get_text(client: FlaskClient, url: str) -> str:
    """The body of a public URL as text (any status: a 410 note is output too)."""
    response = client.get(url.removeprefix(urls.base()))
    text = response.get_data(as_text=True)
    response.close()
    return text


def id3_text(path: Path) -> str:
    """Every text the MP3's ID3 tag carries, chapters' sub-frames included."""
    tag = ID3(str(path))
    parts = []
    for frame in tag.values():
        parts.append(frame.pprint())
        for sub in getattr(frame, "sub_frames", {}).values():
            parts.append(sub.pprint())
    return "\n".join(parts)


def public_outputs(client: FlaskClient, world: World, episodes: list[Episode]) -> dict[str, str]:
    """Every public output of the school, by where it comes from."""
    slug = world.school.slug
    out = {
        "school page": get_text(client, urls.school_page(slug)),
        "public feed": get_text(client, urls.feed(slug)),
        "privacy page": get_text(client, urls.consent_page(slug)),
    }
    if hasattr(urls, "city_feed"):
        out["city feed"] = get_text(client, urls.city_feed())
    if hasattr(urls, "family_feed"):
        sharing = importlib.import_module("webradio.sharing")
        secret = sharing.create_token(world.school, "Famille").token
        out["family feed"] = get_text(client, urls.family_feed(secret))
        out["family page"] = get_text(client, urls.family_home(secret))
    for e in episodes:
        page = urls.episode_page(slug, e.id)
        out[f"page {e.title}"] = get_text(client, page)
        out[f"embed {e.title}"] = get_text(client, urls.embed(e.id))
        if hasattr(urls, "oembed"):
            out[f"oembed {e.title}"] = get_text(client, urls.oembed(page))
        if hasattr(urls, "chapters"):
            out[f"chapters {e.title}"] = get_text(client, urls.chapters(e.id))
        if hasattr(urls, "transcript"):
            out[f"transcript {e.title}"] = get_text(client, urls.transcript(e.id))
        if "public" in clearance.live_audiences(e) and e.media_key:
            out[f"id3 {e.title}"] = id3_text(runtime.storage().local_path(e.media_key))
    return out


def test_no_public_output_names_a_pupil_whose_family_refused_crediting(
    client: FlaskClient, world: World, take_wav: Path
) -> None:
    # Léa may be credited; Inès may not; Noé may, then his family withdraws everything.
    noe = schools.add_pupil(world.school, "CM2", "Noé")
    grant(noe, "class,families,public", credit=True)
    credited = make_episode(
        world.school, take_wav, [world.lea, world.ines], "Léa au micro", ("Léa chante", "Reportage")
    )
    credited.transcript = "WEBVTT\n\n00:00.000 --> 00:01.000\nBonjour, c'est Léa."
    named = make_episode(world.school, take_wav, [world.ines], "Inès raconte sa journée")
    in_chapters = make_episode(
        world.school, take_wav, [world.ines, world.lea], "Le reportage", ("Inès au micro",)
    )
    withdrawn = make_episode(world.school, take_wav, [noe], "Noé lit un poème")
    db.session.commit()
    episodes = [credited, named, in_chapters, withdrawn]
    for episode in episodes:
        publication.publish(episode, approved_by=None)
    authorisations.withdraw(noe, parse_audiences("class,families,public"))
    assert clearance.live_audiences(named) == ("class",)
    assert clearance.live_audiences(in_chapters) == ("class",)
    assert "public" in clearance.live_audiences(credited)

    outputs = public_outputs(client, world, episodes)
    for where, text in outputs.items():
        assert not says(text, "Inès"), where
        assert not says(text, "Noé"), where
    # The scan can see names: the credited one is there, in the feed and in the MP3's chapters.
    assert "Léa" in outputs["public feed"]
    assert "Léa chante" in outputs["id3 Léa au micro"]

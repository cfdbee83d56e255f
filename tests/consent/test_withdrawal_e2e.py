"""End to end through HTTP: publish, withdraw, watch every channel answer, re-edit, republish."""

from __future__ import annotations

import json

import feedparser
from flask.testing import FlaskClient
from mutagen.mp3 import MP3
from web_support import sign_in
from werkzeug.test import TestResponse

from webradio import clearance, publication, pupils, reedit, runtime, sharing, urls
from webradio.audio.tags import read_tags
from webradio.extensions import db

from .conftest import World


def get(client: FlaskClient, path: str, method: str = "GET") -> TestResponse:
    """Request `path`, read and close the answer (send_file keeps the file open)."""
    response = client.open(path, method=method)
    response.get_data()
    response.close()
    return response


def local(url: str) -> str:
    """A public URL as a path for the test client."""
    return url.removeprefix(urls.base())


def channels(client: FlaskClient, world: World) -> dict[str, int]:
    """What each public channel answers for the episode now."""
    episode = world.episode
    db.session.refresh(episode)
    assert episode.media_key
    feed = feedparser.parse(get(client, f"/feeds/{world.school.slug}.xml").data)
    token = sharing.list_tokens(world.school)[0].token
    family = feedparser.parse(get(client, local(urls.family_feed(token))).data)
    page = urls.episode_page(world.school.slug, episode.id)
    return {
        "feed": 200 if any(e.id == episode.guid for e in feed.entries) else 404,
        "family feed": 200 if any(e.id == episode.guid for e in family.entries) else 404,
        "oembed": get(client, local(urls.oembed(page))).status_code,
        "page": get(client, f"/radio/{world.school.slug}/episodes/{episode.id}").status_code,
        "embed": get(client, f"/embed/{episode.id}").status_code,
        "media": get(client, local(urls.media(episode.id, episode.media_key))).status_code,
        "head": get(client, local(urls.media(episode.id, episode.media_key)), "HEAD").status_code,
    }


def test_withdraw_then_reedit_without_the_pupil_and_republish(
    client: FlaskClient, world: World
) -> None:
    sharing.create_token(world.school, "Famille test")
    publication.publish(world.episode, approved_by=None)
    assert set(channels(client, world).values()) == {200}
    old_media = urls.media(world.episode.id, world.episode.media_key or "")
    guid = world.episode.guid
    lea_chapter, _ = json.loads(world.episode.chapters_json or "[]")

    sign_in(client, "head@consent.fr")
    client.post(f"/autorisations/eleves/{world.ines.id}/retrait", data={"audiences": "public"})
    after = channels(client, world)
    assert after == {
        "feed": 404,
        "family feed": 200,  # families are still granted: the episode stays there
        "oembed": 404,
        "page": 410,
        "embed": 410,
        "media": 410,
        "head": 410,
    }
    embed = get(client, f"/embed/{world.episode.id}")
    assert "retiré" in embed.text and "famille" in embed.text
    assert clearance.live_audiences(world.episode) == ("class", "families")

    client.post("/deconnexion")
    sign_in(client, "prof@consent.fr")
    dashboard = client.get("/")
    assert "Le journal" in dashboard.text and "le public" in dashboard.text
    assert "à la demande d’une famille" in dashboard.text
    form = client.get(f"/episodes/{world.episode.id}/remontage")
    assert f'value="{world.ines.id}" checked' in form.text
    done = client.post(
        f"/episodes/{world.episode.id}/remontage", data={"pupil_ids": [world.ines.id]}
    )
    assert done.status_code == 302
    db.session.expire_all()
    episode = world.episode
    # A teacher's re-edit goes back through the head's approval, as a first publication.
    assert episode.state == "ready" and episode.submitted_at is not None
    client.post("/deconnexion")
    sign_in(client, "head@consent.fr")
    assert client.post(f"/episodes/{episode.id}/publier").status_code == 302
    db.session.expire_all()
    assert episode.guid == guid and episode.state == "published"
    assert [p.first_name for p in episode.participants] == ["Léa"]
    assert len(episode.parts) == 1
    assert set(channels(client, world).values()) == {200}
    new_media = urls.media(episode.id, episode.media_key or "")
    assert new_media != old_media
    moved = get(client, local(old_media))
    assert moved.status_code == 301 and moved.headers["Location"].endswith(local(new_media))
    (chapter,) = json.loads(episode.chapters_json or "[]")
    assert chapter["start_s"] == 0.0 and chapter["part_id"] == episode.parts[0].id
    tags = read_tags(runtime.storage().local_path(episode.media_key or ""))
    assert [c.title for c in tags.chapters] == [chapter["title"]]
    assert abs((episode.duration_s or 0) - chapter["end_s"]) < 0.01
    kept_s = lea_chapter["end_s"] - lea_chapter["start_s"]
    assert abs(chapter["end_s"] - kept_s) < 0.05  # Léa's part, whole; Inès's, gone
    master = MP3(runtime.storage().local_path(episode.media_key or ""))
    assert abs(master.info.length - kept_s) < 0.15  # the bytes, not just the bookkeeping


def test_after_an_erasure_the_re_edit_drops_the_master_holding_the_voice(
    client: FlaskClient, world: World
) -> None:
    publication.publish(world.episode, approved_by=None)
    old_key = world.episode.media_key or ""
    pupils.erase(world.ines)
    db.session.expire_all()
    assert world.episode.state == "withdrawn"  # and it stays so until staff publish again
    assert not runtime.storage().exists(old_key)  # erasure cut her parts out already
    assert reedit.blocking_pupils(world.episode) == []
    assert [world.ines not in p.take.speakers for p in world.episode.parts] == [True]
    publication.publish(world.episode, approved_by=None)
    assert clearance.live_audiences(world.episode) == ("class", "families", "public")
    assert get(client, f"/embed/{world.episode.id}").status_code == 200

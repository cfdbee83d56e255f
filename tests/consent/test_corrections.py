"""Corrections: staff fix an episode's words (beyond the class, only the head), the gate reads
them at once, the MP3's tags follow; staff delete a take nobody uses, with its sound."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from flask.testing import FlaskClient
from web_support import sign_in

from webradio import feeds, publication, runtime, takes
from webradio.audio.tags import read_tags
from webradio.extensions import db
from webradio.models import Take

from .conftest import World


def test_words_of_a_public_episode_are_the_heads_and_the_gate_reads_them(
    client: FlaskClient, world: World
) -> None:
    publication.publish(world.episode, approved_by=None)
    episode = world.episode
    first_part = episode.parts[0]
    form = {"title": "Inès au micro", "description": "", f"chapter-{first_part.id}": "Le début"}
    sign_in(client, "prof@consent.fr")
    assert client.post(f"/episodes/{episode.id}/textes", data=form).status_code == 403
    db.session.expire_all()
    assert episode.title == "Le journal"
    old_master = runtime.storage().local_path(episode.media_key or "")
    sign_in(client, "head@consent.fr")
    assert client.post(f"/episodes/{episode.id}/textes", data=form).status_code == 302
    db.session.expire_all()
    assert episode.title == "Inès au micro"
    # Inès's family did not allow her first name to be said: the episode stays in the class.
    assert episode.guid not in feeds.feed_path(world.school).read_text()
    tags = read_tags(runtime.storage().local_path(episode.media_key or ""))
    assert tags.title == "Inès au micro" and tags.chapters[0].title == "Le début"
    assert not old_master.exists()


def test_a_take_nobody_uses_is_deleted_with_its_sound(
    client: FlaskClient, world: World, take_wav: Path
) -> None:
    spare = takes.ingest(world.school, BytesIO(take_wav.read_bytes() + b"\x09"), label="Essai")
    used = world.episode.parts[0].take
    sign_in(client, "prof@consent.fr")
    refused = client.post(f"/prises/{used.id}/supprimer", data={"confirm": "1"})
    assert refused.status_code == 400
    spare_id, path = spare.id, runtime.storage().local_path(spare.storage_key)
    assert path.exists()
    assert client.post(f"/prises/{spare.id}/supprimer").status_code == 400  # not confirmed
    assert client.post(f"/prises/{spare.id}/supprimer", data={"confirm": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Take, spare_id) is None and not path.exists()

"""Approval: the head sees what waits first, approves or refuses with a comment the teacher
reads; the head alone unpublishes (410, a neutral note) or deletes an episode."""

from __future__ import annotations

from flask.testing import FlaskClient
from web_support import fetch, sign_in

from webradio import feeds, runtime, urls
from webradio.extensions import db
from webradio.models import Episode

from .conftest import World


def request_publication(client: FlaskClient, world: World) -> None:
    """The teacher asks for the public: a request for the head, nothing published yet."""
    sign_in(client, "prof@consent.fr")
    assert client.post(f"/episodes/{world.episode.id}/publier").status_code == 302
    db.session.expire_all()
    assert world.episode.state == "ready" and world.episode.submitted_at is not None


def public_guids(world: World) -> str:
    """The public feed file's text."""
    return feeds.feed_path(world.school).read_text()


def test_the_head_refuses_with_a_comment_the_teacher_reads(
    client: FlaskClient, world: World
) -> None:
    request_publication(client, world)
    sign_in(client, "head@consent.fr")
    dashboard = fetch(client, "/").text
    waiting = dashboard.index("À valider")
    assert waiting < dashboard.index("Autorisations parentales"), "first on the dashboard"
    assert world.episode.title in dashboard[waiting:]
    empty = client.post(f"/episodes/{world.episode.id}/decision", data={"decision": "refuse"})
    assert empty.status_code == 400 and "pourquoi" in empty.text
    comment = "Le son du début est trop fort, refaites la première partie."
    answer = client.post(
        f"/episodes/{world.episode.id}/decision", data={"decision": "refuse", "comment": comment}
    )
    assert answer.status_code == 302
    assert "À valider" not in fetch(client, "/").text
    sign_in(client, "prof@consent.fr")
    assert comment in fetch(client, "/").text
    assert comment in fetch(client, f"/episodes/{world.episode.id}").text
    assert world.episode.guid not in public_guids(world)


def test_the_head_approves_and_the_episode_is_public(client: FlaskClient, world: World) -> None:
    request_publication(client, world)
    sign_in(client, "head@consent.fr")
    answer = client.post(
        f"/episodes/{world.episode.id}/decision", data={"decision": "approve", "comment": "Bravo"}
    )
    assert answer.status_code == 302
    db.session.expire_all()
    assert world.episode.state == "published" and world.episode.submitted_at is None
    assert world.episode.guid in public_guids(world)
    sign_in(client, "prof@consent.fr")
    assert "Bravo" in fetch(client, f"/episodes/{world.episode.id}").text
    refused = client.post(f"/episodes/{world.episode.id}/decision", data={"decision": "approve"})
    assert refused.status_code == 403


def test_the_head_unpublishes_with_a_neutral_note_then_deletes(
    client: FlaskClient, world: World
) -> None:
    request_publication(client, world)
    sign_in(client, "head@consent.fr")
    client.post(f"/episodes/{world.episode.id}/decision", data={"decision": "approve"})
    page = f"/radio/{world.school.slug}/episodes/{world.episode.id}"
    assert fetch(client, page).status_code == 200
    sign_in(client, "prof@consent.fr")
    assert client.post(f"/episodes/{world.episode.id}/depublier").status_code == 403
    sign_in(client, "head@consent.fr")
    unticked = client.post(f"/episodes/{world.episode.id}/depublier")
    assert unticked.status_code == 400
    assert (
        client.post(f"/episodes/{world.episode.id}/depublier", data={"confirm": "1"}).status_code
        == 302
    )
    gone = fetch(client, page)
    assert gone.status_code == 410
    assert "n’est plus diffusé" in gone.text and "famille" not in gone.text
    assert world.episode.guid not in public_guids(world)
    episode_id = world.episode.id
    master = runtime.storage().local_path(world.episode.media_key or "")
    media = urls.media(world.episode.id, world.episode.media_key or "").removeprefix(urls.base())
    assert fetch(client, media).status_code == 410
    assert (
        client.post(f"/episodes/{world.episode.id}/supprimer", data={"confirm": "1"}).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Episode, episode_id) is None
    assert not master.exists()
    assert fetch(client, page).status_code == 404

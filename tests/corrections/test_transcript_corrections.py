"""A teacher's correction of the transcript of an episode published beyond the class waits
for the head like the other words: the public transcript changes only on approval, through
the gate (a classmate named whose family refused takes the episode off the public)."""

from __future__ import annotations

from flask.testing import FlaskClient
from web_support import fetch, sign_in

from webradio import feeds, publication, sharing
from webradio.extensions import db

from .conftest import Class, Inbox, body_of
from .test_corrections_web import HEAD, TEACHER, decide
from .test_corrections_web import propose as retitle

BEFORE = "Bonjour, voici le journal.\nIl fait beau.\nÀ demain."


def public_transcript(client: FlaskClient, world: Class) -> tuple[int, str]:
    """The public transcript as anyone reads it (signed out)."""
    client.post("/deconnexion")
    answer = fetch(client, f"/media/{world.episode.id}/transcription.txt")
    return answer.status_code, answer.text.strip()


def propose(client: FlaskClient, world: Class, transcript: str) -> None:
    """The teacher sends a correction of the transcript from the episode page."""
    sign_in(client, TEACHER)
    page = fetch(client, f"/episodes/{world.episode.id}").text
    action = f"/episodes/{world.episode.id}/transcription/proposer"
    assert f'action="{action}"' in page  # the page's transcript form asks the head
    answer = client.post(action, data={"transcript": transcript})
    assert answer.status_code == 302, answer.text


def test_a_teachers_transcript_waits_for_the_head_then_goes_through_the_gate(
    client: FlaskClient, published: Class, inbox: Inbox
) -> None:
    """One school for the stories (a render costs seconds): a refusal the teacher reads, an
    approval the public transcript shows, an approval that names a refusing classmate."""
    world = published
    sharing.update_sharing(world.episode, publication.CLI, False, BEFORE)
    assert public_transcript(client, world) == (200, BEFORE)
    refused_with_a_comment(client, world, inbox)
    approved_with_the_words(client, world)
    approved_naming_a_classmate(client, world)


def refused_with_a_comment(client: FlaskClient, world: Class, inbox: Inbox) -> None:
    """The head compares the lines, refuses with a comment; the teacher reads it."""
    inbox.clear()
    propose(client, world, "Bonjour, voici le journal.\nIl pleut.\nÀ demain.")
    assert "corriger les textes" in body_of(inbox.wait_for(HEAD))
    assert public_transcript(client, world) == (200, BEFORE)
    sign_in(client, HEAD)
    assert "correction des textes" in fetch(client, "/").text
    staff_page = fetch(client, f"/episodes/{world.episode.id}").text
    assert "<del>Il fait beau.</del>" in staff_page and "<ins>Il pleut.</ins>" in staff_page
    comment = "Il faisait beau ce jour-là."
    assert decide(client, world, "refuse", comment) == 302
    sign_in(client, TEACHER)
    assert comment in fetch(client, "/").text
    assert comment in fetch(client, f"/episodes/{world.episode.id}").text
    assert public_transcript(client, world) == (200, BEFORE)
    db.session.expire_all()
    assert world.episode.transcript == BEFORE and world.episode.pending_edit_json is None


def approved_with_the_words(client: FlaskClient, world: Class) -> None:
    """Titles and a transcript make one request (a second title replaces the first and keeps
    the transcript); the city sharing stays the head's; the approval puts both online."""
    retitle(client, world, "Le journal du mercredi")
    after = "Bonjour, voici le journal du jeudi.\nIl fait beau.\nÀ demain."
    propose(client, world, after)
    retitle(client, world, "Le journal du jeudi")
    city = {"shared_with_city": "1", "transcript": after}
    assert client.post(f"/episodes/{world.episode.id}/diffusion", data=city).status_code == 403
    assert public_transcript(client, world) == (200, BEFORE)
    assert decide(client, world, "approve") == 302
    assert public_transcript(client, world) == (200, after)
    assert "<title>Le journal du jeudi</title>" in feeds.feed_path(world.school).read_text()
    db.session.expire_all()
    assert world.episode.pending_edit_json is None and not world.episode.shared_with_city


def approved_naming_a_classmate(client: FlaskClient, world: Class) -> None:
    """Noé's family allowed the class only: his name in the transcript, once approved, takes
    the episode off every public channel, as if the head had typed it."""
    propose(client, world, "Bonjour, Noé lit le journal.")
    sign_in(client, HEAD)
    assert "Ces textes nomment : Noé" in fetch(client, f"/episodes/{world.episode.id}").text
    assert public_transcript(client, world)[0] == 200
    assert decide(client, world, "approve") == 302
    status, text = public_transcript(client, world)
    assert status in (404, 410) and "Noé" not in text
    page = fetch(client, f"/radio/{world.school.slug}/episodes/{world.episode.id}")
    assert page.status_code in (404, 410) and "Noé" not in page.text
    feed = feeds.feed_path(world.school).read_text()
    assert world.episode.guid not in feed and "Noé" not in feed
    db.session.expire_all()
    assert world.episode.transcript == "Bonjour, Noé lit le journal."  # the class still has it

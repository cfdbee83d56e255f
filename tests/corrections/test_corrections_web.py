"""A teacher's correction of an episode published beyond the class is a request the head
approves (applied through the gate at once) or refuses with a comment the teacher reads."""

from __future__ import annotations

from flask.testing import FlaskClient
from web_support import fetch, sign_in

from webradio import feeds, people, schools
from webradio.extensions import db

from .conftest import Class, Inbox, body_of

HEAD, TEACHER = "head@corrections.fr", "prof@corrections.fr"


def public_page(client: FlaskClient, world: Class) -> tuple[int, str]:
    """The public episode page as anyone reads it (signed out)."""
    client.post("/deconnexion")
    answer = fetch(client, f"/radio/{world.school.slug}/episodes/{world.episode.id}")
    return answer.status_code, answer.text


def public_feed(world: Class) -> str:
    """The public feed file's text."""
    return feeds.feed_path(world.school).read_text()


def propose(client: FlaskClient, world: Class, title: str) -> None:
    """The teacher sends a correction of the title (chapters and description unchanged)."""
    sign_in(client, TEACHER)
    form = {"title": title, "description": world.episode.description}
    answer = client.post(f"/episodes/{world.episode.id}/textes/proposer", data=form)
    assert answer.status_code == 302, answer.text


def decide(client: FlaskClient, world: Class, decision: str, comment: str = "") -> int:
    """The head answers the pending correction."""
    sign_in(client, HEAD)
    form = {"decision": decision, "comment": comment}
    return client.post(f"/episodes/{world.episode.id}/textes/decision", data=form).status_code


def test_corrections_wait_for_the_head_who_refuses_or_approves_through_the_gate(
    client: FlaskClient, published: Class, inbox: Inbox
) -> None:
    """One school for the three stories (each render costs seconds): a refusal the teacher
    reads, an approval every channel shows, an approval that names a classmate."""
    world = published
    refused_with_a_comment(client, world)
    approved_everywhere(client, world, inbox)
    approved_naming_a_classmate(client, world)
    archived_pupils_leave_the_voice_pickers(client, world)


def archived_pupils_leave_the_voice_pickers(client: FlaskClient, world: Class) -> None:
    """A pupil archived is no longer offered as a voice; one declared already stays."""
    tom = schools.add_pupil(world.school, "CM2", "Tom")
    lea = world.episode.parts[0].take.speakers[0]
    people.archive_pupil(world.school, tom.id)
    people.archive_pupil(world.school, lea.id)
    sign_in(client, TEACHER)
    page = fetch(client, f"/episodes/{world.episode.id}").text
    assert "Tom" not in page and f'value="{lea.id}" checked' in page


def approved_everywhere(client: FlaskClient, world: Class, inbox: Inbox) -> None:
    """The correction waits (public page and feed unchanged), the head approves, both follow."""
    inbox.clear()
    propose(client, world, "Le journal du jeudi")
    assert "corriger les textes de l'épisode « Le journal »" in body_of(inbox.wait_for(HEAD))
    status, page = public_page(client, world)
    assert status == 200 and "Le journal du jeudi" not in page and "Le journal" in page
    assert "Le journal du jeudi" not in public_feed(world)
    sign_in(client, HEAD)
    dashboard = fetch(client, "/").text
    waiting = dashboard.index("À valider")
    assert "correction des textes" in dashboard[waiting:] and "Le journal" in dashboard[waiting:]
    staff_page = fetch(client, f"/episodes/{world.episode.id}").text
    assert "<del>Le journal</del>" in staff_page and "<ins>Le journal du jeudi</ins>" in staff_page
    inbox.clear()
    assert decide(client, world, "approve", "Merci") == 302
    assert "validé" in body_of(inbox.wait_for(TEACHER))
    status, page = public_page(client, world)
    assert status == 200 and "Le journal du jeudi" in page
    assert "<title>Le journal du jeudi</title>" in public_feed(world)
    sign_in(client, HEAD)
    assert "À valider" not in fetch(client, "/").text
    sign_in(client, TEACHER)
    assert "validée par la direction" in fetch(client, "/").text
    # The teacher cannot apply words directly, nor answer the request for the head.
    direct = client.post(f"/episodes/{world.episode.id}/textes", data={"title": "Autre"})
    assert direct.status_code == 403
    propose(client, world, "Encore un titre")
    by_teacher = client.post(
        f"/episodes/{world.episode.id}/textes/decision", data={"decision": "approve"}
    )
    assert by_teacher.status_code == 403
    db.session.expire_all()
    assert world.episode.title == "Le journal du jeudi"


def refused_with_a_comment(client: FlaskClient, world: Class) -> None:
    """A second correction replaces the first; the refusal's comment reaches the teacher."""
    propose(client, world, "Premier essai")
    propose(client, world, "Second essai")  # replaces the first
    sign_in(client, HEAD)
    staff_page = fetch(client, f"/episodes/{world.episode.id}").text
    assert "Second essai" in staff_page and "Premier essai" not in staff_page
    assert decide(client, world, "refuse") == 400  # a refusal says why
    comment = "Gardez le titre de la série, merci."
    assert decide(client, world, "refuse", comment) == 302
    sign_in(client, TEACHER)
    assert comment in fetch(client, "/").text
    assert comment in fetch(client, f"/episodes/{world.episode.id}").text
    status, page = public_page(client, world)
    assert status == 200 and "essai" not in page and "essai" not in public_feed(world)
    db.session.expire_all()
    assert world.episode.title == "Le journal" and world.episode.pending_edit_json is None


def approved_naming_a_classmate(client: FlaskClient, world: Class) -> None:
    """A name whose family did not allow it takes the episode off the public at once."""
    propose(client, world, "Le journal, avec Noé")
    sign_in(client, HEAD)
    assert "Noé" in fetch(client, f"/episodes/{world.episode.id}").text  # warned before
    status, page = public_page(client, world)
    assert status == 200 and "Noé" not in page and "Noé" not in public_feed(world)
    assert decide(client, world, "approve") == 302
    status, page = public_page(client, world)
    assert status in (404, 410) and "Noé" not in page
    assert world.episode.guid not in public_feed(world) and "Noé" not in public_feed(world)
    school_page = fetch(client, f"/radio/{world.school.slug}").text
    assert "Noé" not in school_page
    db.session.expire_all()
    assert world.episode.title == "Le journal, avec Noé"  # still heard by the class

"""The audit log and withdrawal reasons: ids, audiences and dates, never a name."""

from __future__ import annotations

import json

from webradio import authorisations, clearance, publication
from webradio.consent import parse_audiences
from webradio.extensions import db
from webradio.models import AuditEvent

from .conftest import World


def kinds(subject_id: str) -> list[str]:
    """The audit kinds recorded about one subject, oldest first."""
    rows = AuditEvent.query.filter_by(subject_id=subject_id).order_by(AuditEvent.at).all()
    return [row.kind for row in rows]


def test_every_consent_change_and_publication_is_logged_without_names(world: World) -> None:
    publication.publish(world.episode, approved_by=None)
    authorisations.withdraw(world.ines, parse_audiences("public"))
    authorisations.grant(world.ines, authorisations.GrantRequest(parse_audiences("class")))
    authorisations.withdraw(world.ines)
    (grant_id,) = [g.id for g in world.ines.grants]
    assert kinds(grant_id) == [
        "consent.granted",
        "consent.withdrawn",
        "consent.amended",
        "consent.withdrawn",
    ]
    assert kinds(world.episode.id) == [
        "episode.published",
        "episode.narrowed",  # public withdrawn: class and families remain
        "episode.narrowed",  # amended to class only
        "episode.withdrawn",
    ]
    for row in AuditEvent.query.all():
        text = row.detail_json + row.kind
        assert "Léa" not in text and "Inès" not in text
    withdrawn = AuditEvent.query.filter_by(kind="episode.withdrawn").one()
    assert json.loads(withdrawn.detail_json) == {"audiences": [], "reason": "consent"}
    narrowed = AuditEvent.query.filter_by(kind="episode.narrowed").order_by(AuditEvent.at).all()
    assert [json.loads(n.detail_json)["audiences"] for n in narrowed] == [
        ["class", "families"],
        ["class"],
    ]


def test_an_episode_cleared_for_nothing_records_when_and_why(world: World) -> None:
    publication.publish(world.episode, approved_by=None)
    authorisations.withdraw(world.lea)
    db.session.expire_all()
    assert world.episode.state == "withdrawn"
    assert world.episode.withdrawn_at is not None
    assert world.episode.withdrawn_reason == "consent"
    assert clearance.visibility(world.episode, "public") is clearance.Visibility.GONE


def test_republishing_clears_the_withdrawal(world: World) -> None:
    publication.publish(world.episode, approved_by=None)
    authorisations.withdraw(world.lea)
    authorisations.grant(world.lea, authorisations.GrantRequest(parse_audiences("class")))
    cleared = publication.publish(world.episode, approved_by=None)
    assert cleared.audiences == ("class",)
    assert world.episode.withdrawn_at is None and world.episode.withdrawn_reason is None


def test_a_transcript_naming_an_uncredited_pupil_blocks_beyond_class(world: World) -> None:
    world.episode.transcript = "WEBVTT\n\n00:00.000 --> 00:02.000\nBonjour, je suis Inès."
    db.session.commit()
    cleared = clearance.of(world.episode)
    assert cleared.audiences == ("class",)
    assert {(b.cause, b.pupil_ids, b.places) for b in cleared.blocks} == {
        ("named", (world.ines.id,), ("transcript",))
    }


def test_a_speaker_declared_on_a_part_counts_even_if_not_a_participant(world: World) -> None:
    world.episode.participants = [world.lea]
    db.session.commit()
    authorisations.withdraw(world.ines, parse_audiences("public"))
    assert clearance.of(world.episode).audiences == ("class", "families")


def test_a_grant_that_widens_a_published_episode_is_logged_as_such(world: World) -> None:
    publication.publish(world.episode, approved_by=None)
    authorisations.withdraw(world.ines, parse_audiences("public"))
    request = authorisations.GrantRequest(parse_audiences("class,families,public"))
    authorisations.grant(world.ines, request)
    assert kinds(world.episode.id) == ["episode.published", "episode.narrowed", "episode.widened"]
    assert clearance.live_audiences(world.episode) == ("class", "families", "public")

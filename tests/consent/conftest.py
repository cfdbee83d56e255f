"""A school with pupils, grants and a rendered two-part episode, each part spoken by one pupil."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from web_support import PASSWORD

from webradio import authorisations, episodes, schools, takes
from webradio.clock import today_paris
from webradio.consent import parse_audiences
from webradio.extensions import db
from webradio.models import Episode, Pupil, School, TakeSpeaker

# Every take made here gets bytes of its own: the same file sent twice is one take.
DISTINCT = itertools.count()


@dataclass
class World:
    """The objects a consent test starts from."""

    school: School
    lea: Pupil  # class, families, public; her first name may be credited
    ines: Pupil  # class, families; her first name may not be credited
    episode: Episode  # parts: Léa's take, then Inès's take; asks for public


def grant(pupil: Pupil, audiences: str, credit: bool = False) -> None:
    """Record an authorisation for this school year."""
    request = authorisations.GrantRequest(
        parse_audiences(audiences),
        credit_first_name=credit,
        signed_on=today_paris(),
        guardians_signed=1,
    )
    authorisations.grant(pupil, request)


def make_episode(
    school: School,
    wav: Path,
    speakers: list[Pupil],
    title: str = "Le journal",
    labels: tuple[str, ...] = (),
) -> Episode:
    """A rendered episode with one part per speaker (a distinct take each), asking for public.

    `labels` name the parts (chapter titles), by default "Partie 1", "Partie 2"...
    """
    take_ids = []
    for number, pupil in enumerate(speakers):
        data = wav.read_bytes() + bytes(next(DISTINCT))  # distinct bytes: distinct takes
        label = labels[number] if number < len(labels) else f"Partie {number + 1}"
        take = takes.ingest(school, BytesIO(data), label=label)
        db.session.add(TakeSpeaker(take_id=take.id, pupil_id=pupil.id))
        take_ids.append(take.id)
    db.session.commit()
    draft = episodes.EpisodeDraft(
        title=title,
        take_ids=take_ids,
        audience="public",
        participant_ids=[p.id for p in speakers],
    )
    created = episodes.create(school, draft)
    for part, label in zip(created.parts, labels, strict=False):
        part.title = label  # staff typed the chapter titles
    db.session.commit()
    return episodes.render_episode(created.id)


def refreshed(episode: Episode) -> Episode:
    """The episode as stored now."""
    db.session.expire_all()
    found = db.session.get(Episode, episode.id)
    assert found is not None
    return found


@pytest.fixture
def world(app: Flask, take_wav: Path) -> World:
    """École du Consentement: Léa (public, credited) and Inès (families) speak in one episode."""
    school = schools.create_school("ecole-consent", "École du Consentement")
    schools.create_user("head@consent.fr", "head", PASSWORD, school)
    schools.create_user("prof@consent.fr", "teacher", PASSWORD, school)
    lea = schools.add_pupil(school, "CM2", "Léa")
    ines = schools.add_pupil(school, "CM2", "Inès")
    grant(lea, "class,families,public", credit=True)
    grant(ines, "class,families,public")
    episode = make_episode(school, take_wav, [lea, ines])
    return World(school, lea, ines, episode)

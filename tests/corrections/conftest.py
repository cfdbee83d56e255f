"""A school whose public episode a teacher corrects: Léa speaks in it, Noé does not
(his family allowed the class only); a real SMTP server takes the notifications."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from accounts.conftest import Inbox, body_of, inbox, smtp_server  # noqa: F401
from consent.conftest import grant, make_episode
from flask import Flask
from web_support import PASSWORD

from webradio import publication, schools
from webradio.models import Episode, Pupil, School


@dataclass
class Class:
    """The objects a correction test starts from."""

    school: School
    noe: Pupil  # class only, his first name may not be credited; he is not heard
    episode: Episode  # "Le journal", published: public


@pytest.fixture
def published(app: Flask, take_wav: Path) -> Class:
    """École des Corrections with a head, a teacher and a public episode."""
    school = schools.create_school("ecole-corrections", "École des Corrections")
    schools.create_user("head@corrections.fr", "head", PASSWORD, school)
    schools.create_user("prof@corrections.fr", "teacher", PASSWORD, school)
    lea = schools.add_pupil(school, "CM2", "Léa")
    noe = schools.add_pupil(school, "CM2", "Noé")
    grant(lea, "class,families,public", credit=True)
    grant(noe, "class")
    episode = make_episode(school, take_wav, [lea])
    answer = publication.publish(episode, approved_by=None)
    assert "public" in answer.audiences
    return Class(school, noe, episode)

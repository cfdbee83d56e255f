"""The head's settings page: description, directories opt-in, contact address, default preset."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from web_support import PASSWORD, fetch, sign_in

from webradio import authorisations, episodes, publication, runtime, schools, takes
from webradio.clock import today_paris
from webradio.extensions import db
from webradio.models import School

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
}
PAGE = "/ecole/reglages"


@pytest.fixture
def school(app: Flask) -> School:
    """A school with its head and a teacher; its public feed is already on disk."""
    created = schools.create_school("ecole-reglages", "École des Réglages")
    schools.create_user("head@ecole.fr", "head", PASSWORD, created)
    schools.create_user("prof@ecole.fr", "teacher", PASSWORD, created)
    return created


def publish_with(school: School, take_wav: Path, speaker: str, audiences: str, title: str) -> str:
    """Publish an episode (requested: directories) in which a pupil allowed `audiences` speaks."""
    pupil = schools.add_pupil(school, "CM2", speaker)
    grant = authorisations.GrantRequest(
        frozenset(audiences.split(",")), signed_on=today_paris(), guardians_signed=1
    )
    authorisations.grant(pupil, grant)
    # A take of its own (the same file sent twice would be one take, spoken by both pupils).
    take = takes.ingest(school, BytesIO(take_wav.read_bytes() + title.encode()), label=title)
    draft = episodes.EpisodeDraft(
        title=title, take_ids=[take.id], audience="directories", participant_ids=[pupil.id]
    )
    episode = episodes.create(school, draft)
    episodes.render_episode(episode.id)
    publication.publish(episode, approved_by=None)
    return title


def feed_on_disk(slug: str) -> etree._Element:
    """The channel of the school's public feed file, as a podcast app would read it."""
    path = Path(runtime.feeds_root()) / f"{slug}.xml"
    return etree.fromstring(path.read_bytes()).find("channel")


def blocked(channel: etree._Element) -> bool:
    """Whether the feed asks directories not to list it (both namespaces must agree)."""
    itunes = channel.findtext("itunes:block", namespaces=NS)
    podcast = channel.findtext("podcast:block", namespaces=NS)
    assert (itunes == "Yes") == (podcast == "yes"), (itunes, podcast)
    return podcast == "yes"


def owners(channel: etree._Element) -> list[str]:
    """The contact addresses the feed gives to directories (itunes:owner, podcast:locked)."""
    found = [e.text for e in channel.iterfind("itunes:owner/itunes:email", NS)]
    found += [e.get("owner") for e in channel.iterfind("podcast:locked", NS) if e.get("owner")]
    return found


def form(**changes: str | None) -> dict[str, str]:
    """A complete settings form, as the page posts it (the checkbox absent means off)."""
    values: dict[str, str | None] = {
        "description": "La radio des élèves de l’école.",
        "contact_email": "radio@ecole.fr",
        "directories_opt_in": "1",
        "preset": "voice",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def test_opting_in_and_out_changes_the_public_feed(client: FlaskClient, school: School) -> None:
    before = feed_on_disk(school.slug)
    assert blocked(before) and owners(before) == []

    sign_in(client, "head@ecole.fr")
    page = fetch(client, PAGE)
    assert page.status_code == 200
    assert "Apple Podcasts" in page.text and "Podcast (stéréo)" in page.text
    assert "/son/jingles" in page.text and "/ecole/image" in page.text

    saved = client.post(PAGE, data=form(contact_email=" Radio@Ecole.fr "))
    assert saved.status_code == 302
    channel = feed_on_disk(school.slug)
    assert not blocked(channel)
    assert owners(channel) == ["radio@ecole.fr", "radio@ecole.fr"]
    assert channel.findtext("description") == "La radio des élèves de l’école."
    db.session.expire_all()
    assert school.preset == "voice" and school.directories_opt_in

    shown = fetch(client, PAGE)
    assert "Réglages enregistrés" in shown.text and 'value="radio@ecole.fr"' in shown.text

    assert client.post(PAGE, data=form(directories_opt_in=None)).status_code == 302
    channel = feed_on_disk(school.slug)
    assert blocked(channel) and owners(channel) == []  # the address is kept, but not written
    db.session.expire_all()
    assert school.contact_email == "radio@ecole.fr" and not school.directories_opt_in


def test_a_bad_address_is_refused_in_french_and_nothing_changes(
    client: FlaskClient, school: School
) -> None:
    sign_in(client, "head@ecole.fr")
    refused = client.post(PAGE, data=form(contact_email="radio@ecole", description="Nouvelle"))
    assert refused.status_code == 400
    assert "n’est pas une adresse e-mail valide" in refused.text
    assert 'value="radio@ecole"' in refused.text  # what was typed stays in the form
    (marked,) = re.findall(r'<[^>]*aria-invalid="true"[^>]*>', refused.text)
    assert 'id="contact_email"' in marked  # the refused field is the one marked
    db.session.expire_all()
    assert not school.directories_opt_in and school.contact_email is None
    assert school.description == "" and school.preset == "podcast"
    assert blocked(feed_on_disk(school.slug))

    unknown = client.post(PAGE, data=form(preset="studio"))
    assert unknown.status_code == 400 and "réglage du son" in unknown.text
    db.session.expire_all()
    assert not school.directories_opt_in


def test_only_the_head_reaches_the_page(client: FlaskClient, school: School) -> None:
    sign_in(client, "prof@ecole.fr")
    assert fetch(client, PAGE).status_code == 403
    assert client.post(PAGE, data=form()).status_code == 403
    db.session.expire_all()
    assert not school.directories_opt_in

    sign_in(client, "head@ecole.fr")
    dashboard = fetch(client, "/")
    assert PAGE in dashboard.text


def test_opted_in_the_feed_holds_only_what_families_allowed_for_directories(
    client: FlaskClient, school: School, take_wav: Path
) -> None:
    public_only = publish_with(school, take_wav, "Léa", "class,families,public", "Le potager")
    listed = publish_with(
        school, take_wav, "Tom", "class,families,public,directories", "La chorale"
    )

    def titles() -> set[str]:
        return {i.findtext("title") for i in feed_on_disk(school.slug).iterfind("item")}

    assert titles() == {public_only, listed}
    sign_in(client, "head@ecole.fr")
    assert client.post(PAGE, data=form()).status_code == 302
    assert titles() == {listed}
    assert client.post(PAGE, data=form(directories_opt_in=None)).status_code == 302
    assert titles() == {public_only, listed}


def test_two_pupils_with_one_first_name_are_told_apart_on_the_jingles_page(
    client: FlaskClient, school: School
) -> None:
    schools.add_pupil(school, "CE2 B", "Sacha")
    schools.add_pupil(school, "CM2 A", "Sacha")
    sign_in(client, "head@ecole.fr")
    page = fetch(client, "/son/jingles").text
    assert page.count("Sacha (CE2 B)") == 2 and page.count("Sacha (CM2 A)") == 2  # both forms

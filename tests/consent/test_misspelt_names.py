"""A classmate's first name misspelt by one letter ("Zoée", "Inés", "Louane") is still that
child's name: the gate finds it and erasure blanks it, while ordinary French words one letter
away from a name ("la mairie" near Marie, "la zone" near Zoé) and other pupils' names ("Léon"
near Léo) read as they are. Judged through the public feed file, as a proxy would serve it."""

from __future__ import annotations

import feedparser
from flask.testing import FlaskClient

from webradio import names, publication, runtime, schools, urls
from webradio.extensions import db

from .conftest import World, grant, refreshed

# How a hurried teacher types a classmate's name: one letter added, dropped, changed or swapped.
MISSPELT = {
    "Zoé": ["Bon anniversaire Zoée !", "Interview de ZOEE", "zoée_interview"],
    "Inès": ["Merci Inés et Inèss", "La chronique d'Ines2"],
    "Lou-Anne": ["Louane chante", "Les chroniques de Lou-Ane"],
    "Jules": ["Le reportage de Jlues", "Juless au micro"],
    "Camille": ["Camile présente la météo"],
}
# Ordinary French one letter away from a pupil's name (and names of no pupil near short ones).
NEAR_BUT_FRENCH = [
    "La mairie nous a reçus ; le maire a parlé de la zone verte.",
    "Au zoo, les élèves ont vu une zone humide et des lionnes.",
    "Jules Verne ? Non : les jupes et les jouets du musée, puis une camomille.",
    "Léa et Tim sont les auteurs du livre lu en classe ; Tom Sawyer aussi.",
    "Inès a écrit : « les lignes de la ville », mais la ligne de bus est en travaux.",
]
PUPILS = ["Zoé", "Inès", "Lou-Anne", "Jules", "Camille", "Marie", "Léo", "Lina", "Tom"]


def test_a_name_misspelt_by_one_letter_is_found_and_blanked() -> None:
    pupils = [(name, name) for name in PUPILS]
    for name, typed_ways in MISSPELT.items():
        for typed in typed_ways:
            found = {m.pupil_id for m in names.find({"title": typed}, pupils)}
            assert name in found, (name, typed)
            blanked = names.redact(typed, [name])
            assert names.ERASED in blanked, (name, typed, blanked)
            assert name not in {m.pupil_id for m in names.find({"t": blanked}, pupils)}


def test_ordinary_french_and_other_pupils_names_read_as_they_are() -> None:
    pupils = [(name, name) for name in PUPILS]
    french_only = [(n, n) for n in PUPILS if n not in ("Jules", "Inès", "Tom")]
    for sentence in NEAR_BUT_FRENCH:
        assert not names.find({"text": sentence}, french_only), sentence
    # Léon is a pupil too: his name is his, not a misspelt Léo.
    both = [("leo", "Léo"), ("leon", "Léon")]
    assert [m.pupil_id for m in names.find({"title": "Léon au micro"}, both)] == ["leon"]
    compound = [("lou-anne", "Lou-Anne"), ("louane", "Louane")]
    for typed in ("Louane chante", "Lou Ane chante"):
        assert [m.pupil_id for m in names.find({"title": typed}, compound)] == ["louane"]
    assert names.redact("La mairie de Marie", ["Marie"]) == f"La mairie de {names.ERASED}"
    assert {m.pupil_id for m in names.find({"t": "Line et Lina"}, pupils)} == {"Lina"}


def test_a_classmate_named_misspelt_keeps_the_episode_from_the_public(
    client: FlaskClient, world: World
) -> None:
    zoe = schools.add_pupil(world.school, "CE2", "Zoé")
    grant(zoe, "class")  # her family did not allow crediting her first name
    publication.publish(world.episode, approved_by=None)
    guid = world.episode.guid
    feed = runtime.feeds_root() / f"{world.school.slug}.xml"
    page = urls.episode_page(world.school.slug, world.episode.id).removeprefix(urls.base())
    assert guid in [e.id for e in feedparser.parse(feed.read_bytes()).entries]
    refreshed(world.episode).title = "Bon anniversaire Zoée !"
    db.session.commit()
    assert guid not in [e.id for e in feedparser.parse(feed.read_bytes()).entries]
    assert client.get(page).status_code == 410
    refreshed(world.episode).title = "Bon anniversaire à toute la classe !"
    db.session.commit()
    assert guid in [e.id for e in feedparser.parse(feed.read_bytes()).entries]

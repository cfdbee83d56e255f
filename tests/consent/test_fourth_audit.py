"""The auditor a fourth time (issue 10): a classmate's first name written with letters of another
alphabet that look the same, or hidden by characters a reader never sees, and a family's
download of a long master while the authorisation ends.

Every test goes through a public interface (the HTTP client, the files a proxy serves, the
feeds parsed by feedparser) and is judged by what a family or the public would see.
"""

from __future__ import annotations

import feedparser
import pytest
from flask.testing import FlaskClient

from webradio import names, publication, runtime, schools, urls
from webradio.errors import WebradioError
from webradio.extensions import db

from .conftest import World, grant, refreshed

# "Zoé" as a reader sees it on screen, with no letter run of the typed text spelling it: letters
# of another alphabet that look like Latin ones (Cyrillic, Greek, Armenian, Cherokee, Latin
# small capitals), a circled letter, a Hangul filler or a soft hyphen a screen does not show,
# stacked accents, and a right-to-left override that shows "éoZ" as "Zoé".
LOOK_ALIKE_ZOE = {
    "cyrillic": "Bravo à Z\u043e\u0435 !",  # Zое: о and е are Cyrillic
    "greek": "Bravo à \u0396\u03bf\u00e9 !",  # Ζοé: Greek capital zeta, small omicron
    "armenian": "Bravo à Z\u0585\u00e9 !",  # Zօé: Armenian oh
    "cherokee": "Bravo à \u13c3o\u00e9 !",  # Ꮓoé: Cherokee letter no
    "small capitals": "Bravo à \u1d22\u1d0f\u1d07 !",  # ᴢᴏᴇ
    "full width": "Bravo à \uff3a\uff4f\u00e9 !",  # Ｚｏé
    "circled": "Bravo à \u24cf\u24de\u24d4 !",  # Ⓩⓞⓔ
    "soft hyphen": "Bravo à Zo\u00ad\u00e9 !",
    "hangul filler": "Bravo à Zo\u3164\u00e9 !",
    "stacked accents": "Bravo à Zo\u0301\u0302\u0303\u0308e\u0301 !",
    "zero-width joiners": "Bravo à Z\u200do\u200c\u00e9\u2060 !",
    "right-to-left override": "Bravo à \u202e\u00e9oZ\u202c !",
}
# "Zoé" where a screen shows it although neither the typed text nor the text with its markup
# dropped spells it: an image's alt text (shown when the image does not load, read aloud by a
# screen reader) and a WebVTT voice span, whose annotation players show as the speaker's name.
IN_MARKUP_ZOE = {
    "description": 'Notre sortie <img src="sortie.png" alt="Zo&eacute; au micro"> !',
    "transcript": "WEBVTT\n\n00:00.000 --> 00:01.000\n<v Zo&#233;>Bonjour à tous !",
}
# Short first names a careless fold would read in ordinary French words.
SHORT_NAMES = ["Léo", "Lou", "Eva", "Léa", "Zoé", "Noé", "Inès", "Tom", "Mia", "Ali", "Éloi"]


def public_guids(world: World) -> list[str]:
    """The GUIDs of the school's public feed file, as a proxy would serve it."""
    path = runtime.feeds_root() / f"{world.school.slug}.xml"
    return [entry.id for entry in feedparser.parse(path.read_bytes()).entries]


def test_a_name_written_with_look_alike_letters_is_found_and_blanked() -> None:
    pupils = [("zoe", "Zoé")]
    for typed in ("\u04c0\u00e9a", "\u0399n\u00e8s"):  # a palochka's Léa, a Greek iota's Inès
        assert names.find({"title": typed}, [("lea", "Léa"), ("ines", "Inès")]), typed
        assert names.redact(typed, ["Léa", "Inès"]) == names.ERASED, typed
    spelled = "Les chroniques de L O U - A N N E"  # a compound name spelled out, erased
    assert names.redact(spelled, ["Lou-Anne"]) == f"Les chroniques de {names.ERASED}"
    for how, typed in LOOK_ALIKE_ZOE.items():
        assert names.find({"description": typed}, pupils), how
        blanked = names.redact(typed, ["Zoé"])
        assert names.ERASED in blanked and "Bravo" in blanked, (how, blanked)
        assert not names.find({"description": blanked}, pupils), (how, blanked)


def test_a_classmate_named_in_look_alike_letters_keeps_the_episode_from_the_public(
    client: FlaskClient, world: World
) -> None:
    zoe = schools.add_pupil(world.school, "CE2", "Zoé")
    grant(zoe, "class")
    publication.publish(world.episode, approved_by=None)
    guid = world.episode.guid
    page = urls.episode_page(world.school.slug, world.episode.id).removeprefix(urls.base())
    for how, typed in LOOK_ALIKE_ZOE.items():
        refreshed(world.episode).description = typed
        db.session.commit()
        assert guid not in public_guids(world), how
        assert client.get(page).status_code == 410, how
    refreshed(world.episode).description = "Bravo à toute la classe !"
    db.session.commit()
    assert guid in public_guids(world)


def test_a_name_in_an_alt_text_or_a_webvtt_voice_is_found_and_blanked(
    client: FlaskClient, world: World
) -> None:
    zoe = schools.add_pupil(world.school, "CE2", "Zoé")
    grant(zoe, "class")
    publication.publish(world.episode, approved_by=None)
    guid = world.episode.guid
    for place, typed in IN_MARKUP_ZOE.items():
        blanked = names.redact(typed, ["Zoé"])
        assert names.ERASED in blanked and not names.find({place: blanked}, [("z", "Zoé")])
        before = getattr(refreshed(world.episode), place)
        setattr(refreshed(world.episode), place, typed)
        db.session.commit()
        assert guid not in public_guids(world), place
        setattr(refreshed(world.episode), place, before)
        db.session.commit()
        assert guid in public_guids(world), place


def test_a_pupil_named_in_another_alphabet_is_found_as_typed() -> None:
    """A pupil whose name the school typed in Cyrillic or Greek is still found as typed."""
    for first_name in ("Олена", "Ελένη", "Zоé"):
        found = names.find({"title": f"Bravo {first_name.upper()} !"}, [("p", first_name)])
        assert found, first_name
        assert names.redact(f"Merci {first_name}", [first_name]) == f"Merci {names.ERASED}"


def test_ordinary_french_never_reads_as_a_short_first_name() -> None:
    """The folding that reads look-alike letters changes nothing in French text: none of these
    everyday sentences (accents, ligatures œ and æ, apostrophes, capitals) names a pupil."""
    french = [
        "Le cœur de l'école bat au rythme des élèves ; sœur Thérèse lit un ex æquo.",
        "Où est le loup ? Il a vu un lièvre, puis l'évasion a eu lieu.",
        "Léonard et Louise étaient à l'œuvre ; l'équipe a voté à l'unanimité.",
        "Évaluation du trimestre : les élèves ont noté l'éolienne, l'île et l'été.",
        "Tomates, miel, aliments : notre marché du mercredi à l'heure du goûter.",
        "Noël approche ; l'Éloge de la lenteur, lu en classe, a plu à tous.",
        "ÉCOUTEZ LA RADIO DE L'ÉCOLE : LES ÉLÈVES DE CM2 VOUS PARLENT DE LEUR VILLE.",
    ]
    pupils = [(name, name) for name in SHORT_NAMES]
    for sentence in french:
        assert not names.find({"text": sentence}, pupils), sentence


def test_a_first_name_holding_a_letter_a_screen_does_not_show_is_refused() -> None:
    """A Hangul filler is a letter no screen shows: « Zo<filler>é » would be a pupil nobody can
    find in a text. It is refused like a tab, with the character spelled out."""
    for typed in ("Zo\u3164é", "Zoé\u115f", "Zo\uffa0é"):
        with pytest.raises(WebradioError) as refused:
            names.check_first_name(typed)
        assert "\\u" in str(refused.value), typed

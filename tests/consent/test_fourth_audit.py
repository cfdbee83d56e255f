"""The auditor a fourth time (issue 10): a classmate's first name written with letters of another
alphabet that look the same, or hidden by characters a reader never sees, and a family's
download of a long master while the authorisation ends.

Every test goes through a public interface (the HTTP client, the files a proxy serves, the
feeds parsed by feedparser) and is judged by what a family or the public would see.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import unicodedata
import urllib.error
import urllib.request
import zipfile
from datetime import UTC, date, datetime, time, timedelta
from io import BytesIO
from pathlib import Path

import browser_support
import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient

from webradio import (
    authorisations,
    clock,
    episodes,
    names,
    publication,
    pupils,
    runtime,
    schools,
    sharing,
    takes,
    urls,
    voices,
)
from webradio.audio.analyse import probe_duration
from webradio.clock import PARIS, today_paris
from webradio.consent import parse_audiences
from webradio.errors import WebradioError
from webradio.extensions import db
from webradio.models import Episode

from .conftest import World, grant, make_episode, refreshed

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


def get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """A GET over real HTTP: status, headers (lower-case names), body."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, {k.lower(): v for k, v in refused.headers.items()}, b""


def max_age(headers: dict[str, str]) -> int:
    """The Cache-Control max-age of an answer."""
    found = re.search(r"max-age=(\d+)", headers.get("cache-control", ""))
    assert found, headers
    return int(found.group(1))


def test_a_download_across_midnight_or_a_withdrawal_gets_no_further_range(
    app: Flask, take_wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A family's podcast app fetches a master range by range over HTTP (waitress, as
    `webradio run` serves). A range begun before the end of the authorisation finishes (its
    bytes are on the wire), but no answer lets a cache keep the sound or the feed past the
    midnight that ends it, and the next range, after midnight or after a withdrawal, is 410."""
    day = today_paris()

    def at(when: date, moment: time) -> None:
        paris = datetime.combine(when, moment, tzinfo=PARIS)
        frozen = paris.astimezone(UTC).replace(tzinfo=None)
        monkeypatch.setattr(clock, "now_utc", lambda: frozen)

    at(day, time(12, 0))
    school = schools.create_school("ecole-minuit", "École de Minuit")
    lea = schools.add_pupil(school, "CM2", "Léa")
    ines = schools.add_pupil(school, "CM2", "Inès")
    request = authorisations.GrantRequest(
        parse_audiences("class,families,public"), valid_until=day, signed_on=day
    )
    authorisations.grant(lea, dataclasses.replace(request, guardians_signed=1))
    grant(ines, "class,families,public")
    tonight = make_episode(school, take_wav, [lea], title="Le potager")
    withdrawn = make_episode(school, take_wav, [ines], title="La mare")
    for episode in (tonight, withdrawn):
        publication.publish(episode, approved_by=None)
    feed = urls.feed(school.slug).removeprefix(urls.base())
    secret = str(sharing.create_token(school, "Famille de Léa").token)
    family_path = urls.family_media(secret, tonight.id, tonight.media_key or "")
    with browser_support.live(app) as base:

        def media(episode: Episode) -> str:
            return base + urls.media(episode.id, episode.media_key or "").removeprefix(urls.base())

        status, headers, first = get(media(withdrawn), {"Range": "bytes=0-999"})
        assert (status, len(first)) == (206, 1000)
        authorisations.withdraw(ines, parse_audiences("public"))
        resume = {"Range": "bytes=1000-1999", "If-Range": headers["etag"]}
        assert get(media(withdrawn), resume)[0] == 410  # the next range of the same download

        at(day, time(23, 58, 30))
        status, headers, first = get(media(tonight), {"Range": "bytes=0-999"})
        assert (status, len(first)) == (206, 1000)
        assert max_age(headers) <= 90, headers  # no cache keeps it past midnight
        status, feed_headers, _ = get(base + feed, {})
        assert status == 200 and max_age(feed_headers) <= 90, feed_headers
        family = base + family_path.removeprefix(urls.base())
        status, family_headers, first = get(family, {"Range": "bytes=0-999"})
        assert (status, len(first)) == (206, 1000)
        assert max_age(family_headers) <= 90, family_headers  # the family's own app too
        status, family_feed, _ = get(base + f"/familles/{secret}/flux.xml", {})
        assert status == 200 and max_age(family_feed) <= 90, family_feed
        at(day + timedelta(days=1), time(0, 0, 0))
        resume = {"Range": "bytes=1000-1999", "If-Range": headers["etag"]}
        assert get(media(tonight), resume)[0] == 410
        assert get(family, resume | {"If-Range": family_headers["etag"]})[0] == 410


def tagged_take(take_wav: Path, tmp_path: Path, name: str) -> Path:
    """The take as a phone's recorder app saves it: its own tags name who speaks."""
    tagged = tmp_path / f"tagged-{len(name)}.wav"
    subprocess.run(
        [runtime.ffmpeg().path, "-v", "error", "-y", "-i", str(take_wav), "-c", "copy"]
        + ["-metadata", f"title=Interview de {name}", "-metadata", f"artist={name} CM2"]
        + [str(tagged)],
        check=True,
    )
    return tagged


def holds(data: bytes, name: str) -> bool:
    """True when the bytes spell the name in any encoding a tag uses."""
    return any(
        form.encode(encoding, "ignore") in data
        for form in (name, unicodedata.normalize("NFD", name), name.upper())
        for encoding in ("utf-8", "utf-16-le", "utf-16-be", "latin-1")
    )


def test_tags_a_recorder_app_wrote_in_a_take_reach_neither_a_master_nor_an_export(
    app: Flask, world: World, take_wav: Path, tmp_path: Path
) -> None:
    """Inès speaks alone in a take whose file a phone tagged « Interview de Zoé » (Zoé, a
    classmate whose family refused). Her family's export and the public master must not
    carry that name: only the sound goes, never the tags it came with."""
    zoe = schools.add_pupil(world.school, "CE2", "Zoé")
    grant(zoe, "class")
    tagged = tagged_take(take_wav, tmp_path, "Zoé")
    assert holds(tagged.read_bytes(), "Zoé")  # the test can fail
    take = takes.ingest(world.school, BytesIO(tagged.read_bytes()), label="Reportage")
    voices.stage_speakers(take, [world.ines])
    db.session.commit()
    request = episodes.EpisodeDraft(title="Le reportage", take_ids=[take.id], audience="public")
    episode = episodes.render_episode(episodes.create(world.school, request).id)
    publication.publish(episode, approved_by=None)
    master = runtime.storage().local_path(episode.media_key or "")
    assert not holds(master.read_bytes(), "Zoé")
    archive = pupils.export(world.ines, tmp_path / "ines.zip")
    with zipfile.ZipFile(archive) as exported:
        assert f"prises/{take.id}.flac" in exported.namelist()
        for member in exported.namelist():
            assert not holds(exported.read(member), "Zoé"), member
        sound = tmp_path / "exported.flac"
        sound.write_bytes(exported.read(f"prises/{take.id}.flac"))
    assert (probe_duration(runtime.ffmpeg().path, sound) or 0) > 9  # the sound itself is all there

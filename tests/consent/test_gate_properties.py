"""Property tests: over random pupils, grants, withdrawals, expiries and episodes, no channel
ever shows an episode beyond its effective audience, and every cleared one is shown.

The expected audiences come from an oracle written here from CONTRACT.md section 2, not from
the gate. One master is rendered once and shared by every generated episode (media bytes do
not matter to consent), so each example costs only database rows and HTTP requests.
"""

from __future__ import annotations

import importlib
import itertools
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from webradio import (
    authorisations,
    clearance,
    outputs,
    publication,
    retention,
    schools,
    urls,
)
from webradio import pupils as pupil_data
from webradio.clock import today_paris
from webradio.consent import AUDIENCES, tiers_up_to
from webradio.errors import ConsentRefused
from webradio.extensions import db
from webradio.models import Episode, EpisodePart, Take

from .conftest import grant, make_episode

NAMES = ("Léa", "Inès", "Noé", "Lou-Anne")
# Latin letters a Cyrillic one looks exactly like.
CYRILLIC = str.maketrans("aeoiAEOIL", "\u0430\u0435\u043e\u0456\u0410\u0415\u041e\u0406\u04c0")
# How a hurried teacher may type a classmate's first name: each must still be found.
VARIANTS = (
    lambda n: n,
    lambda n: n.upper(),
    lambda n: unicodedata.normalize("NFD", n),
    lambda n: "".join(c for c in unicodedata.normalize("NFD", n) if not unicodedata.combining(c)),
    lambda n: n.replace("-", " ") + "_interview",
    lambda n: n.replace("-", "") + "2",
    lambda n: n[:1] + "\u200b" + n[1:],
    lambda n: n[:1] + "<b>" + n[1:2] + "</b>" + n[2:],  # markup a podcast app renders
    lambda n: n[:-1] + f"&#{ord(n[-1])};",  # an HTML entity
    lambda n: "#Merci" + n.replace("-", ""),  # a hashtag
    lambda n: " ".join(n.upper()),  # spaced-out capitals
    lambda n: n[:2] + "\U0001f389" + n[2:],  # an emoji inside
    lambda n: unicodedata.normalize("NFD", n).translate(CYRILLIC),  # look-alike letters
    lambda n: n[:2] + "\u00ad" + n[2:],  # a soft hyphen
    lambda n: "\u202e" + n[::-1] + "\u202c",  # reversed behind a right-to-left override
    lambda n: f'<img src="photo.png" alt="{n[:-1]}&#{ord(n[-1])};">',  # an image's alt text
)
FREE, UNDECLARED = "free", "undeclared"
Voices = frozenset[int] | str  # pupils declared in a source, or FREE, or UNDECLARED


@dataclass(frozen=True)
class PupilSpec:
    """A generated pupil: their grant (None: none), its change after publication."""

    audiences: frozenset[str] | None
    credit: bool
    withdraw: frozenset[str] | None  # None: nothing; empty: total; else these audiences
    expires: bool  # the grant's last day passes after publication
    erased: bool  # `pupil erase` after publication


@dataclass(frozen=True)
class EpisodeSpec:
    """A generated episode: the voices of each source and jingle, who is named and how."""

    sources: tuple[Voices, ...]
    jingle: Voices | None
    participants: frozenset[int]
    requested: str
    named: tuple[int, int] | None  # (pupil, variant): any pupil of the school
    shared_with_city: bool


audience_sets = st.frozensets(st.sampled_from(AUDIENCES))


def voices(n: int) -> st.SearchStrategy[Voices]:
    """What a source holds: declared pupils (mostly), an attestation, or nothing said."""
    return st.frozensets(st.integers(0, n - 1), min_size=1) | st.sampled_from((FREE, UNDECLARED))


scenarios = st.integers(1, 4).flatmap(
    lambda n: st.tuples(
        st.lists(
            st.builds(
                PupilSpec,
                audiences=st.none() | audience_sets.filter(bool),
                credit=st.booleans(),
                withdraw=st.none() | audience_sets,
                expires=st.booleans(),
                erased=st.booleans(),
            ),
            min_size=n,
            max_size=n,
        ),
        st.lists(
            st.builds(
                EpisodeSpec,
                sources=st.lists(voices(n), min_size=1, max_size=2).map(tuple),
                jingle=st.none() | voices(n),
                participants=st.frozensets(st.integers(0, n - 1), max_size=1),
                requested=st.sampled_from(AUDIENCES),
                named=st.none()
                | st.tuples(st.integers(0, n - 1), st.integers(0, len(VARIANTS) - 1)),
                shared_with_city=st.booleans(),
            ),
            min_size=1,
            max_size=3,
        ),
        st.booleans(),  # the school lists its feed in directories
    )
)

Held = tuple[frozenset[str], bool, bool, bool]  # granted set, credit, valid, erased


def heard(spec: EpisodeSpec) -> set[int]:
    """Every pupil whose voice is in the episode: in a source, the jingle, or a participant."""
    found = set(spec.participants)
    for source in (*spec.sources, spec.jingle):
        if isinstance(source, frozenset):
            found |= source
    return found


def oracle(spec: EpisodeSpec, grants: list[Held | None]) -> set[str]:
    """CONTRACT.md section 2 by hand: requested tiers ∩ every voice's valid granted set; an
    undeclared source keeps it in the class; a named pupil without leave to be credited keeps
    it from what their family did not allow; an erased voice clears nothing."""
    wanted = set(tiers_up_to(spec.requested))
    if any(s == UNDECLARED for s in (*spec.sources, spec.jingle)):
        wanted &= {"class"}
    for index in heard(spec):
        held = grants[index]
        if held is None or not held[2] or held[3]:
            return set()
        wanted &= held[0]
    if spec.named is not None:
        held = grants[spec.named[0]]
        if held is not None and held[3]:
            return wanted  # an erased pupil's name was replaced everywhere by "—"
        allowed = held[0] if held is not None and held[1] and held[2] else frozenset()
        wanted &= allowed | {"class"}
    return wanted


class Scene:
    """One generated school, built through the domain verbs, and what the oracle expects."""

    counter = itertools.count()

    def __init__(self, master: Episode, pupils: list[PupilSpec], specs: list[EpisodeSpec],
                 listed: bool) -> None:  # fmt: skip
        self.school = master.school  # shared: each example checks only its own episodes
        self.school.directories_opt_in = listed
        self.pupils = [schools.add_pupil(self.school, "CE1", NAMES[i]) for i in range(len(pupils))]
        self.specs, self.pupil_specs = specs, pupils
        for pupil, p in zip(self.pupils, pupils, strict=True):
            if p.audiences is not None:
                grant(pupil, ",".join(p.audiences), credit=p.credit)
        self.episodes = [self._episode(master, s) for s in specs]
        self.changed = False
        self.ever: list[set[str]] = []
        for episode, spec in zip(self.episodes, specs, strict=True):
            self.ever.append(self._publish(episode, spec))

    def _source(self, voices: Voices, label: str) -> Take:
        """A take row (its sound does not matter to consent) carrying these voices."""
        take = Take(
            school_id=self.school.id,
            label=label,
            sha256="0" * 64,
            storage_key=f"takes/prop-{next(self.counter)}",
            size_bytes=1,
            state="ready",
            voice_free=voices == FREE,
        )
        if isinstance(voices, frozenset):
            take.speakers = [self.pupils[i] for i in sorted(voices)]
        db.session.add(take)
        return take

    def _episode(self, master: Episode, spec: EpisodeSpec) -> Episode:
        """An episode row sharing the master's media, as a render would leave it."""
        title = "Émission"
        if spec.named is not None:
            pupil, variant = spec.named
            title = f"Émission avec {VARIANTS[variant](NAMES[pupil])} !"
        episode = Episode(
            guid=f"urn:uuid:prop-{next(self.counter)}",
            school_id=self.school.id,
            title=title,
            requested_audience=spec.requested,
            state="ready",
            media_key=master.media_key,
            media_size=master.media_size,
            duration_s=master.duration_s,
            chapters_json="[]",
            shared_with_city=spec.shared_with_city,
        )
        episode.parts = [
            EpisodePart(position=n, take=self._source(v, f"Partie {n + 1}"))
            for n, v in enumerate(spec.sources)
        ]
        if spec.jingle is not None:
            episode.intro_jingle = self._source(spec.jingle, "intro")
        episode.participants = [self.pupils[i] for i in sorted(spec.participants)]
        db.session.add(episode)
        db.session.commit()
        return episode

    def _publish(self, episode: Episode, spec: EpisodeSpec) -> set[str]:
        """Publish through the gate; what the oracle says it reached."""
        expected = oracle(spec, self.held(valid_today=True))
        try:
            publication.publish(episode, approved_by=None)
        except ConsentRefused:
            assert not expected
        return expected

    def held(self, valid_today: bool) -> list[Held | None]:
        """Each pupil's (granted set, credit, valid, erased) as the oracle sees it."""
        result: list[Held | None] = []
        for spec in self.pupil_specs:
            erased = spec.erased and not valid_today
            if spec.audiences is None:
                result.append((frozenset(), False, False, True) if erased else None)
                continue
            audiences, valid = spec.audiences, valid_today
            if not valid_today:  # after the changes
                valid = not spec.expires
                if spec.withdraw is not None:
                    audiences = audiences - spec.withdraw if spec.withdraw else frozenset()
                    valid = valid and bool(audiences)
            result.append((audiences, spec.credit, valid, erased))
        return result

    def change(self) -> None:
        """Withdrawals and erasures through the verbs; expiries as midnight passing, seen by
        the sweep."""
        for pupil, spec in zip(self.pupils, self.pupil_specs, strict=True):
            if spec.audiences is not None and spec.withdraw is not None:
                authorisations.withdraw(pupil, spec.withdraw or None)
        for pupil, spec in zip(self.pupils, self.pupil_specs, strict=True):
            if spec.audiences is not None and spec.expires:
                pupil.grants[0].valid_until = today_paris() - timedelta(days=1)
        db.session.commit()
        for pupil, spec in zip(self.pupils, self.pupil_specs, strict=True):
            if spec.erased:
                pupil_data.erase(pupil)
        retention.sweep(delete_takes=False)
        self.changed = True

    def deleted(self, index: int) -> bool:
        """True when erasure deleted the episode (its chapters cannot be cut here)."""
        held = self.held(valid_today=not self.changed)
        return any(held[i] is not None and held[i][3] for i in heard(self.specs[index]))  # type: ignore[index]

    def expected_now(self) -> list[set[str]]:
        """Per episode: the audiences it must be shown to now (none if never published)."""
        held = self.held(valid_today=not self.changed)
        return [
            oracle(spec, held) if ever else set()
            for spec, ever in zip(self.specs, self.ever, strict=True)
        ]


def get(client: FlaskClient, path: str) -> TestResponse:
    """GET `path`, read and close the answer."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def local(url: str) -> str:
    """A public URL as a path for the test client."""
    return url.removeprefix(urls.base())


def feed_guids(client: FlaskClient, url: str) -> set[str]:
    """The GUIDs a feed holds, read by an independent parser."""
    response = get(client, local(url))
    assert response.status_code == 200, url
    return {entry.id for entry in feedparser.parse(response.data).entries}


def check_channels(client: FlaskClient, scene: Scene, family_secret: str | None) -> None:
    """Every channel that exists shows exactly the episodes the oracle clears, and no other."""
    school = scene.school
    public_guids = feed_guids(client, urls.feed(school.slug))
    school_page = get(client, local(urls.school_page(school.slug))).text
    family_guids = feed_guids(client, urls.family_feed(family_secret)) if family_secret else None
    city_guids = feed_guids(client, urls.city_feed()) if hasattr(urls, "city_feed") else None
    feed_tier = "directories" if school.directories_opt_in else "public"
    for index, (episode, expected, ever) in enumerate(
        zip(scene.episodes, scene.expected_now(), scene.ever, strict=True)
    ):
        public = "public" in expected
        assert (episode.guid in public_guids) == (feed_tier in expected), episode.title
        assert (f"/episodes/{episode.id}" in school_page) == public
        gone = "public" in ever and not public and not scene.deleted(index)
        status = 200 if public else 410 if gone else 404
        assert get(client, local(urls.episode_page(school.slug, episode.id))).status_code == status
        assert get(client, local(urls.embed(episode.id))).status_code == status
        media = local(urls.media(episode.id, episode.media_key or ""))
        assert get(client, media).status_code == status
        if hasattr(urls, "oembed"):
            page = urls.episode_page(school.slug, episode.id)
            oembed = get(client, local(urls.oembed(page))).status_code
            assert oembed == (200 if public else 404)
        if family_guids is not None:
            assert (episode.guid in family_guids) == ("families" in expected)
        if city_guids is not None:
            assert (episode.guid in city_guids) == (public and episode.shared_with_city)


@pytest.fixture
def master(app: Flask, take_wav: Path) -> Episode:
    """One rendered master every generated episode shares, in the school they all use."""
    school = schools.create_school("prop", "École propriété")
    return make_episode(school, take_wav, [schools.add_pupil(school, "CE1", "Maître")])


@pytest.fixture
def family_secret(master: Episode) -> str | None:
    """A family token's secret, when the family feeds exist in this checkout."""
    if not hasattr(urls, "family_feed"):
        return None
    sharing = importlib.import_module("webradio.sharing")
    return str(sharing.create_token(master.school, "Famille propriété").token)


@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios)
def test_no_channel_shows_an_episode_beyond_its_effective_audience(
    client: FlaskClient,
    master: Episode,
    family_secret: str | None,
    scenario: tuple[list[PupilSpec], list[EpisodeSpec], bool],
) -> None:
    pupils, specs, listed = scenario
    scene = Scene(master, pupils, specs, listed)
    secret = family_secret
    outputs.refresh({scene.school.id})
    check_channels(client, scene, secret)  # as published
    scene.change()
    db.session.expire_all()
    check_channels(client, scene, secret)  # after withdrawals and expiries
    for index, (episode, expected) in enumerate(
        zip(scene.episodes, scene.expected_now(), strict=True)
    ):
        if not scene.deleted(index):
            assert set(clearance.live_audiences(episode)) == expected


def test_the_oracle_agrees_with_the_contract_on_known_cases() -> None:
    """Guard against an oracle that agrees with anything."""
    full = (frozenset({"class", "families", "public"}), False, True, False)
    families = (frozenset({"families"}), False, True, False)
    both = EpisodeSpec((frozenset({0, 1}),), None, frozenset(), "public", None, False)
    assert oracle(both, [full, families]) == {"families"}
    assert oracle(both, [full, None]) == set()
    free = EpisodeSpec((FREE,), None, frozenset(), "public", None, False)
    assert oracle(free, []) == {"class", "families", "public"}
    undeclared_jingle = EpisodeSpec((FREE,), UNDECLARED, frozenset(), "public", None, False)
    assert oracle(undeclared_jingle, []) == {"class"}
    named_classmate = EpisodeSpec((FREE,), None, frozenset(), "public", (1, 4), False)
    assert oracle(named_classmate, [full, full]) == {"class"}
    erased = (frozenset({"class", "families", "public"}), True, True, True)
    assert oracle(EpisodeSpec((frozenset({0}),), None, frozenset(), "public", None, False),
                  [erased]) == set()  # fmt: skip
    assert date.today()  # noqa: DTZ011 (only that the module imports)

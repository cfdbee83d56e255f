"""The read side of consent: the gate applied to stored episodes.

Every question "may this audience see this episode now?" is answered here, from the sound's
voices (parts' takes and jingles), the participants, the school's pupils named in the typed
text, and each pupil's grant in force. Listings load all of it in a fixed number of queries and
return `(episode, clearance)` pairs. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import Enum
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from webradio import consent, names
from webradio.clock import today_paris
from webradio.consent import Audience, Clearance
from webradio.errors import N_
from webradio.extensions import db
from webradio.models import (
    ConsentGrant,
    Episode,
    EpisodePart,
    EpisodeParticipant,
    EpisodeState,
    Pupil,
    School,
    Take,
    TakeOrigin,
    TakeSpeaker,
)
from webradio.publishing.companions import chapter_marks

PLACES = {
    "title": N_("titre"),
    "series": N_("série"),
    "description": N_("description"),
    "chapters": N_("chapitres"),
    "transcript": N_("transcription"),
    "labels": N_("noms des prises"),
}


class Visibility(Enum):
    """What a channel answers for an episode: shown, gone (410) or unknown (404)."""

    SHOWN = "shown"
    GONE = "gone"
    UNKNOWN = "unknown"


def grant_in_force(pupil: Pupil, day: date) -> ConsentGrant | None:
    """The pupil's grant that covers `day`, else the most recent one (for the reason)."""
    grants = sorted(pupil.grants, key=lambda g: g.valid_until, reverse=True)
    for grant in grants:
        if grant.withdrawn_at is None and day <= grant.valid_until:
            return grant
    return grants[0] if grants else None


def gate_pupil(pupil: Pupil, day: date) -> consent.Pupil:
    """A stored pupil as the pure gate sees them."""
    grant = grant_in_force(pupil, day)
    seen = None
    if grant is not None:
        seen = consent.Grant(
            grant.audience_set,
            grant.valid_until,
            grant.withdrawn_at is not None,
            grant.credit_first_name,
        )
    return consent.Pupil(pupil.id, seen, pupil.erased_at is not None)


def valid_cause(pupil: Pupil, day: date | None = None) -> consent.Cause | None:
    """Why the pupil's voice clears nothing today (no grant, withdrawn...), None if it may."""
    return gate_pupil(pupil, day or today_paris()).invalid_cause(day or today_paris())


def sources(episode: Episode) -> list[Take]:
    """Every piece of sound in the episode's master: its parts' takes and its jingles."""
    return [part.take for part in episode.parts] + episode.jingles()


def voices(episode: Episode) -> list[Pupil]:
    """Every pupil whose voice is in the episode: declared on a source, or a participant."""
    found = {p.id: p for p in episode.participants}
    for take in sources(episode):
        for pupil in take.speakers:
            found.setdefault(pupil.id, pupil)
    return list(found.values())


def typed_texts(episode: Episode) -> dict[str, str]:
    """The episode's typed text by place (every place a first name could reach an output)."""
    chapters = [part.title for part in episode.parts]
    chapters += [mark.title for mark in chapter_marks(episode.chapters_json)]
    return {
        "title": episode.title,
        "series": episode.series,
        "description": episode.description,
        "chapters": "\n".join(chapters),
        "transcript": episode.transcript or "",
        "labels": "\n".join(take.label for take in sources(episode)),
    }


def copies_of(take: Take, same_sound: Mapping[str, Sequence[Take]]) -> list[Take]:
    """The take and every take holding the same bytes (a file sent again, from a tablet and
    from the staff page): one sound, whose voices are all of theirs."""
    found = {take.id: take}
    found.update((t.id, t) for t in same_sound.get(take.storage_key, ()))
    return list(found.values())


def sound_source(take: Take, same_sound: Mapping[str, Sequence[Take]]) -> consent.Source:
    """A source as the gate sees it: the voices declared on any copy of its bytes; attested
    voice-free only when every copy is (a studio copy never is)."""
    copies = copies_of(take, same_sound)
    return consent.Source(
        frozenset(p.id for t in copies for p in t.speakers),
        all(t.voice_free and t.origin != TakeOrigin.STUDIO for t in copies),
    )


def case_of(
    episode: Episode,
    school_pupils: Sequence[Pupil],
    day: date,
    same_sound: Mapping[str, Sequence[Take]] | None = None,
) -> consent.Case:
    """The gate's input for one episode (its school's pupils already loaded with grants, and
    the takes sharing its sources' bytes, by storage key)."""
    same_sound = same_sound or {}
    copied = [p for t in sources(episode) for c in copies_of(t, same_sound) for p in c.speakers]
    mentions = names.find(
        typed_texts(episode), names.known_by(p for p in school_pupils if p.erased_at is None)
    )
    known = {p.id: p for p in [*school_pupils, *voices(episode), *copied]}
    return consent.Case(
        requested=episode.requested_audience,
        sources=tuple(sound_source(take, same_sound) for take in sources(episode)),
        participants=frozenset(p.id for p in episode.participants),
        pupils={pid: gate_pupil(p, day) for pid, p in known.items()},
        named={m.pupil_id: m.places for m in mentions},
    )


def _school_pupils(school_ids: Iterable[str]) -> dict[str, list[Pupil]]:
    """Every pupil of these schools with their grants, by school (two queries)."""
    wanted = set(school_ids)
    by_school: dict[str, list[Pupil]] = {sid: [] for sid in wanted}
    if not wanted:
        return by_school
    found = db.session.scalars(
        select(Pupil).where(Pupil.school_id.in_(wanted)).options(selectinload(Pupil.grants))
    )
    for pupil in found:
        by_school[pupil.school_id].append(pupil)
    return by_school


def _same_sound(found: Sequence[Episode]) -> dict[str, list[Take]]:
    """Every take holding the bytes of a source of these episodes, by storage key, with their
    voices (a fixed number of queries)."""
    keys = {take.storage_key for episode in found for take in sources(episode)}
    by_key: dict[str, list[Take]] = {}
    if not keys:
        return by_key
    copies = db.session.scalars(
        select(Take)
        .where(Take.storage_key.in_(keys))
        .options(selectinload(Take.speakers).selectinload(Pupil.grants))
    )
    for take in copies:
        by_key.setdefault(take.storage_key, []).append(take)
    return by_key


def _loaded(query: Select[Any]) -> Select[Any]:
    """The query with everything the gate reads loaded eagerly (a fixed number of queries)."""
    take_speakers = selectinload(Take.speakers).selectinload(Pupil.grants)
    return query.options(
        selectinload(Episode.parts).selectinload(EpisodePart.take).options(take_speakers),
        selectinload(Episode.participants).selectinload(Pupil.grants),
        selectinload(Episode.intro_jingle).options(take_speakers),
        selectinload(Episode.outro_jingle).options(take_speakers),
        selectinload(Episode.school),
    )


def cleared(found: Sequence[Episode], day: date | None = None) -> list[tuple[Episode, Clearance]]:
    """Each episode with the gate's answer on `day` (default today)."""
    day = day or today_paris()
    pupils = _school_pupils(e.school_id for e in found)
    same_sound = _same_sound(found)
    return [
        (e, consent.clear(case_of(e, pupils[e.school_id], day, same_sound), day)) for e in found
    ]


def listing(query: Select[Any], day: date | None = None) -> list[tuple[Episode, Clearance]]:
    """Run an episode query with everything the gate needs, and ask the gate for each."""
    found: list[Episode] = list(db.session.scalars(_loaded(query)).unique())
    return cleared(found, day)


def of(episode: Episode, day: date | None = None) -> Clearance:
    """The gate's answer for one stored episode on `day` (default today)."""
    return cleared([episode], day)[0][1]


def live(episode: Episode, answer: Clearance) -> tuple[Audience, ...]:
    """The audiences the episode is shown to now: none unless it is published."""
    return answer.audiences if episode.state == EpisodeState.PUBLISHED else ()


def live_audiences(episode: Episode, day: date | None = None) -> tuple[Audience, ...]:
    """The audiences the episode is shown to now (asks the gate)."""
    if episode.state != EpisodeState.PUBLISHED:
        return ()
    return of(episode, day).audiences


def visibility(episode: Episode, audience: str, day: date | None = None) -> Visibility:
    """Whether `audience`'s channel shows the episode, lost it (410) or never had it (404)."""
    return seen_until(episode, audience, day)[0]


def seen_until(
    episode: Episode, audience: str, day: date | None = None
) -> tuple[Visibility, date | None]:
    """The episode's visibility to `audience` and, when shown, the last day it may be (the
    midnight after it ends every answer, cached ones included)."""
    if episode.state == EpisodeState.PUBLISHED:
        answer = of(episode, day)
        if answer.allows(audience):
            return Visibility.SHOWN, answer.authorised_until
    if audience in episode.published_set:
        return Visibility.GONE, None
    return Visibility.UNKNOWN, None


def shown_to(
    school: School, audience: str, day: date | None = None
) -> list[tuple[Episode, Clearance]]:
    """The school's episodes shown to `audience` now, newest first, with their clearance."""
    query = (
        select(Episode)
        .filter_by(school_id=school.id, state=EpisodeState.PUBLISHED)
        .order_by(Episode.published_at.desc())
    )
    return [(e, c) for e, c in listing(query, day) if c.allows(audience)]


def public_episodes(school: School, audience: str = Audience.PUBLIC) -> list[Episode]:
    """The school's episodes shown to `audience` now, newest first."""
    return [e for e, _ in shown_to(school, audience)]


def city_listing(day: date | None = None) -> list[tuple[Episode, Clearance]]:
    """The public episodes the schools chose to share with the city, newest first."""
    query = (
        select(Episode)
        .filter_by(state=EpisodeState.PUBLISHED, shared_with_city=True)
        .order_by(Episode.published_at.desc())
    )
    return [(e, c) for e, c in listing(query, day) if c.allows(Audience.PUBLIC)]


def episodes_of_pupil(pupil: Pupil) -> list[Episode]:
    """The episodes in which the pupil's voice is: participant, a part's take, or a jingle."""
    declared = select(EpisodeParticipant.episode_id).where(EpisodeParticipant.pupil_id == pupil.id)
    heard_in = select(Take.storage_key).join(TakeSpeaker).where(TakeSpeaker.pupil_id == pupil.id)
    spoken = select(Take.id).where(Take.storage_key.in_(heard_in))  # every copy of the bytes
    in_parts = select(EpisodePart.episode_id).where(EpisodePart.take_id.in_(spoken))
    return list(
        db.session.scalars(
            select(Episode)
            .where(
                Episode.id.in_(declared.union(in_parts))
                | Episode.intro_jingle_id.in_(spoken)
                | Episode.outro_jingle_id.in_(spoken)
            )
            .order_by(Episode.created_at)
        )
    )


def episodes_naming(pupil: Pupil) -> list[Episode]:
    """The school's episodes whose typed text names the pupil."""
    query = select(Episode).filter_by(school_id=pupil.school_id).order_by(Episode.created_at)
    found: list[Episode] = list(db.session.scalars(_loaded(query)).unique())
    return [e for e in found if names.find(typed_texts(e), names.known_by([pupil]))]


def names_in_school(school_id: str) -> list[tuple[str, str]]:
    """(id, first name) for every name each pupil of the school not erased is known by."""
    found = db.session.scalars(select(Pupil).filter_by(school_id=school_id, erased_at=None))
    return names.known_by(found)

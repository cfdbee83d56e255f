"""Voices belong to the sound: declare who speaks in a take or a jingle, or attest that no
pupil does. The gate (webradio.clearance) reads these declarations and nothing else."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select

from webradio import publication
from webradio.errors import N_, Forbidden, NotFound, WebradioError
from webradio.extensions import db
from webradio.models import Episode, EpisodePart, Pupil, Take, TakeOrigin

STUDIO_HAS_VOICES = N_(
    "Une prise enregistrée dans un studio de classe contient des voix d'élèves : "
    "indiquez qui parle, elle ne peut pas être déclarée « sans voix d'élève »."
)
HAS_SPEAKERS = N_(
    "Des élèves sont déclarés dans cette prise : elle ne peut pas être déclarée "
    "« sans voix d'élève »."
)


def attest_voice_free(take: Take) -> None:
    """Stage the staff attestation that no pupil speaks in the take (refused when it has
    voices by definition or by declaration, itself or any take holding the same bytes: the
    same recording sent from a tablet and from the staff page is one sound)."""
    copies = [take, *db.session.scalars(select(Take).filter_by(storage_key=take.storage_key))]
    if any(t.origin == TakeOrigin.STUDIO for t in copies):
        raise WebradioError(STUDIO_HAS_VOICES)
    if any(t.speakers for t in copies):
        raise WebradioError(HAS_SPEAKERS)
    take.voice_free = True


def school_pupils(school_id: str, ids: Iterable[str]) -> list[Pupil]:
    """These pupils of the school still on record; NotFound for any other id."""
    wanted = set(ids)
    found = list(
        db.session.scalars(
            select(Pupil).where(
                Pupil.id.in_(wanted), Pupil.school_id == school_id, Pupil.erased_at.is_(None)
            )
        )
    )
    if len(found) != len(wanted):
        missing = sorted(wanted - {p.id for p in found})
        raise NotFound(N_("Aucun élève « %(id)s » dans cette école."), id=", ".join(missing))
    return sorted(found, key=lambda p: p.id)


def stage_speakers(take: Take, pupils: list[Pupil]) -> None:
    """Stage who speaks in the take. An erased pupil stays declared: no later declaration can
    make the gate forget a voice that was erased. A declared voice ends any attestation."""
    erased = [p for p in take.speakers if p.erased_at is not None]
    take.speakers = erased + [p for p in pupils if p not in erased]
    if take.speakers:
        take.voice_free = False


def declare(
    episode: Episode, by_part: Mapping[str, Iterable[str]], actor: publication.Actor
) -> None:
    """Record who speaks in each part of the episode, then reconsider every episode that hears
    those takes (one unit of work).

    A take is one sound wherever it is heard: declaring its voices in one episode declares them
    in every episode using it (or a copy of its bytes). Adding a voice only narrows what the
    gate clears; removing one from a sound heard in an episode published beyond the class is a
    change only the head may make, whichever episode it is declared from."""
    heard_in = {episode.id: episode}
    for part in episode.parts:
        chosen = school_pupils(episode.school_id, by_part.get(part.id, ()))
        removed = {p.id for p in part.take.speakers} - {p.id for p in chosen}
        hearing = episodes_hearing(part.take)
        heard_in.update((e.id, e) for e in hearing)
        if removed:
            try:
                for other in [episode, *hearing]:
                    publication.check_may_change(other, actor)
            except Forbidden:
                raise Forbidden(
                    N_(
                        "Retirer une voix d'un épisode diffusé au-delà de la classe revient "
                        "à la direction."
                    )
                ) from None
        stage_speakers(part.take, chosen)
    db.session.flush()
    publication.reconsider(heard_in.values(), actor.id)


def episodes_hearing(take: Take) -> list[Episode]:
    """Every episode whose master holds the take's sound: as a part or a jingle, this take or
    any take with the same bytes."""
    same = select(Take.id).where(Take.storage_key == take.storage_key)
    in_parts = select(EpisodePart.episode_id).where(EpisodePart.take_id.in_(same))
    return list(
        db.session.scalars(
            select(Episode).where(
                Episode.id.in_(in_parts)
                | Episode.intro_jingle_id.in_(same)
                | Episode.outro_jingle_id.in_(same)
            )
        )
    )

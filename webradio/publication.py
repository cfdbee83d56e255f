"""Publishing decisions: the gate applied to stored episodes, and what each channel may show."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import Enum

from sqlalchemy import select

from webradio import audit, consent, feeds
from webradio.clock import now_utc, today_paris
from webradio.errors import N_, ConsentRefused, WebradioError
from webradio.extensions import db
from webradio.models import (
    ConsentGrant,
    Episode,
    EpisodePart,
    EpisodeParticipant,
    Pupil,
    School,
    TakeSpeaker,
)


class Visibility(Enum):
    """What a channel answers for an episode: shown, gone (410) or unknown (404)."""

    SHOWN = "shown"
    GONE = "gone"
    UNKNOWN = "unknown"


def current_grant(pupil: Pupil, day: date) -> ConsentGrant | None:
    """The pupil's grant that covers `day`, else the most recent one (for the reason)."""
    grants = sorted(pupil.grants, key=lambda g: g.valid_until, reverse=True)
    for grant in grants:
        if grant.withdrawn_at is None and day <= grant.valid_until:
            return grant
    return grants[0] if grants else None


def has_valid_grant(pupil: Pupil, day: date) -> bool:
    """True when the pupil holds a grant valid on `day` (the studio warns about the others)."""
    grant = _gate_grant(current_grant(pupil, day))
    return grant is not None and grant.valid_on(day)


def _gate_grant(grant: ConsentGrant | None) -> consent.Grant | None:
    """A stored grant as the pure gate sees it."""
    if grant is None:
        return None
    return consent.Grant(
        grant.audience_set,
        grant.valid_until,
        grant.withdrawn_at is not None,
        grant.credit_first_name,
    )


def typed_texts(episode: Episode) -> dict[str, str]:
    """The episode's typed text by where it appears (the places a first name could leak)."""
    return {
        "titre": episode.title,
        "description": episode.description,
        "chapitres": " / ".join(part.title for part in episode.parts),
        "transcription": episode.transcript or "",
    }


def speakers(episode: Episode) -> list[Pupil]:
    """Everyone the gate must ask: the declared participants and whoever speaks in a part."""
    found = {p.id: p for p in episode.participants}
    for part in episode.parts:
        for pupil in part.take.speakers:
            found.setdefault(pupil.id, pupil)
    return list(found.values())


def names(text: str, first_name: str) -> bool:
    """True when `first_name` appears in `text` as a whole word, whatever the case."""
    return re.search(rf"(?<!\w){re.escape(first_name)}(?!\w)", text, re.IGNORECASE) is not None


def clearance(episode: Episode, day: date | None = None) -> consent.Clearance:
    """Ask the gate which audiences the episode's participants allow on `day` (default today)."""
    day = day or today_paris()
    texts = typed_texts(episode)
    participants = [
        consent.Participant(
            p.first_name,
            _gate_grant(current_grant(p, day)),
            tuple(where for where, text in texts.items() if names(text, p.first_name)),
        )
        for p in speakers(episode)
    ]
    return consent.clear(episode.requested_audience, participants, episode.no_pupil_voices, day)


def live_audiences(episode: Episode, day: date | None = None) -> tuple[str, ...]:
    """The audiences the episode is shown to now: none unless it is published."""
    if episode.state != "published":
        return ()
    return clearance(episode, day).audiences


def visibility(episode: Episode, audience: str, day: date | None = None) -> Visibility:
    """Whether `audience`'s channel shows the episode, lost it (410) or never had it (404)."""
    if audience in live_audiences(episode, day):
        return Visibility.SHOWN
    if audience in episode.published_audiences.split(","):
        return Visibility.GONE
    return Visibility.UNKNOWN


def publish(episode: Episode, approved_by: str | None) -> consent.Clearance:
    """Publish to every audience the gate clears now; refuse when it clears none."""
    if episode.state not in {"ready", "published", "withdrawn"}:
        raise WebradioError(
            N_("L'épisode n'est pas prêt (état : %(state)s) ; attendez la fin du traitement."),
            state=episode.state,
        )
    cleared = clearance(episode)
    if not cleared.audiences:
        raise ConsentRefused(
            N_("Publication refusée : %(reasons)s"),
            reasons=" ; ".join(f"{b.audience} : {b.reason}" for b in cleared.blocked),
        )
    episode.state = "published"
    episode.approved_by = approved_by
    episode.published_at = episode.published_at or now_utc()
    episode.withdrawn_at = episode.withdrawn_reason = None
    previous = set(filter(None, episode.published_audiences.split(",")))
    episode.published_audiences = ",".join(consent.ordered(previous | set(cleared.audiences)))
    audit.record(
        "episode.published",
        "episode",
        episode.id,
        episode.school_id,
        approved_by,
        audiences=list(cleared.audiences),
        authorised_until=cleared.authorised_until,
    )
    db.session.commit()
    feeds.rebuild_school(episode.school)
    return cleared


def publish_as(episode: Episode, role: str, user_id: str) -> consent.Clearance | None:
    """Publish as this staff member: beyond the class a teacher submits and the head approves."""
    if role == "teacher" and episode.requested_audience != "class":
        episode.submitted_at = now_utc()
        db.session.commit()
        return None
    return publish(episode, approved_by=user_id)


def reconsider(episodes: Iterable[Episode], actor_id: str | None = None) -> None:
    """After a consent change: log how each published episode's audiences moved, withdraw what is
    cleared for nothing (with its reason), and rebuild the feeds of the schools concerned."""
    schools: dict[str, School] = {}
    day = today_paris()
    for episode in episodes:
        schools[episode.school_id] = episode.school
        if episode.state != "published":
            continue
        cleared = clearance(episode, day)
        if not cleared.audiences:
            episode.state = "withdrawn"
            episode.withdrawn_at = now_utc()
            episode.withdrawn_reason = withdrawal_reason(episode, day)
            audit.record(
                "episode.withdrawn",
                "episode",
                episode.id,
                episode.school_id,
                actor_id,
                audiences=[],
                reason=episode.withdrawn_reason,
            )
        elif list(cleared.audiences) != (logged := last_logged_audiences(episode)):
            wider = logged is not None and set(cleared.audiences) > set(logged)
            audit.record(
                "episode.widened" if wider else "episode.narrowed",
                "episode",
                episode.id,
                episode.school_id,
                actor_id,
                audiences=list(cleared.audiences),
                authorised_until=cleared.authorised_until,
            )
    db.session.commit()
    for school in schools.values():
        feeds.rebuild_school(school)


def withdrawal_reason(episode: Episode, day: date) -> str:
    """Why an episode lost its audiences: erasure, consent (a family) or expiry."""
    reasons = set()
    wanted = set(consent.tiers_up_to(episode.requested_audience))
    for pupil in speakers(episode):
        grant = current_grant(pupil, day)
        gate_grant = _gate_grant(grant)
        if gate_grant and gate_grant.valid_on(day) and wanted <= gate_grant.audiences:
            continue
        if pupil.erased_at is not None:
            reasons.add("erasure")
        elif grant is None or grant.withdrawn_at is not None or day <= grant.valid_until:
            reasons.add("consent")
        else:
            reasons.add("expiry")
    return next((r for r in ("erasure", "consent", "expiry") if r in reasons), "consent")


def last_logged_audiences(episode: Episode) -> list[str] | None:
    """The audiences the audit log last recorded for the episode (None if never logged)."""
    for event in reversed(audit.events_about([episode.id])):
        if event.kind.startswith("episode."):
            logged = json.loads(event.detail_json).get("audiences")
            if isinstance(logged, list):
                return [str(a) for a in logged]
    return None


def episodes_of_pupil(pupil: Pupil) -> list[Episode]:
    """The episodes in which the pupil speaks: as a participant, or in a part's take."""
    declared = select(EpisodeParticipant.episode_id).where(EpisodeParticipant.pupil_id == pupil.id)
    in_parts = (
        select(EpisodePart.episode_id)
        .join(TakeSpeaker, TakeSpeaker.take_id == EpisodePart.take_id)
        .where(TakeSpeaker.pupil_id == pupil.id)
    )
    return list(
        db.session.scalars(
            select(Episode)
            .where(Episode.id.in_(declared.union(in_parts)))
            .order_by(Episode.created_at)
        )
    )


def public_episodes(school: School, audience: str = "public") -> list[Episode]:
    """The school's episodes shown to `audience` now, newest first."""
    published = db.session.scalars(
        select(Episode)
        .filter_by(school_id=school.id, state="published")
        .order_by(Episode.published_at.desc())
    )
    day = today_paris()
    return [e for e in published if audience in live_audiences(e, day)]


@dataclass(frozen=True)
class Explanation:
    """Why one audience is or is not cleared, in words, and which pupils block it."""

    audience: str
    requested: bool
    cleared: bool
    live: bool
    reason: str
    blockers: tuple[str, ...]


def explain(episode: Episode, day: date | None = None) -> list[Explanation]:
    """For every audience tier: requested or not, cleared or not, why, and who blocks it."""
    day = day or today_paris()
    cleared = clearance(episode, day)
    live = live_audiences(episode, day)
    wanted = consent.tiers_up_to(episode.requested_audience)
    names = [p.first_name for p in speakers(episode)]
    explanations = []
    for audience in consent.AUDIENCES:
        blocked = next((b for b in cleared.blocked if b.audience == audience), None)
        if audience not in wanted:
            reason = N_("Non demandé pour cet épisode.")
        elif blocked is not None:
            reason = blocked.reason
        elif episode.no_pupil_voices:
            reason = N_("Aucune voix d'élève : rien à autoriser.")
        else:
            reason = N_("Toutes les familles des élèves qui parlent l'ont autorisé.")
        blockers = tuple(n for n in names if blocked is not None and _blames(blocked.reason, n))
        explanations.append(
            Explanation(
                audience,
                audience in wanted,
                cleared.allows(audience),
                audience in live,
                reason,
                blockers,
            )
        )
    return explanations


def _blames(reason: str, first_name: str) -> bool:
    """True when the gate's reason names this pupil as the cause."""
    return names(reason, first_name)


@dataclass(frozen=True)
class Alert:
    """A published episode that lost audiences since: which, and why (consent, expiry...)."""

    episode: Episode
    lost: tuple[str, ...]
    reason: str


def alerts(school: School, day: date | None = None) -> list[Alert]:
    """The school's episodes that left a channel they had been published to, newest first."""
    day = day or today_paris()
    found = db.session.scalars(
        select(Episode)
        .where(Episode.school_id == school.id, Episode.state.in_(("published", "withdrawn")))
        .order_by(Episode.published_at.desc())
    )
    result = []
    for episode in found:
        live = set(live_audiences(episode, day))
        lost = [a for a in episode.published_audiences.split(",") if a and a not in live]
        if lost:
            reason = episode.withdrawn_reason or withdrawal_reason(episode, day)
            result.append(Alert(episode, consent.ordered(lost), reason))
    return result

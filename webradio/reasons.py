"""The gate's answers in words, made at display time in the reader's language.

The gate returns causes and pupil ids; this module alone turns them into sentences for staff
(never for the public: a first name appears only on staff pages and the IT team's terminal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from webradio.consent import AUDIENCE_LABELS, Audience, Block, Cause, Clearance, tiers_up_to
from webradio.errors import N_
from webradio.models import Episode, School

CAUSES = {
    Cause.NO_GRANT: N_("%(name)s : aucune autorisation parentale enregistrée"),
    Cause.WITHDRAWN: N_("%(name)s : autorisation retirée par la famille"),
    Cause.EXPIRED: N_("%(name)s : autorisation expirée"),
    Cause.NOT_GRANTED: N_("%(name)s : pas d’autorisation pour %(audience)s"),
    Cause.NAMED: N_(
        "le prénom %(name)s apparaît (%(places)s) sans l’accord de sa famille pour le citer"
    ),
    Cause.ERASED: N_("la voix d’un élève effacé à la demande de sa famille est dans le son"),
    Cause.UNDECLARED: N_(
        "une prise ou un jingle n’a pas de voix déclarées : indiquez qui parle, "
        "ou qu’aucun élève ne parle"
    ),
}


def _translate(message: str, **params: object) -> str:
    """Translate with the web layer's helper (imported late: the gate's words are a leaf)."""
    from webradio.web import translate

    return translate(message, **params)


def block_sentence(block: Block, first_names: Mapping[str, str]) -> str:
    """One block as a sentence for staff."""
    from webradio.clearance import PLACES

    who = ", ".join(first_names.get(pid, "—") for pid in block.pupil_ids) or "—"
    return _translate(
        CAUSES[block.cause],
        name=who,
        audience=_translate(AUDIENCE_LABELS[block.audience]),
        places=", ".join(_translate(PLACES.get(p, p)) for p in block.places),
    )


def audience_reason(answer: Clearance, audience: str, first_names: Mapping[str, str]) -> str:
    """Every cause that blocks `audience`, joined (empty when it is cleared)."""
    seen: dict[str, None] = {}
    for block in answer.blocks_for(audience):
        seen[block_sentence(block, first_names)] = None
    return " ; ".join(seen)


WITHDRAWAL_REASONS = {
    "consent": N_("à la demande d’une famille"),
    "expiry": N_("une autorisation a expiré"),
    "erasure": N_("un élève a été effacé à la demande de sa famille"),
    "unpublished": N_("retiré par la direction"),
}
NOT_REQUESTED = N_("Non demandé pour cet épisode.")
VOICE_FREE = N_("Aucune voix d'élève : rien à autoriser.")
CLASS_UNDECLARED = N_(
    "Qui parle n'est pas encore indiqué : la classe seulement, tant que vous ne l'indiquez pas."
)
ALL_AGREED = N_("Toutes les familles des élèves qui parlent l'ont autorisé.")


def first_names(school_id: str) -> dict[str, str]:
    """Every pupil of the school by id (the names blocks point to; staff eyes only)."""
    from sqlalchemy import select

    from webradio.extensions import db
    from webradio.models import Pupil

    rows = db.session.execute(select(Pupil.id, Pupil.first_name).filter_by(school_id=school_id))
    return {pid: name for pid, name in rows}


def all_reasons(episode: Episode, answer: Clearance) -> str:
    """Every block of the answer, audience by audience, in words."""
    known = first_names(episode.school_id)
    return " ; ".join(
        f"{_translate(AUDIENCE_LABELS[a])} : {audience_reason(answer, a, known)}"
        for a in answer.blocked_audiences()
    )


@dataclass(frozen=True)
class Explanation:
    """Why one audience is or is not cleared, in words, and which pupils block it."""

    audience: Audience
    requested: bool
    cleared: bool
    live: bool
    reason: str
    blockers: tuple[str, ...]


def explain(episode: Episode, answer: Clearance) -> list[Explanation]:
    """For every audience tier: requested or not, cleared or not, why, and who blocks it."""
    from webradio.clearance import live, sources, voices

    known = first_names(episode.school_id)
    wanted = tiers_up_to(episode.requested_audience)
    shown = live(episode, answer)
    heard = voices(episode)
    undeclared = any(not t.speakers and not t.voice_free for t in sources(episode))
    result = []
    for audience in Audience:
        if audience not in wanted:
            reason = _translate(NOT_REQUESTED)
        elif not answer.allows(audience):
            reason = audience_reason(answer, audience, known)
        elif undeclared:  # cleared for the class alone: nobody said who speaks
            reason = _translate(CLASS_UNDECLARED)
        elif not heard:
            reason = _translate(VOICE_FREE)
        else:
            reason = _translate(ALL_AGREED)
        blockers = tuple(known.get(p, "—") for p in answer.blamed(audience))
        result.append(
            Explanation(
                audience,
                audience in wanted,
                answer.allows(audience),
                audience in shown,
                reason,
                blockers,
            )
        )
    return result


@dataclass(frozen=True)
class Alert:
    """A published episode that lost audiences since: which, and why (in words)."""

    episode: Episode
    lost: tuple[Audience, ...]
    reason: str


def alerts(school: School) -> list[Alert]:
    """The school's episodes that left a channel they had been published to, newest first."""
    from sqlalchemy import select

    from webradio.clearance import listing, live
    from webradio.models import EpisodeState
    from webradio.publication import withdrawal_reason

    query = (
        select(Episode)
        .where(
            Episode.school_id == school.id,
            Episode.state.in_((EpisodeState.PUBLISHED, EpisodeState.WITHDRAWN)),
        )
        .order_by(Episode.published_at.desc())
    )
    found = []
    for episode, answer in listing(query):
        shown = set(live(episode, answer))
        lost = tuple(a for a in Audience if a in episode.published_set and a not in shown)
        if lost and episode.withdrawn_reason != "unpublished":  # the head's own decision
            why = episode.withdrawn_reason or withdrawal_reason(answer)
            found.append(Alert(episode, lost, _translate(WITHDRAWAL_REASONS[why])))
    return found

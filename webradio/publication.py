"""Publishing verbs: publish, submit for the head's approval, reconsider after a consent change.

The gate is asked through webradio.clearance (the read side); the public outputs follow each
commit (webradio.outputs). Only the head or the command line may change what an episode
published beyond the class shows; a teacher's change is a request the head approves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from sqlalchemy import func, select

from webradio import audit, clearance, names, reasons
from webradio.clock import now_utc, today_paris
from webradio.consent import Audience, Cause, Clearance, ordered
from webradio.errors import N_, ConsentRefused, Forbidden, WebradioError
from webradio.extensions import db
from webradio.models import Episode, EpisodeState

TEACHER = "teacher"
HEAD_ONLY = N_(
    "Cet épisode est diffusé au-delà de la classe : seule la direction peut le modifier. "
    "Demandez-lui de le faire."
)


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff role and account id; the command line acts as the IT team (head)."""

    role: str
    id: str | None = None


CLI = Actor("cli")


def beyond_class(episode: Episode) -> bool:
    """True when the episode is (or was) published to an audience wider than the class."""
    return bool(episode.published_set - {Audience.CLASS}) and episode.state in {
        EpisodeState.PUBLISHED,
        EpisodeState.WITHDRAWN,
    }


def check_may_change(episode: Episode, actor: Actor) -> None:
    """Refuse a teacher's change to an episode published beyond the class (CONTRACT s. 2)."""
    if actor.role == TEACHER and beyond_class(episode):
        raise Forbidden(HEAD_ONLY)


def publish(episode: Episode, approved_by: str | None) -> Clearance:
    """Publish to every audience the gate clears now; refuse when it clears none."""
    if episode.state not in {EpisodeState.READY, EpisodeState.PUBLISHED, EpisodeState.WITHDRAWN}:
        raise WebradioError(
            N_("L'épisode n'est pas prêt (état : %(state)s) ; attendez la fin du traitement."),
            state=episode.state,
        )
    answer = clearance.of(episode)
    if not answer.audiences:
        raise ConsentRefused(
            N_("Publication refusée : %(reasons)s"),
            reasons=reasons.all_reasons(episode, answer),
        )
    episode.state = EpisodeState.PUBLISHED
    episode.approved_by = approved_by
    episode.submitted_at = None  # a pending request is answered by the publication
    episode.published_at = episode.published_at or now_utc()
    episode.withdrawn_at = episode.withdrawn_reason = None
    episode.published_audiences = ",".join(ordered(set(answer.audiences) | episode.published_set))
    audit.record(
        "episode.published",
        "episode",
        episode.id,
        episode.school_id,
        approved_by,
        audiences=list(answer.audiences),
        authorised_until=answer.authorised_until,
    )
    db.session.commit()
    return answer


def publish_as(episode: Episode, actor: Actor) -> Clearance | None:
    """Publish as this person: beyond the class a teacher submits and the head approves."""
    if actor.role == TEACHER and episode.requested_audience != Audience.CLASS:
        episode.submitted_at = now_utc()
        episode.review_decision = episode.review_comment = None
        db.session.commit()
        return None
    if episode.submitted_at is not None:
        return approve(episode, actor)
    return publish(episode, approved_by=actor.id)


def reconsider(episodes: Iterable[Episode], actor_id: str | None = None) -> None:
    """After a change the gate reads: withdraw what is cleared for nothing (with its reason) and
    log how each published episode's audiences moved. The outputs follow the commit."""
    day = today_paris()
    published = [e for e in episodes if e.state == EpisodeState.PUBLISHED]
    for episode, answer in clearance.cleared(published, day):
        if not answer.audiences:
            withdraw(episode, withdrawal_reason(answer), actor_id)
        elif list(answer.audiences) != (logged := last_logged_audiences(episode)):
            wider = logged is not None and set(answer.audiences) > set(logged)
            audit.record(
                "episode.widened" if wider else "episode.narrowed",
                "episode",
                episode.id,
                episode.school_id,
                actor_id,
                audiences=list(answer.audiences),
                authorised_until=answer.authorised_until,
            )
    db.session.commit()


def withdraw(episode: Episode, reason: str, actor_id: str | None) -> None:
    """Stage an episode's withdrawal from every channel (410 where it had been shown)."""
    episode.state = EpisodeState.WITHDRAWN
    episode.withdrawn_at = now_utc()
    episode.withdrawn_reason = reason
    audit.record(
        "episode.withdrawn",
        "episode",
        episode.id,
        episode.school_id,
        actor_id,
        audiences=[],
        reason=reason,
    )


def withdrawal_reason(answer: Clearance) -> str:
    """Why an episode lost its audiences: erasure, a family's choice, or expiry."""
    causes = {b.cause for b in answer.blocks}
    if Cause.ERASED in causes:
        return "erasure"
    if causes and causes <= {Cause.EXPIRED}:
        return "expiry"
    return "consent"


def last_logged_audiences(episode: Episode) -> list[str] | None:
    """The audiences the audit log last recorded for the episode (None if never logged)."""
    for event in reversed(audit.events_about([episode.id])):
        if event.kind.startswith("episode."):
            logged = json.loads(event.detail_json).get("audiences")
            if isinstance(logged, list):
                return [str(a) for a in logged]
    return None


def lost_audiences(episode: Episode, day: date | None = None) -> tuple[Audience, ...]:
    """The audiences the episode was shown to and no longer is."""
    live = set(clearance.live_audiences(episode, day))
    return tuple(a for a in Audience if a in episode.published_set and a not in live)


class Review(StrEnum):
    """The head's answer to a teacher's request."""

    APPROVED = "approved"
    REFUSED = "refused"


COMMENT_MAX = 2000
HEAD_ROLES = {"head", CLI.role}


def _check_head(actor: Actor) -> None:
    """Only the head (or the command line) decides beyond the class."""
    if actor.role not in HEAD_ROLES:
        raise Forbidden(N_("Seule la direction peut prendre cette décision."))


def awaiting_review(school_id: str) -> list[Episode]:
    """The teachers' requests waiting for the head, oldest first: publications beyond the
    class, and corrections of the words of an episode published beyond it."""
    waiting = Episode.submitted_at.is_not(None) | Episode.pending_edit_at.is_not(None)
    return list(
        db.session.scalars(
            select(Episode)
            .where(Episode.school_id == school_id, waiting)
            .order_by(func.coalesce(Episode.submitted_at, Episode.pending_edit_at))
        )
    )


def approve(episode: Episode, actor: Actor, comment: str = "") -> Clearance:
    """The head approves a request: published to what the gate clears, the teacher told."""
    _check_head(actor)
    _record_review(episode, Review.APPROVED, comment)
    return publish(episode, approved_by=actor.id)


def refuse(episode: Episode, actor: Actor, comment: str) -> None:
    """The head refuses a request, saying why; the episode stays as it is, the teacher told."""
    _check_head(actor)
    if not comment.strip():
        raise WebradioError(N_("Dites à l'enseignant pourquoi, en quelques mots."))
    if episode.submitted_at is None:
        raise WebradioError(N_("Aucune demande de publication en attente pour cet épisode."))
    _record_review(episode, Review.REFUSED, comment)
    episode.submitted_at = None
    audit.record("episode.refused", "episode", episode.id, episode.school_id, actor.id)
    db.session.commit()


def _record_review(episode: Episode, decision: Review, comment: str) -> None:
    """Stage the head's decision and comment (typed text: never shown beyond staff)."""
    if len(comment) > COMMENT_MAX:
        raise WebradioError(N_("Le commentaire est trop long (2 000 caractères au plus)."))
    episode.review_decision = decision
    episode.review_comment = comment.strip() or None
    episode.reviewed_at = now_utc()


def unpublish(episode: Episode, actor: Actor) -> None:
    """The head takes an episode off every channel (410 with a neutral note where it was)."""
    _check_head(actor)
    if episode.state != EpisodeState.PUBLISHED:
        raise WebradioError(N_("Cet épisode n'est pas publié."))
    withdraw(episode, "unpublished", actor.id)
    db.session.commit()


def delete(episode: Episode, actor: Actor) -> None:
    """Delete an episode and every master it had (a teacher only one never published beyond
    the class, such as a draft); its audit lines stay, ids only."""
    from webradio import reedit

    check_may_change(episode, actor)
    audit.record("episode.deleted", "episode", episode.id, episode.school_id, actor.id)
    episode.media_key = None
    reedit.delete_former_masters(episode)
    db.session.delete(episode)
    db.session.commit()


# --- A teacher's correction of the words, beyond the class: a request the head approves ------


@dataclass(frozen=True)
class Words:
    """An episode's typed words as staff correct them: title, description, chapter titles by
    part id (a part left out keeps its title), and the transcript (None: left as it is)."""

    title: str
    description: str
    chapter_titles: dict[str, str]
    transcript: str | None = None


def words_of(episode: Episode) -> Words:
    """The episode's words as they are now (the transcript left as it is)."""
    return Words(episode.title, episode.description, {p.id: p.title for p in episode.parts})


def needs_head(episode: Episode, actor: Actor) -> bool:
    """True when this person's correction of the words is a request for the head."""
    return actor.role == TEACHER and beyond_class(episode)


def pending_words(episode: Episode) -> Words | None:
    """The words a teacher proposed and the head has not answered yet, if any."""
    if episode.pending_edit_at is None or not episode.pending_edit_json:
        return None
    stored = json.loads(episode.pending_edit_json)
    transcript = stored.get("transcript")  # absent from a request made before transcripts
    return Words(
        str(stored["title"]),
        str(stored["description"]),
        {str(k): str(v) for k, v in dict(stored["chapter_titles"]).items()},
        None if transcript is None else str(transcript),
    )


def propose_words(episode: Episode, words: Words, actor: Actor) -> None:
    """Keep a teacher's correction of the title, description and chapters for the head; the
    episode shows its words meanwhile. It replaces the pending words, and keeps a pending
    transcript; the last answer is cleared."""
    if not needs_head(episode, actor):
        raise WebradioError(N_("Cette correction n'a pas besoin de la direction."))
    pending = pending_words(episode)
    kept = pending.transcript if pending else None
    _keep_pending(episode, replace(words, transcript=kept), actor)


def propose_transcript(episode: Episode, transcript: str, actor: Actor) -> None:
    """Keep a teacher's correction of the transcript for the head, beside the pending words
    (or the episode's own); the public transcript stays as it is until the head approves."""
    if not needs_head(episode, actor):
        raise WebradioError(N_("Cette correction n'a pas besoin de la direction."))
    base = pending_words(episode) or words_of(episode)
    changed = transcript if transcript != (episode.transcript or "") else None
    _keep_pending(episode, replace(base, transcript=changed), actor)


def _keep_pending(episode: Episode, words: Words, actor: Actor) -> None:
    """Store the request for the head, unless it changes nothing; clear the last answer."""
    if words == words_of(episode):
        raise WebradioError(N_("Ces textes sont déjà ceux de l'épisode : rien à faire valider."))
    episode.pending_edit_json = _stored(words)
    episode.pending_edit_by = actor.id
    episode.pending_edit_at = now_utc()
    episode.edit_review_decision = episode.edit_review_comment = None
    # The words themselves stay out of the log: they may hold a first name erasure removes.
    audit.record("episode.correction_proposed", "episode", episode.id, episode.school_id, actor.id)
    db.session.commit()


def _stored(words: Words) -> str:
    """A pending request as the JSON text `pending_edit_json` keeps."""
    stored: dict[str, object] = {
        "title": words.title,
        "description": words.description,
        "chapter_titles": words.chapter_titles,
    }
    if words.transcript is not None:
        stored["transcript"] = words.transcript
    return json.dumps(stored, ensure_ascii=False)


def take_pending_words(episode: Episode, actor: Actor, comment: str) -> Words:
    """Stage the head's approval of the pending correction and its transcript (which only the
    gate and the outputs read), and hand back its words, for the caller to apply as the
    head's own edit in the same unit of work: the gate reads both on its commit."""
    _check_head(actor)
    words = pending_words(episode)
    if words is None:
        raise WebradioError(N_("Aucune correction en attente pour cet épisode."))
    _record_edit_review(episode, Review.APPROVED, comment, actor)
    if words.transcript is not None:
        episode.transcript = words.transcript or None
    return words


def refuse_words(episode: Episode, actor: Actor, comment: str) -> None:
    """The head refuses the pending correction, saying why; the words stay as they are."""
    _check_head(actor)
    if not comment.strip():
        raise WebradioError(N_("Dites à l'enseignant pourquoi, en quelques mots."))
    if pending_words(episode) is None:
        raise WebradioError(N_("Aucune correction en attente pour cet épisode."))
    _record_edit_review(episode, Review.REFUSED, comment, actor)
    db.session.commit()


def _record_edit_review(episode: Episode, decision: Review, comment: str, actor: Actor) -> None:
    """Stage the head's answer to a correction; the proposed words are dropped either way
    (`pending_edit_by` keeps its author, who is told)."""
    if len(comment) > COMMENT_MAX:
        raise WebradioError(N_("Le commentaire est trop long (2 000 caractères au plus)."))
    episode.edit_review_decision = decision
    episode.edit_review_comment = comment.strip() or None
    episode.pending_edit_json = None
    episode.pending_edit_at = None
    kind = f"episode.correction_{decision}"
    audit.record(kind, "episode", episode.id, episode.school_id, actor.id)


def corrections_of(school_id: str, user_id: str) -> list[Episode]:
    """The episodes whose words this person last proposed to correct, with the head's answer
    or still waiting, most recently changed first."""
    return list(
        db.session.scalars(
            select(Episode)
            .where(
                Episode.school_id == school_id,
                Episode.pending_edit_by == user_id,
                Episode.pending_edit_at.is_not(None) | Episode.edit_review_decision.is_not(None),
            )
            .order_by(Episode.updated_at.desc())
            .limit(20)
        )
    )


def redact_pending_words(episode: Episode, first_names: list[str]) -> None:
    """Replace these first names in a pending correction, however written (an erasure leaves
    no copy of an erased pupil's name, not even in words waiting for the head)."""
    words = pending_words(episode)
    if words is None:
        return
    episode.pending_edit_json = _stored(
        Words(
            names.redact(words.title, first_names),
            names.redact(words.description, first_names),
            {k: names.redact(v, first_names) for k, v in words.chapter_titles.items()},
            None if words.transcript is None else names.redact(words.transcript, first_names),
        )
    )

"""Domain verbs of publishing: family tokens, what an episode shares, the school's artwork."""

from __future__ import annotations

import hashlib
import re
import secrets
import tempfile
from pathlib import Path

from sqlalchemy import select

from webradio import publication, runtime
from webradio.clock import now_utc
from webradio.errors import N_, NotFound, WebradioError
from webradio.extensions import db
from webradio.models import Episode, FamilyToken, School
from webradio.publishing.artwork import check_artwork

LABEL_MAX = 100
TRANSCRIPT_MAX_CHARS = 200_000
_EMAIL = re.compile(r"\S+@\S+\.\S+")


def create_token(school: School, label: str) -> FamilyToken:
    """A new family token: a label the school chooses (never an e-mail) and a random secret."""
    label = " ".join(label.split())
    if not label or len(label) > LABEL_MAX:
        raise WebradioError(
            N_("Donnez un libellé de 1 à 100 caractères (ex. « CM2 — famille 3 »).")
        )
    if _EMAIL.search(label):
        raise WebradioError(
            N_("Le libellé ne doit pas contenir d'adresse e-mail : aucune n'est collectée.")
        )
    token = FamilyToken(school_id=school.id, label=label, token=secrets.token_urlsafe(24))
    db.session.add(token)
    db.session.commit()
    return token


def list_tokens(school: School) -> list[FamilyToken]:
    """The school's tokens, oldest first."""
    return list(
        db.session.scalars(
            select(FamilyToken)
            .filter_by(school_id=school.id)
            .order_by(FamilyToken.created_at, FamilyToken.id)
        )
    )


def get_token(token_id: str, school: School | None = None) -> FamilyToken:
    """The token with this id (within `school` when given), or NotFound."""
    found = db.session.get(FamilyToken, token_id)
    if found is None or (school is not None and found.school_id != school.id):
        raise NotFound(N_("Aucun accès famille « %(id)s »."), id=token_id)
    return found


def revoke_token(token: FamilyToken) -> None:
    """Revoke at once: the token's feed and media answer 404 from this commit on."""
    if token.revoked_at is None:
        token.revoked_at = now_utc()
        db.session.commit()


def live_token(secret: str) -> FamilyToken | None:
    """The live (not revoked) token carrying this secret, else None."""
    if not secret or len(secret) > 64:
        return None
    found = db.session.scalars(select(FamilyToken).filter_by(token=secret)).first()
    if found is None or found.revoked_at is not None:
        return None
    # The database lookup is by equality; compare again in constant time for good measure.
    return found if secrets.compare_digest(found.token, secret) else None


def update_sharing(
    episode: Episode, actor: publication.Actor, shared_with_city: bool, transcript: str
) -> bool:
    """Record whether the episode is shared with the city and its transcript; True when the
    transcript became a request for the head instead.

    Only the head changes the city sharing of an episode published beyond the class; a
    teacher's transcript there waits for the head (`propose_transcript`). The transcript is
    typed text the gate reads, so the episode is reconsidered; the outputs follow the commit.
    """
    text = _transcript(transcript)
    if shared_with_city != episode.shared_with_city:
        publication.check_may_change(episode, actor)
    if publication.needs_head(episode, actor):
        if text != (episode.transcript or ""):
            publication.propose_transcript(episode, text, actor)
            return True
        return False
    episode.shared_with_city = shared_with_city
    episode.transcript = text or None
    publication.reconsider([episode], actor.id)
    return False


def propose_transcript(episode: Episode, actor: publication.Actor, transcript: str) -> None:
    """A teacher's transcript for an episode published beyond the class: a request the head
    approves (through the gate) or refuses; the public transcript stays as it is meanwhile."""
    publication.propose_transcript(episode, _transcript(transcript), actor)


def _transcript(typed: str) -> str:
    """A typed transcript, its line ends made plain; refused when too long."""
    text = typed.replace("\r\n", "\n").strip()
    if len(text) > TRANSCRIPT_MAX_CHARS:
        raise WebradioError(N_("La transcription est trop longue (200 000 caractères au plus)."))
    return text


def set_artwork(school: School, data: bytes) -> str:
    """Store a checked square artwork (1400–3000 px) for the school; rewrite its feeds."""
    checked = check_artwork(data)
    store = runtime.storage()
    digest = hashlib.sha256(data).hexdigest()[:12]
    with tempfile.NamedTemporaryFile(dir=store.scratch_dir(), delete=False) as handle:
        handle.write(data)
    key = f"artwork/{school.id}/cover-{digest}.{checked.extension}"
    school.artwork_key = store.put_file(key, Path(handle.name)).key
    db.session.commit()
    return school.artwork_key

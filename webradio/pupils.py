"""Data protection for one pupil: export everything held about them, or erase them."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from sqlalchemy import select

from webradio import audit, authorisations, consent, feeds, publication, retention, runtime
from webradio.clock import now_utc, today_paris
from webradio.errors import N_, WebradioError
from webradio.extensions import db
from webradio.models import ConsentGrant, Episode, Pupil, School, Take, TakeSpeaker

ERASED_NAME = "Élève-effacé"


def takes_of(pupil: Pupil) -> list[Take]:
    """The takes in which the pupil is declared speaking."""
    return list(
        db.session.scalars(
            select(Take)
            .join(TakeSpeaker, TakeSpeaker.take_id == Take.id)
            .where(TakeSpeaker.pupil_id == pupil.id)
            .order_by(Take.created_at)
        )
    )


def export_takes(pupil: Pupil) -> list[Take]:
    """Takes to hand over: those they are declared speaking in, and the undeclared takes of
    episodes in which they are the only speaker. Never another child's voice: an undeclared
    take of an episode with several speakers may hold one, so it stays out (publish less)."""
    found = {t.id: t for t in takes_of(pupil)}
    for episode in publication.episodes_of_pupil(pupil):
        if [p.id for p in publication.speakers(episode)] != [pupil.id]:
            continue
        for part in episode.parts:
            if not part.take.speakers:
                found.setdefault(part.take.id, part.take)
    return sorted(found.values(), key=lambda t: t.created_at)


def describe(pupil: Pupil) -> dict[str, object]:
    """Everything held about the pupil, as plain JSON values (ids, dates, audiences)."""
    grants = sorted(pupil.grants, key=lambda g: g.school_year)
    episodes = publication.episodes_of_pupil(pupil)
    return {
        "pupil": {
            "id": pupil.id,
            "first_name": pupil.first_name,
            "school": pupil.school_class.school.slug,
            "class": pupil.school_class.label,
            "created_at": pupil.created_at.isoformat(),
            "erased_at": pupil.erased_at.isoformat() if pupil.erased_at else None,
        },
        "authorisations": [grant_dict(g) for g in grants],
        "takes": [_take_dict(t) for t in export_takes(pupil)],
        "episodes": [_episode_dict(e) for e in episodes],
        "audit": [
            audit.as_dict(e) for e in audit.events_about([pupil.id, *(g.id for g in grants)])
        ],
    }


def consent_summary(pupil: Pupil) -> dict[str, object]:
    """`consent show`: the grant in force, its audiences and end, and every event so far."""
    today = today_paris()
    current = publication.current_grant(pupil, today)
    valid = current is not None and publication.has_valid_grant(pupil, today)
    history: list[dict[str, object]] = []
    for grant in sorted(pupil.grants, key=lambda g: g.school_year):
        history.extend(_events(grant))
    return {
        "pupil": pupil.id,
        "grant": current.id if current else None,
        "valid": valid,
        "audiences": list(consent.ordered(current.audience_set)) if current and valid else [],
        "until": current.valid_until.isoformat() if current else None,
        "credit_first_name": bool(current and valid and current.credit_first_name),
        "history": history,
    }


def grant_dict(grant: ConsentGrant) -> dict[str, object]:
    """One authorisation and its history."""
    return {
        "id": grant.id,
        "school_year": grant.school_year,
        "audiences": sorted(grant.audience_set),
        "credit_first_name": grant.credit_first_name,
        "valid_until": grant.valid_until.isoformat(),
        "withdrawn_at": grant.withdrawn_at.isoformat() if grant.withdrawn_at else None,
        "signed_on": grant.signed_on.isoformat() if grant.signed_on else None,
        "guardians_signed": grant.guardians_signed,
        "pupil_assent": grant.pupil_assent,
        "scan_kept": grant.scan_key is not None,
        "history": _events(grant),
    }


def _events(grant: ConsentGrant) -> list[dict[str, object]]:
    """A grant's append-only history: who recorded what, when (account ids, never names)."""
    return [
        {
            "at": e.at.isoformat(),
            "kind": e.kind,
            "school_year": grant.school_year,
            "audiences_before": e.audiences_before,
            "audiences_after": e.audiences_after,
            "valid_until": e.valid_until.isoformat() if e.valid_until else None,
            "recorded_by": e.actor_id,
        }
        for e in authorisations.history(grant)
    ]


def _take_dict(take: Take) -> dict[str, object]:
    """A take's facts, and the file name of its audio in the archive (if still kept)."""
    return {
        "id": take.id,
        "label": take.label,
        "created_at": take.created_at.isoformat(),
        "sha256": take.sha256,
        "deleted_at": take.deleted_at.isoformat() if take.deleted_at else None,
        "file": None if take.deleted_at else f"prises/{take.id}",
    }


def _episode_dict(episode: Episode) -> dict[str, object]:
    """An episode they take part in, with what it is shown to now."""
    return {
        "id": episode.id,
        "title": episode.title,
        "state": episode.state,
        "audiences": list(publication.live_audiences(episode)),
        "withdrawn_reason": episode.withdrawn_reason,
    }


def export(pupil: Pupil, out: Path) -> Path:
    """Write a zip: `eleve.json` and the original audio of their takes; atomic."""
    data = describe(pupil)
    store = runtime.storage()
    tmp = out.with_name(out.name + ".part")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("eleve.json", json.dumps(data, ensure_ascii=False, indent=2))
            for take in export_takes(pupil):
                if take.deleted_at is None and store.exists(take.storage_key):
                    archive.write(store.local_path(take.storage_key), f"prises/{take.id}")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    audit.record("pupil.exported", "pupil", pupil.id, pupil.school_id, None)
    db.session.commit()
    return out


def erase(pupil: Pupil, actor_id: str | None = None) -> list[Episode]:
    """Erase a pupil: takes' audio deleted, grants closed, first name replaced, and every
    episode they speak in withdrawn and flagged; feeds rebuilt before returning."""
    if pupil.erased_at is not None:
        raise WebradioError(N_("Cet élève a déjà été effacé."))
    now = now_utc()
    for take in takes_of(pupil):
        if take.deleted_at is None:
            retention.delete_take_audio(take, now, reason="erasure")
    current = publication.current_grant(pupil, today_paris())
    if current is not None and current.withdrawn_at is None:
        authorisations.stage_withdrawal(pupil, None, actor_id)
    for grant in pupil.grants:
        grant.withdrawn_at = grant.withdrawn_at or now
        if grant.scan_key:
            runtime.storage().delete(grant.scan_key)
            grant.scan_key = None
    pupil.first_name = ERASED_NAME
    pupil.erased_at = now
    audit.record("pupil.erased", "pupil", pupil.id, pupil.school_id, actor_id)
    db.session.commit()
    episodes = publication.episodes_of_pupil(pupil)
    for episode in episodes:
        _flag(episode)
    db.session.commit()
    publication.reconsider(episodes, actor_id)
    _rebuild(pupil.school_class.school)
    return episodes


def _flag(episode: Episode) -> None:
    """Withdraw an episode the erased pupil speaks in, whatever its other grants say."""
    if episode.state == "published":
        episode.state = "withdrawn"
        episode.withdrawn_at = now_utc()
        episode.withdrawn_reason = "erasure"
        audit.record(
            "episode.withdrawn",
            "episode",
            episode.id,
            episode.school_id,
            None,
            audiences=[],
            reason="erasure",
        )
    elif episode.state in {"ready", "draft", "failed"}:
        episode.withdrawn_reason = "erasure"


def _rebuild(school: School) -> None:
    """Rewrite the school's feeds now (the command returns only after)."""
    feeds.rebuild_school(school)

"""Data protection for one pupil: export everything held about them, or erase them."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webradio import (
    audit,
    authorisations,
    clearance,
    consent,
    episodes,
    names,
    publication,
    reedit,
    runtime,
    takes,
)
from webradio.audio.ffmpeg import run_ffmpeg
from webradio.clock import now_utc, today_paris
from webradio.errors import N_, WebradioError
from webradio.extensions import db
from webradio.models import (
    ConsentGrant,
    Episode,
    EpisodePart,
    EpisodeState,
    FamilyToken,
    Pupil,
    School,
    Take,
    TakeSpeaker,
)


def takes_of(pupil: Pupil) -> list[Take]:
    """The takes (and jingles) in which the pupil is declared speaking."""
    return list(
        db.session.scalars(
            select(Take)
            .join(TakeSpeaker, TakeSpeaker.take_id == Take.id)
            .where(TakeSpeaker.pupil_id == pupil.id)
            .order_by(Take.created_at)
        )
    )


def namesakes(pupil: Pupil) -> list[Pupil]:
    """The school's other pupils (not erased) known by one of the pupil's first names however
    written: erasing the pupil blanks that name in their texts too (it errs to keeping less)."""
    keys = {names.key(name) for name in pupil.known_names}
    others = db.session.scalars(
        select(Pupil)
        .where(Pupil.school_id == pupil.school_id, Pupil.id != pupil.id)
        .where(Pupil.erased_at.is_(None))
        .options(selectinload(Pupil.school_class))
    )
    found = [p for p in others if keys & {names.key(name) for name in p.known_names}]
    return sorted(found, key=lambda p: (p.first_name, p.school_class.label))


def export_takes(pupil: Pupil) -> list[Take]:
    """Takes to hand over: only those in which the pupil is the sole declared voice, on every
    take holding the same bytes. Never another child's voice: a shared take is listed without
    its audio (CONTRACT section 2)."""
    declared = takes_of(pupil)
    voices: dict[str, set[str]] = {}
    for take in with_copies(declared):
        voices.setdefault(take.storage_key, set()).update(s.id for s in take.speakers)
    return [t for t in declared if voices.get(t.storage_key) == {pupil.id}]


def with_copies(found: list[Take]) -> list[Take]:
    """These takes and every take holding the same bytes (one sound, the same voices)."""
    keys = {t.storage_key for t in found}
    same_bytes = db.session.scalars(select(Take).where(Take.storage_key.in_(keys))).all()
    return list({t.id: t for t in [*found, *same_bytes]}.values())


def shared_takes(pupil: Pupil) -> list[dict[str, object]]:
    """The takes the pupil shares with other children: their date and episodes, nothing more."""
    sole = {t.id for t in export_takes(pupil)}
    listed: list[dict[str, object]] = []
    for take in takes_of(pupil):
        if take.id in sole:
            continue
        used_in = db.session.scalars(
            select(EpisodePart.episode_id).filter_by(take_id=take.id).distinct()
        ).all()
        listed.append({"date": take.created_at.date().isoformat(), "episodes": sorted(used_in)})
    return listed


def describe(pupil: Pupil) -> dict[str, object]:
    """Everything held about the pupil, as plain JSON values (ids, dates, audiences)."""
    grants = sorted(pupil.grants, key=lambda g: g.school_year)
    episodes = clearance.episodes_of_pupil(pupil)
    others = [n for i, n in clearance.names_in_school(pupil.school_id) if i != pupil.id]
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
        "shared_takes": shared_takes(pupil),
        "episodes": [_episode_dict(e, others) for e in episodes],
        "audit": [
            audit.as_dict(e) for e in audit.events_about([pupil.id, *(g.id for g in grants)])
        ],
    }


def consent_summary(pupil: Pupil) -> dict[str, object]:
    """`consent show`: the grant in force, its audiences and end, and every event so far."""
    today = today_paris()
    current = clearance.grant_in_force(pupil, today)
    valid = current is not None and clearance.valid_cause(pupil, today) is None
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
        "created_at": take.created_at.isoformat(),
        "sha256": take.sha256,
        "deleted_at": take.deleted_at.isoformat() if take.deleted_at else None,
        "file": None if take.deleted_at else exported_name(take),
    }


def _episode_dict(episode: Episode, others: list[str]) -> dict[str, object]:
    """An episode they take part in, with what it is shown to now (its title without any
    other child's first name)."""
    return {
        "id": episode.id,
        "title": names.redact(episode.title, others),
        "state": episode.state,
        "audiences": list(clearance.live_audiences(episode)),
        "withdrawn_reason": episode.withdrawn_reason,
    }


def exported_name(take: Take) -> str:
    """The name of a take's sound in a family's export."""
    return f"prises/{take.id}.flac"


def export(pupil: Pupil, out: Path) -> Path:
    """Write a zip: `eleve.json` and the sound of their takes; atomic.

    Each take goes as its sound alone (FLAC: lossless, played everywhere), never with what its
    file came with: a recorder app's tags may name a classmate, a cover may be a photo."""
    data = describe(pupil)
    store = runtime.storage()
    sounds = [
        (exported_name(take), store.local_path(take.storage_key))
        for take in export_takes(pupil)
        if take.deleted_at is None and store.exists(take.storage_key)
    ]
    tmp = out.with_name(out.name + ".part")
    sound = out.with_name(out.name + ".flac.part")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("eleve.json", json.dumps(data, ensure_ascii=False, indent=2))
            for name, source in sounds:
                _sound_alone(source, sound)
                archive.write(sound, name)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
        sound.unlink(missing_ok=True)
    audit.record("pupil.exported", "pupil", pupil.id, pupil.school_id, None)
    db.session.commit()
    return out


def _sound_alone(source: Path, out: Path) -> None:
    """Write the first audio stream of `source` to `out` as FLAC, without its tags, chapters,
    cover or any other stream."""
    run_ffmpeg(
        [runtime.ffmpeg().path, "-nostdin", "-v", "error", "-y", "-i", str(source)]
        + ["-map", "0:a:0", "-map_metadata", "-1", "-map_chapters", "-1"]
        + ["-c:a", "flac", "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "flac"]
        + [str(out)],
        timeout=EXPORT_TIMEOUT_S,
    )


EXPORT_TIMEOUT_S = 600


def erase(pupil: Pupil, actor_id: str | None = None) -> list[Episode]:
    """Erase a pupil (CONTRACT section 2): no file keeps their voice, no text their first name.

    Every take or jingle holding their voice (and any take with the same bytes) loses its audio
    and envelope and keeps them declared, so no later declaration brings the voice back; each
    episode they are heard in is cut without their parts by chapter bounds, or deleted when it
    cannot be, and stays unpublished; every former master goes; their first name is replaced by
    "—" in titles, descriptions, chapters, transcripts, labels and tags; grants are closed and
    their scan deleted (unless another form is the same file). Audit lines stay, ids only."""
    db.session.refresh(pupil)  # every name they are known by, as stored now
    if pupil.erased_at is not None:
        raise WebradioError(N_("Cet élève a déjà été effacé."))
    now = now_utc()
    known_names = list(pupil.known_names)
    heard = _takes_with_voice(pupil)
    episodes = clearance.episodes_of_pupil(pupil)
    pupil.erased_at = now  # from here the gate blocks every source that holds the voice
    # The cuts run ffmpeg: nothing is flushed meanwhile, so no write lock is held while they
    # run; everything is committed together at the end (all or nothing).
    with db.session.no_autoflush:
        for episode in episodes:
            _cut_or_delete(episode, pupil, actor_id)
    for take in heard:
        _erase_take(take, pupil, now)
    _close_grants(pupil, actor_id, now)
    _scrub_name(pupil.school_id, known_names)
    pupil.first_name, pupil.former_names = names.ERASED, ""
    audit.record("pupil.erased", "pupil", pupil.id, pupil.school_id, actor_id)
    db.session.commit()
    purge_deleted_rows()
    return episodes


def _takes_with_voice(pupil: Pupil) -> list[Take]:
    """The takes and jingles declaring the pupil, and every take sharing their bytes."""
    return with_copies(takes_of(pupil))


def _erase_take(take: Take, pupil: Pupil, now: datetime) -> None:
    """Delete a take's audio and envelope; it keeps the erased pupil declared."""
    if pupil not in take.speakers:
        take.speakers.append(pupil)
    take.voice_free = False
    store = runtime.storage()
    store.delete(take.storage_key)
    store.delete(takes.peaks_key(take.id))
    if take.deleted_at is None:
        take.deleted_at = now
        audit.record("take.deleted", "take", take.id, take.school_id, None, reason="erasure")
    school = db.session.get(School, take.school_id)
    if school is not None and school.intro_jingle_id == take.id:
        school.intro_jingle = None
    if school is not None and school.outro_jingle_id == take.id:
        school.outro_jingle = None


def _cut_or_delete(episode: Episode, pupil: Pupil, actor_id: str | None) -> None:
    """Cut the pupil's parts out of the episode's master, else delete the episode; it stays
    unpublished either way until staff publish it again."""
    if episode.state == EpisodeState.PUBLISHED:
        publication.withdraw(episode, "erasure", actor_id)
    episode.withdrawn_reason = "erasure"
    try:
        reedit.cut(episode, [pupil], actor_id)
    except WebradioError:
        _delete_episode(episode)
        return
    if pupil in episode.participants:
        episode.participants.remove(pupil)


def _delete_episode(episode: Episode) -> None:
    """Delete an episode and every master it ever had (its audit lines stay)."""
    episode.media_key = None
    reedit.delete_former_masters(episode)
    db.session.delete(episode)


def _close_grants(pupil: Pupil, actor_id: str | None, now: datetime) -> None:
    """Withdraw the grant in force and close every other; delete scans no other form shares."""
    current = clearance.grant_in_force(pupil, today_paris())
    if current is not None and current.withdrawn_at is None:
        authorisations.stage_withdrawal(pupil, None, actor_id)
    for grant in pupil.grants:
        grant.withdrawn_at = grant.withdrawn_at or now
        if grant.scan_key:
            shared = db.session.scalars(
                select(ConsentGrant.id).where(
                    ConsentGrant.scan_key == grant.scan_key, ConsentGrant.id != grant.id
                )
            ).first()
            if shared is None:
                runtime.storage().delete(grant.scan_key)
            grant.scan_key = None


# Every column of an episode that holds text staff typed (the head's comments included).
EPISODE_TEXT = (
    "title",
    "description",
    "series",
    "transcript",
    "review_comment",
    "edit_review_comment",
)


def _scrub_name(school_id: str, first_names: list[str]) -> None:
    """Replace the first names, however written, in the school's typed text and tags."""
    others = first_names
    query = select(Episode).filter_by(school_id=school_id)
    for episode in db.session.scalars(query):
        before = (episode.title, episode.description, episode.series, episode.chapters_json)
        for column in EPISODE_TEXT:
            typed = getattr(episode, column)
            if typed:
                setattr(episode, column, names.redact(typed, others))
        if episode.chapters_json:
            marks = json.loads(episode.chapters_json)
            for mark in marks:
                if isinstance(mark, dict) and isinstance(mark.get("title"), str):
                    mark["title"] = names.redact(mark["title"], others)
            episode.chapters_json = json.dumps(marks)
        for part in episode.parts:
            part.title = names.redact(part.title, others)
        publication.redact_pending_words(episode, others)
        after = (episode.title, episode.description, episode.series, episode.chapters_json)
        if episode.media_key and after != before:
            episodes.retag(episode)
    for take in db.session.scalars(select(Take).filter_by(school_id=school_id)):
        take.label = names.redact(take.label, others)
    for token in db.session.scalars(select(FamilyToken).filter_by(school_id=school_id)):
        token.label = names.redact(token.label, others)


def purge_deleted_rows() -> None:
    """On SQLite, leave no deleted or overwritten row in the WAL or in free pages: checkpoint,
    VACUUM (secure_delete is on for every connection), checkpoint again."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.exec_driver_sql("VACUUM")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

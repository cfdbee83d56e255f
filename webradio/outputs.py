"""Public outputs follow changes: one mechanism, after the commit.

Every flush notes which schools the changed rows belong to (an episode, its parts and takes'
voices, a pupil, a grant, a school). When the unit of work commits, one step rewrites every
public output of those schools and the city's, once, before the verb returns. Nothing else
calls a rebuild: the sweep and the command line mark schools and commit like any verb.

The schools are also marked due (`outputs_due`) in the change's own transaction, and the mark
goes once their files have landed. A rewrite that fails, as on a full disk, first removes what
it could not bring up to date (publish less), keeps the mark and lets the verb's answer say
so; the worker retries every minute (`catch_up`) until the files say what the database says,
and rewrites at once whatever a midnight has expired.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import logging
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from flask import flash, has_request_context, request
from flask_babel import gettext
from sqlalchemy import Select, delete, event, func, inspect, select
from sqlalchemy.orm import Session

from webradio import clock, runtime, site
from webradio.consent import Audience
from webradio.errors import N_
from webradio.extensions import TOUCHED
from webradio.models import (
    ConsentGrant,
    Episode,
    EpisodePart,
    EpisodeParticipant,
    EpisodeState,
    FamilyToken,
    Organisation,
    OutputsDue,
    Pupil,
    School,
    Take,
    TakeSpeaker,
)

EVERY_SCHOOL = "*"
# A take's row changes often while it is analysed; only these columns reach an output.
TAKE_COLUMNS = ("label", "voice_free", "deleted_at", "origin", "storage_key", "speakers")
# A mark younger than this may belong to a rewrite still running in another process.
RETRY_AFTER = timedelta(seconds=20)
NOT_WRITTEN = N_(
    "C’est enregistré, mais les fichiers publics n’ont pas pu être réécrits (disque plein ?) : "
    "ce qui ne pouvait être mis à jour est retiré en attendant, et ils seront réécrits dès que "
    "possible. Prévenez le service informatique."
)

log = logging.getLogger(__name__)


def touch(session: Session, school_id: str) -> None:
    """Mark a school whose public outputs must be rewritten after the next commit."""
    session.info.setdefault(TOUCHED, set()).add(school_id)


def touch_all(session: Session) -> None:
    """Mark every school (the sweep at midnight, `feeds rebuild`)."""
    touch(session, EVERY_SCHOOL)


def _school_of(session: Session, row: object, new: bool) -> str | None:
    """The school whose public outputs this changed row can reach, if any."""
    if isinstance(row, School):
        return row.id
    if isinstance(row, Episode | Pupil | FamilyToken):
        return row.school_id
    if isinstance(row, Take):
        if new:  # the same bytes as a take already kept: one sound, the gate hears them again
            again = select(Take.id).where(Take.storage_key == row.storage_key).limit(1)
            with session.no_autoflush:
                return row.school_id if session.scalars(again).first() is not None else None
        changed = any(inspect(row).attrs[c].history.has_changes() for c in TAKE_COLUMNS)
        return row.school_id if changed else None
    # A row whose parent is new carries no key yet: the parent itself is noted.
    if isinstance(row, EpisodePart | EpisodeParticipant):
        episode = session.get(Episode, row.episode_id) if row.episode_id else None
        return episode.school_id if episode else None
    if isinstance(row, TakeSpeaker):
        take = session.get(Take, row.take_id) if row.take_id else None
        return take.school_id if take else None
    if isinstance(row, ConsentGrant):
        pupil = row.pupil or (session.get(Pupil, row.pupil_id) if row.pupil_id else None)
        return pupil.school_id if pupil else None
    if isinstance(row, Organisation):
        return EVERY_SCHOOL
    return None


def listen() -> None:
    """Attach the flush and rollback listeners (once; the app factory calls this)."""
    if not event.contains(Session, "before_flush", _note_touched_schools):
        event.listen(Session, "before_flush", _note_touched_schools)
        event.listen(Session, "after_soft_rollback", _forget)


def _note_touched_schools(session: Session, _context: Any, _instances: Any) -> None:
    """Before each flush, note the schools of what is new, changed or deleted."""
    with session.no_autoflush:
        for row in itertools.chain(session.new, session.dirty, session.deleted):
            if row in session.dirty and not session.is_modified(row):
                continue
            school_id = _school_of(session, row, row in session.new)
            if school_id is not None:
                touch(session, school_id)


def _forget(session: Session, _previous: Any) -> None:
    """A rolled-back unit of work changed nothing public."""
    session.info.pop(TOUCHED, None)


def mark_due(session: Session, school_ids: set[str]) -> None:
    """Mark these schools' outputs due, in the unit of work about to commit (the session's
    commit calls this)."""
    stamp = clock.now_utc()
    for school_id in sorted(school_ids):
        session.add(OutputsDue(school_id=school_id, since=stamp))


def rewrite_after_commit(session: Session, school_ids: set[str]) -> list[str]:
    """The step after a commit: rewrite, or, when the files cannot be written, keep the
    schools marked due (the worker retries) and tell the person who asked."""
    try:
        written = rewrite(session, school_ids)
    except OSError:
        _last_failure[0] = clock.now_utc()
        session.rollback()
        # The marks committed with the change stay (only a rewrite that landed clears them,
        # and one that read after this change landed with it): no write needed on a full disk.
        log.exception("public outputs not rewritten; the worker retries: %s", sorted(school_ids))
        if has_request_context() and request.method == "POST":
            flash(gettext(NOT_WRITTEN), "error")
        return []
    _last_failure[0] = None
    return written


_last_failure: list[datetime | None] = [None]  # this process's last rewrite that did not land


def not_written_since(within: timedelta) -> bool:
    """True when a rewrite in this process failed less than `within` ago."""
    failed = _last_failure[0]
    return failed is not None and clock.now_utc() - failed < within


def rewrite(session: Session, school_ids: set[str]) -> list[str]:
    """Rewrite the public outputs of these schools and the city's; the slugs that changed.

    Feeds, pages, embeds, oEmbed answers, chapters, transcripts and the city widget are
    written from one listing per school (a fixed number of queries), and what a school no
    longer shows is removed in the same step, before the verb returns.

    Rewrites are serialised by a lock file beside the feeds, and each reads the database
    only once it holds the lock: a rewrite that read before another process's withdrawal
    committed can never land after that process's rewrite (a stale file would show a
    withdrawn episode until the next change). Once the files have landed, the marks they
    answer are cleared (an OSError, e.g. a full disk, leaves them)."""
    from webradio import clearance, feeds

    root = runtime.feeds_root()
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".rewrite.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        read_at = clock.now_utc()
        query = select(School).order_by(School.slug)
        if EVERY_SCHOOL not in school_ids:
            query = query.where(School.id.in_(school_ids))
        owned: dict[str, list[site.Output]] = {}
        slugs: dict[str, str] = {}
        for school in session.scalars(query):
            listed = clearance.listing(_listed(school))
            owned[school.id] = feeds.school_outputs(school, listed)
            owned[school.id] += site.school_outputs(school, listed)
            slugs[school.id] = school.slug
        city = clearance.city_listing()
        owned[site.CITY_OWNER] = feeds.city_outputs(city) + site.city_outputs(city)
        changed = [slugs[owner] for owner in publish(owned) if owner in slugs]
        # Whatever the read flushed (a first run's lazily made rows) is this rewrite's own:
        # it must not ask for another rewrite, which would wait on the lock held here.
        session.info.pop(TOUCHED, None)
        session.commit()  # end the read before the lock goes (WebradioSession: plain commit)
    _clear_due(session, school_ids, read_at)
    return sorted(changed)


def _clear_due(session: Session, school_ids: set[str], read_at: datetime) -> None:
    """Clear the marks a landed rewrite answers: those made before it read the database."""
    landed = delete(OutputsDue).where(OutputsDue.since <= read_at)
    if EVERY_SCHOOL not in school_ids:
        landed = landed.where(OutputsDue.school_id.in_(school_ids))
    session.execute(landed)
    session.commit()


def waiting(now: datetime | None = None) -> dict[str, datetime]:
    """Schools whose files have waited longer than a retry to be rewritten (a rewrite keeps
    failing: no space left?), with since when; EVERY_SCHOOL may be among them."""
    from webradio.extensions import db

    now = now or clock.now_utc()
    found = select(OutputsDue.school_id, func.min(OutputsDue.since)).group_by(OutputsDue.school_id)
    late = {school: since for school, since in db.session.execute(found)}
    return {school: since for school, since in late.items() if since <= now - 3 * RETRY_AFTER}


def waiting_schools(now: datetime | None = None) -> list[tuple[School, datetime]]:
    """The schools among `waiting()`, by name, each with since when ("*" reaches them all)."""
    from webradio.extensions import db

    late = waiting(now)
    every = late.get(EVERY_SCHOOL)
    query = select(School).order_by(School.name)
    if every is None:
        query = query.where(School.id.in_(late))
    return [
        (school, min(m for m in (late.get(school.id), every) if m is not None))
        for school in (db.session.scalars(query) if late else [])
    ]


def next_expiry(now: datetime) -> datetime | None:
    """The first Paris midnight after `now` that ends a public file's day (naive UTC), if any."""
    today = clock.today_paris(now).isoformat()
    ends = {
        str(entry["until"])
        for files in read_manifest(manifest_path()).values()
        for entry in files.values()
        if entry.get("until") and str(entry["until"]) >= today
    }
    if not ends:
        return None
    day = date.fromisoformat(min(ends)) + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=clock.PARIS).astimezone(UTC).replace(tzinfo=None)


def remove_expired(now: datetime) -> int:
    """Remove at once every public file a midnight has expired, before any rewrite renders:
    a proxy then finds none to serve, and the app asks the gate. How many were removed."""
    today = clock.today_paris(now).isoformat()
    root = runtime.feeds_root()
    return sum(
        _remove(root / path)
        for files in read_manifest(manifest_path()).values()
        for path, entry in files.items()
        if entry.get("until") and str(entry["until"]) < today
    )


def catch_up(now: datetime | None = None) -> list[str]:
    """Rewrite what is due: the schools whose last rewrite did not land, and the owners of
    files a midnight has expired (removed first, so a proxy serving the files stops at midnight
    too). The worker calls this every minute; returns the slugs whose files changed."""
    from webradio.extensions import db

    now = now or clock.now_utc()
    remove_expired(now)
    marked = select(OutputsDue.school_id).where(OutputsDue.since <= now - RETRY_AFTER).distinct()
    due = set(db.session.scalars(marked))
    db.session.commit()  # end the read: the rewrite reads again under its lock
    today = clock.today_paris(now).isoformat()
    for owner, files in read_manifest(manifest_path()).items():
        if any(f.get("until") and str(f["until"]) < today for f in files.values()):
            due.add(EVERY_SCHOOL if owner == site.CITY_OWNER else owner)
    return refresh(due) if due else []


def _listed(school: School) -> Select[tuple[Episode]]:
    """The school's episodes any output shows or records as withdrawn, newest first."""
    return (
        select(Episode)
        .where(Episode.school_id == school.id)
        .where(
            (Episode.state == EpisodeState.PUBLISHED)
            | Episode.published_audiences.contains(Audience.PUBLIC)
        )
        .order_by(Episode.published_at.desc())
    )


def refresh(school_ids: set[str]) -> list[str]:
    """Rewrite the outputs of these schools now, through the same after-commit step (a file
    missing on disk, `feeds rebuild`, the sweep); every school for EVERY_SCHOOL. Returns the
    slugs whose files changed.

    While the files cannot be written (a rewrite failed in this process less than RETRY_AFTER
    ago), a reader's request does not try again: the worker does, and the reader gets the
    page rendered now or a "try again" answer."""
    from webradio.extensions import REWRITTEN, db

    session = db.session()
    if not_written_since(RETRY_AFTER) and has_request_context() and request.method == "GET":
        return []
    for school_id in school_ids:
        touch(session, school_id)
    session.commit()
    return list(session.info.pop(REWRITTEN, []))


# --- Writing: every owner's files replace its former ones, in one step ---------------------------


def manifest_path() -> Path:
    """Where each owner's files, their expiry and their key are recorded."""
    return runtime.feeds_root() / site.MANIFEST


Manifest = dict[str, dict[str, dict[str, str | None]]]


def read_manifest(path: Path) -> Manifest:
    """The files each owner (a school's id, or the city) wrote, with their expiry and key."""
    try:
        owners = json.loads(path.read_text("utf-8"))["owners"]
    except (FileNotFoundError, ValueError, KeyError):
        return {}
    return owners if isinstance(owners, dict) else {}


def publish(owned: Mapping[str, Sequence[site.Output]]) -> list[str]:
    """Write each owner's files (unchanged ones untouched, Last-Modified always later), remove
    those it no longer has, and record expiries and keys; the owners whose files changed.

    A file that cannot be written (a full disk) is removed rather than left saying what it
    said, the others are still written, then the first error is raised: the caller keeps the
    owners due and retries. Called only by `rewrite`, inside its lock."""
    from webradio.feeds import write_static
    from webradio.publishing.feed import write_feed

    root = runtime.feeds_root()
    manifest = read_manifest(manifest_path())
    changed: set[str] = set()
    # What an owner no longer has goes first: a withdrawal must never wait on a write (a full
    # disk), and the fast path then finds no file and asks the gate.
    for owner, outputs in owned.items():
        for stale in sorted(set(manifest.get(owner, {})) - {o.path for o in outputs}):
            if _remove(root / stale):
                changed.add(owner)
    failures: list[OSError] = []
    with site.anonymous():
        for owner, outputs in owned.items():
            before = manifest.get(owner, {})
            kept = []
            for output in outputs:
                known = before.get(output.path) or {}
                if output.key and known.get("key") == output.key and (root / output.path).exists():
                    kept.append(output)
                    continue  # shows the same as when it was written
                try:
                    data = output.content()
                    if write_static(root / output.path, data, output.precompress, durable=False):
                        changed.add(owner)
                    kept.append(output)
                except OSError as error:  # a full disk: what cannot be brought up to date goes
                    failures.append(error)
                    if _remove(root / output.path):
                        changed.add(owner)
            manifest[owner] = {
                o.path: {"until": o.until.isoformat() if o.until else None, "key": o.key}
                for o in kept
            }
    if changed:
        os.sync()  # every page written and removed reaches the disk, in one flush
    manifest_file = manifest_path()
    manifest_file.parent.mkdir(parents=True, exist_ok=True)
    write_feed(manifest_file, json.dumps({"owners": manifest}, sort_keys=True).encode())
    if failures:
        raise failures[0]  # the caller keeps the schools due: the worker retries
    return sorted(changed)


def _remove(path: Path) -> bool:
    """Remove a file and its `.gz`, then its folder if empty; True if something was removed."""
    removed = False
    for found in (path, path.with_name(path.name + ".gz")):
        with contextlib.suppress(FileNotFoundError):
            found.unlink()
            removed = True
    with contextlib.suppress(OSError):
        path.parent.rmdir()
    return removed

"""The job queue (huey): built from WEBRADIO_QUEUE_URL, tasks registered by name, taking ids."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy.exc import SQLAlchemyError

from webradio import clock, episodes, outputs, retention, runtime, storage, takes
from webradio.clock import aware, now_utc
from webradio.errors import N_, WebradioError
from webradio.extensions import db
from webradio.models import Episode, EpisodeState, Job, JobState, TakeState

log = logging.getLogger(__name__)

# A full disk is waited out: the job is tried again after each of these pauses (seconds, about
# four hours in all), the take or episode saying meanwhile that it waits for space.
DISK_RETRY_S: tuple[float, ...] = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0)
DISK_WAIT = N_(
    "En attente de place sur le disque du serveur : le traitement reprendra de lui-même ; "
    "le fichier original est conservé."
)
DISK_FULL = N_(
    "Le disque du serveur est plein : le traitement n’a pas pu se faire malgré plusieurs "
    "essais ; prévenez le service informatique."
)
GENERIC_FAILURE = N_(
    "Une erreur inattendue a interrompu le traitement ; le fichier original est conservé. "
    "Réessayez ou prévenez le service informatique."
)


# A restart finds the jobs a stopped worker left « running »: each is queued again when its take
# or episode still needs it, else closed with this reason (it never shows running for ever).
INTERRUPTED_REQUEUED = N_(
    "Interrompu par un arrêt du serveur : le traitement a été relancé de lui-même ; "
    "le fichier original est conservé."
)
INTERRUPTED_NOTHING_LEFT = N_(
    "Interrompu par un arrêt du serveur, non relancé : il n’y avait plus rien à faire."
)


def make_huey(url: str) -> Huey:
    """A huey instance for `url`: immediate, sqlite:///path or redis://..."""
    if url == "immediate":
        return MemoryHuey("webradio", immediate=True)
    if url.startswith("sqlite:///"):
        return SqliteHuey("webradio", filename=url[len("sqlite:///") :])
    if url.startswith(("redis://", "rediss://")):
        return RedisHuey("webradio", url=url)
    raise WebradioError(
        N_("File de tâches inconnue « %(url)s » : sqlite:///chemin, redis://hôte ou immediate."),
        url=url,
    )


class _QuietCatchUp(logging.Filter):
    """The minute catch-up logs nothing when all goes well (three INFO lines a minute would
    bury the jobs that matter in the console); its failures still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO or "outputs_catch_up" not in record.getMessage()


for _name in ("huey", "huey.consumer.Scheduler"):
    logging.getLogger(_name).addFilter(_QuietCatchUp())


def register_tasks(huey: Huey, app: Flask) -> dict[str, Callable[..., Any]]:
    """Register webradio's tasks on `huey`; each runs a domain verb inside the app context.

    Besides each kind's enqueue (by subject id), `again.<kind>` queues an existing Job row again
    (by job id): a restart resumes the job a stopped worker left, not a second one beside it."""
    again: dict[str, Callable[..., Any]] = {}

    def tracked(kind: str, verb: Callable[[str], object]) -> Callable[[str], None]:
        """Wrap a verb so its Job row moves queued → running → ready | failed."""

        @huey.task(name=f"webradio.{kind}")
        def task(job_id: str) -> None:
            with app.app_context():
                job = db.session.get(Job, job_id)
                if job is None or job.state == JobState.READY:
                    return
                job.state, job.attempts = "running", job.attempts + 1
                db.session.commit()
                try:
                    verb(job.subject_id)
                except Exception as error:
                    full = storage.disk_full(error)
                    if full and job.attempts <= len(DISK_RETRY_S):
                        _wait_for_disk(job, kind, DISK_RETRY_S[job.attempts - 1])
                        task.schedule(args=(job_id,), delay=DISK_RETRY_S[job.attempts - 1])
                        return
                    known = full or isinstance(error, WebradioError)
                    reason: str | WebradioError = DISK_FULL if full else GENERIC_FAILURE
                    if not full and isinstance(error, WebradioError):
                        reason = error
                    # The job and its subject never disagree: both say failed, with the reason.
                    _finish(job, JobState.FAILED, str(reason))
                    _mark_subject_failed(kind, job.subject_id, reason)
                    if not known:
                        raise
                    return
                _finish(job, JobState.READY, None)

        def enqueue(subject_id: str) -> None:
            job = Job(kind=kind, subject_id=subject_id, state="queued")
            db.session.add(job)
            db.session.commit()
            task(job.id)

        again[f"again.{kind}"] = task
        return enqueue

    @huey.periodic_task(crontab(minute="*/15"), name="webradio.consent_sweep")
    def consent_sweep() -> None:
        """Expiries happen at Paris midnight: record them, rewrite the feeds they affect."""
        with app.app_context():
            retention.sweep(delete_takes=False)

    @huey.task(name="webradio.expire_at", priority=10)
    def expire_task(instant: str) -> None:
        """Remove the files a midnight expires at that very second, then rewrite."""
        with app.app_context():
            expire_at(datetime.fromisoformat(instant))

    app.extensions["webradio.expire_at"] = expire_task

    @huey.periodic_task(crontab(), name="webradio.outputs_catch_up")
    def outputs_catch_up() -> None:
        """Every minute: rewrite public files a failed rewrite left due (a full disk, once
        space returns) or a midnight expired; in the last minute before a midnight that
        expires files, plan their removal at the second (a proxy serving them stops then)."""
        with app.app_context():
            outputs.catch_up()
            watch_expiry(expire_task, clock.now_utc())

    @huey.periodic_task(crontab(minute="30"), name="webradio.leftovers_sweep")
    def leftovers_sweep() -> None:
        """Every hour: temporary files a crash left in `media/.tmp` and beside public files."""
        with app.app_context():
            storage.remove_leftovers(runtime.storage().scratch_dir(), runtime.feeds_root())

    @huey.periodic_task(crontab(minute="5", hour="0"), name="webradio.daily_sweep")
    def daily_sweep() -> None:
        """Once a day (00:05 UTC): the same sweep, plus raw takes past their retention."""
        with app.app_context():
            retention.sweep()

    return {
        "analyse_take": tracked("analyse_take", takes.analyse_take),
        "render_episode": tracked("render_episode", episodes.render_episode),
        "rebuild_feeds": tracked(
            "rebuild_feeds", lambda _: outputs.refresh({outputs.EVERY_SCHOOL})
        ),
        **again,
    }


# The minute task plans the removal of files a midnight expires when it is this close; the task
# starts this early (huey's scheduler and an idle worker's polling take seconds) and waits.
EXPIRY_WINDOW = timedelta(seconds=90)
EXPIRY_EARLY = timedelta(seconds=20)
_planned: set[datetime] = set()


def watch_expiry(expire: Any, now: datetime) -> datetime | None:
    """Schedule `expire` (the webradio.expire_at task) for the next midnight that expires public
    files, when it is less than EXPIRY_WINDOW away and not planned yet; that instant, if so."""
    instant = outputs.next_expiry(now)
    if instant is None or instant - now > EXPIRY_WINDOW or instant in _planned:
        return None
    _planned.add(instant)
    expire.schedule(args=(instant.isoformat(),), eta=aware(instant - EXPIRY_EARLY))
    return instant


def expire_at(instant: datetime, sleep: Callable[[float], None] = time.sleep) -> list[str]:
    """Wait for `instant` (naive UTC, a Paris midnight), remove the files it expires, then
    rewrite their owners; the slugs whose files changed."""
    while (left := (instant - clock.now_utc()).total_seconds()) > 0:
        sleep(min(left, 1.0))
    outputs.remove_expired(instant)
    return outputs.catch_up(instant)


def _finish(job: Job, state: str, reason: str | None) -> None:
    """Record the job's final state."""
    db.session.rollback()
    job.state, job.failure_reason, job.updated_at = state, reason, now_utc()
    db.session.commit()


def _wait_for_disk(job: Job, kind: str, delay_s: float) -> None:
    """A full disk: the job goes back to the queue and its subject says it waits for space (a
    take « reçue », an episode still rendering), until the retry `delay_s` seconds from now."""
    log.warning("Disque plein : %s %s réessayé dans %.0f s", kind, job.subject_id, delay_s)
    db.session.rollback()
    job.state, job.failure_reason, job.updated_at = JobState.QUEUED, DISK_WAIT, now_utc()
    if kind == "analyse_take" and (take := db.session.get(takes.Take, job.subject_id)):
        take.state, take.failure_reason = TakeState.UPLOADED, DISK_WAIT
    elif kind == "render_episode" and (episode := db.session.get(Episode, job.subject_id)):
        episode.state, episode.failure_reason = EpisodeState.RENDERING, DISK_WAIT
    try:
        db.session.commit()
    except SQLAlchemyError:  # the database's disk is full too: the retry is planned anyway
        db.session.rollback()


def _mark_subject_failed(kind: str, subject_id: str, reason: str | WebradioError) -> None:
    """After a failure, leave the take or episode in a visible failed state, never half-done
    (a subject already `failed`, `ready` or `published` keeps what it says)."""
    subject: takes.Take | Episode | None = None
    if kind == "analyse_take":
        subject = db.session.get(takes.Take, subject_id)
    elif kind == "render_episode":
        subject = db.session.get(Episode, subject_id)
    unfinished = {
        TakeState.UPLOADED,
        TakeState.ANALYSING,
        EpisodeState.DRAFT,
        EpisodeState.RENDERING,
    }
    if subject is not None and subject.state in unfinished:
        subject.state = TakeState.FAILED
        subject.fail_with(reason)
        db.session.commit()


def recover_interrupted() -> int:
    """Requeue takes and episodes left mid-job by a stopped worker; return how many.

    A job row the stopped worker left « running » is queued again for its subject (the same row,
    saying why), or closed as failed with the reason when its subject needs nothing more."""
    # Also a take received but never queued (stopped between its row and its job), and one
    # waiting for disk space (its planned retry may not have been written).
    row = takes.Take
    never_queued = ~db.exists().where(Job.kind == "analyse_take", Job.subject_id == row.id)
    waiting = db.and_(
        row.state == TakeState.UPLOADED,
        row.deleted_at.is_(None),
        db.or_(row.failure_reason == DISK_WAIT, never_queued),
    )
    stuck = db.select(row).where(db.or_(row.state == TakeState.ANALYSING, waiting))
    stuck_takes = list(db.session.scalars(stuck))
    # An episode rendering whose job is still plainly queued waits for it (like a take): queued
    # again here, it was rendered twice at once when it was created during a worker's restart.
    still_queued = db.exists().where(
        Job.kind == "render_episode",
        Job.subject_id == Episode.id,
        Job.state == JobState.QUEUED,
        Job.failure_reason.is_(None),
    )
    stuck_episodes = list(
        db.session.scalars(
            db.select(Episode).where(Episode.state == EpisodeState.RENDERING, ~still_queued)
        )
    )
    # The unfinished job rows (running, or queued again by a restart or a full disk), oldest first.
    unfinished = db.select(Job).where(
        db.or_(
            Job.state == JobState.RUNNING,
            db.and_(
                Job.state == JobState.QUEUED,
                Job.failure_reason.in_((DISK_WAIT, INTERRUPTED_REQUEUED)),
            ),
        )
    )
    left: dict[tuple[str, str], Job] = {}
    for job in db.session.scalars(unfinished.order_by(Job.created_at)):
        if (earlier := left.get((job.kind, job.subject_id))) is not None:
            _close(earlier, INTERRUPTED_NOTHING_LEFT)
        left[(job.kind, job.subject_id)] = job
    needed = [("analyse_take", take.id) for take in stuck_takes]
    needed += [("render_episode", episode.id) for episode in stuck_episodes]
    needed += [key for key in left if key[0] == "rebuild_feeds"]  # always safe to run again
    requeued: list[str] = []
    for kind, subject_id in needed:
        if (job := left.pop((kind, subject_id), None)) is not None:
            job.state, job.failure_reason, job.updated_at = (
                JobState.QUEUED,
                job.failure_reason if job.state == JobState.QUEUED else INTERRUPTED_REQUEUED,
                now_utc(),
            )
            requeued.append(f"again.{kind}:{job.id}")
        else:
            requeued.append(f"{kind}:{subject_id}")
    for job in left.values():  # its take or episode ended, failed or went: nothing to run
        _close(job, INTERRUPTED_NOTHING_LEFT)
    db.session.commit()
    for entry in requeued:
        name, _, arg = entry.partition(":")
        runtime.enqueue(name, arg)
    return len(stuck_takes) + len(stuck_episodes)


def _close(job: Job, reason: str) -> None:
    """A job left unfinished that nothing will run again: failed, saying why."""
    job.state, job.failure_reason, job.updated_at = JobState.FAILED, reason, now_utc()

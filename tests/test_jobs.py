"""Jobs take ids, are safe to run twice, and always end in a state a teacher can see."""

from __future__ import annotations

import errno
import os
import tempfile
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from webradio import episodes, jobs, runtime, schools, storage, takes
from webradio.audio import peaks
from webradio.audio.ffmpeg import find_ffmpeg, run_ffmpeg
from webradio.clock import now_utc
from webradio.errors import FfmpegError
from webradio.extensions import db
from webradio.models import Episode, EpisodePart, Job, Take


def ingest(path: Path) -> Take:
    """Upload `path` as a take of a fresh school (analysed at once: the test queue is immediate)."""
    school = schools.create_school("ecole-jobs", "École des tâches")
    return takes.ingest(school, BytesIO(path.read_bytes()), label="prise")


def test_a_job_records_its_state(app: Flask, take_wav: Path) -> None:
    take = ingest(take_wav)
    (job,) = Job.query.filter_by(subject_id=take.id).all()
    assert (job.kind, job.state, job.attempts) == ("analyse_take", "ready", 1)
    runtime.enqueue("analyse_take", take.id)  # running twice changes nothing
    assert db.session.get(Take, take.id).state == "ready"  # type: ignore[union-attr]


def test_a_crash_leaves_a_visible_failure_and_the_original(
    app: Flask, take_wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_: object) -> None:
        raise RuntimeError("disk unplugged")

    monkeypatch.setattr(takes, "analyse", crash)
    take = ingest(take_wav)
    db.session.expire_all()
    assert take.state == "failed" and "original est conservé" in (take.failure_reason or "")
    assert Job.query.filter_by(subject_id=take.id).one().state == "failed"
    assert runtime.storage().local_path(take.storage_key).read_bytes() == take_wav.read_bytes()


def test_work_left_half_done_is_picked_up_again(app: Flask, take_wav: Path) -> None:
    take = ingest(take_wav)
    take.state, take.analysis_json = "analysing", None  # as if the worker died mid-job
    db.session.commit()
    assert jobs.recover_interrupted() == 1
    db.session.expire_all()
    assert take.state == "ready" and take.analysis_json


def test_a_take_whose_analysis_was_never_queued_is_picked_up_again(
    app: Flask, take_wav: Path
) -> None:
    # The process stopped between the take's row and its job (nothing in the queue): on restart
    # it is analysed, never left « reçue » for ever.
    take = ingest(take_wav)
    Job.query.filter_by(subject_id=take.id).delete()
    take.state, take.analysis_json = "uploaded", None
    db.session.commit()
    assert jobs.recover_interrupted() == 1
    db.session.expire_all()
    assert take.state == "ready" and take.analysis_json
    assert jobs.recover_interrupted() == 0  # a take with its job is left to it


def test_the_consent_sweeps_are_scheduled(app: Flask) -> None:
    huey = app.extensions["webradio.huey"]
    names = lambda moment: sorted(t.name for t in huey.read_periodic(moment))  # noqa: E731
    catch_up = "webradio.outputs_catch_up"  # every minute: due rewrites, files past midnight
    assert names(datetime(2026, 11, 24, 0, 5)) == ["webradio.daily_sweep", catch_up]
    assert names(datetime(2026, 11, 24, 0, 15)) == ["webradio.consent_sweep", catch_up]
    assert names(datetime(2026, 11, 24, 0, 16)) == [catch_up]


def test_the_daily_sweep_deletes_raw_takes_past_retention(app: Flask, take_wav: Path) -> None:
    take = ingest(take_wav)
    episode = Episode(
        guid="urn:uuid:jobs-1",
        school_id=take.school_id,
        title="Épisode abandonné",
        requested_audience="class",
        abandoned_at=now_utc() - timedelta(days=app.config["RAW_TAKE_RETENTION_DAYS"] + 1),
    )
    episode.parts.append(EpisodePart(position=0, take_id=take.id))
    db.session.add(episode)
    db.session.commit()
    huey = app.extensions["webradio.huey"]
    due = huey.read_periodic(datetime(2026, 11, 24, 0, 5))
    (daily,) = [task for task in due if task.name.endswith("daily_sweep")]
    huey.execute(daily)
    db.session.expire_all()
    assert take.deleted_at is not None
    assert not runtime.storage().exists(take.storage_key)


def test_a_refusal_outside_the_audio_fails_the_take_too(
    app: Flask, take_wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job that fails with a non-audio refusal marks its subject failed, never 'analysing'."""
    from webradio.errors import NotFound

    def refuse(*_: object, **__: object) -> None:
        raise NotFound("La prise a disparu du stockage.")

    monkeypatch.setattr(takes, "analyse", refuse)
    take = ingest(take_wav)
    db.session.expire_all()
    job = Job.query.filter_by(subject_id=take.id).one()
    assert (job.state, take.state) == ("failed", "failed")
    assert take.failure_reason == job.failure_reason == "La prise a disparu du stockage."


def test_a_full_disk_delays_the_analysis_ever_longer_then_fails_in_french(
    app: Flask, take_wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = peaks.write
    full = [True]

    def write(path: Path, *args: object) -> Path:  # the envelope's writer meets a full disk
        if full[0]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(peaks, "write", write)
    huey = app.extensions["webradio.huey"]

    def pause(take: Take) -> float:
        """The take says it waits for space; the seconds until its one planned retry."""
        db.session.expire_all()
        assert take.state == "uploaded", take.failure_reason  # « reçue », not « échec »
        assert "place sur le disque" in (take.failure_reason or "")
        assert Job.query.filter_by(subject_id=take.id).one().state == "queued"
        (retry,) = huey.scheduled()
        return float((retry.eta - datetime.now(UTC).replace(tzinfo=None)).total_seconds())

    def retry_now() -> None:
        (retry,) = huey.read_schedule(datetime(2100, 1, 1))
        huey.execute(retry, timestamp=retry.eta)

    take = ingest(take_wav)
    pauses = [pause(take)]
    school_class = schools.get_or_create_class(schools.get_school("ecole-jobs"), "CE1")
    take.class_id = school_class.id
    code = schools.open_studio(school_class)  # the class sees why its take waits
    studio = app.test_client().get(f"/studio/{code}").text
    assert "reçue" in studio and "En attente de place sur le disque du serveur" in studio
    retry_now()  # still full: it waits longer
    pauses.append(pause(take))
    assert 30 < pauses[0] < pauses[1]
    full[0] = False  # space is back: the next try analyses it
    retry_now()
    db.session.expire_all()
    assert take.state == "ready" and take.failure_reason is None and not huey.scheduled()

    # A disk that stays full: a bounded number of tries, then a failure that says why.
    full[0] = True
    monkeypatch.setattr(jobs, "DISK_RETRY_S", (60.0, 120.0))
    school = schools.get_school("ecole-jobs")
    other = takes.ingest(school, BytesIO(take_wav.read_bytes()[:-2] + b"\0\0"))
    for _ in jobs.DISK_RETRY_S:
        pause(other)
        retry_now()
    db.session.expire_all()
    assert other.state == "failed" and "disque du serveur est plein" in (other.failure_reason or "")
    assert not huey.scheduled()
    assert Job.query.filter_by(subject_id=other.id).one().attempts == 3
    assert runtime.storage().exists(other.storage_key)  # the original is kept


def test_a_full_disk_during_a_render_waits_then_the_master_lands_once(
    app: Flask, take_wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    take = ingest(take_wav)
    draft = episodes.EpisodeDraft(
        title="Le journal", take_ids=[take.id], audience="class", no_pupil_voices=True
    )
    episode = episodes.create(schools.get_school("ecole-jobs"), draft)
    real_mkstemp = tempfile.mkstemp
    full = [True]

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        """The master's file lands on a disk with no room left: ffmpeg meets a real ENOSPC."""
        fd, name = real_mkstemp(*args, **kwargs)
        if full[0] and Path(name).name.startswith(f".{episode.id}-") and ".mp3." in name:
            os.close(fd)
            os.unlink(name)
            os.symlink("/dev/full", name)
            fd = os.open(name, os.O_WRONLY)
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    huey = app.extensions["webradio.huey"]
    scratch = runtime.storage().scratch_dir()
    runtime.enqueue("render_episode", episode.id)
    db.session.expire_all()
    # The episode waits (« en cours », saying why), never « échec »; no half master is left.
    assert episode.state == "rendering", episode.failure_reason
    assert "place sur le disque" in (episode.failure_reason or "")
    assert Job.query.filter_by(subject_id=episode.id).one().state == "queued"
    assert not [p for p in scratch.iterdir() if episode.id in p.name]
    (retry,) = huey.read_schedule(datetime(2100, 1, 1))
    full[0] = False  # space is back: the planned retry renders it
    huey.execute(retry, timestamp=retry.eta)
    db.session.expire_all()
    assert episode.state == "ready" and episode.failure_reason is None, episode.failure_reason
    assert episode.media_key and runtime.storage().exists(episode.media_key)
    assert not huey.scheduled()
    (job,) = Job.query.filter_by(subject_id=episode.id).all()
    assert (job.state, job.attempts) == ("ready", 2)


def test_a_render_that_fails_after_its_encode_leaves_no_master_behind(
    app: Flask, take_wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The master is encoded, then tagging it fails: the episode fails, saying so, and the
    scratch folder keeps nothing of it (a master left there holds the pupils' voices)."""
    take = ingest(take_wav)
    draft = episodes.EpisodeDraft(
        title="Le journal", take_ids=[take.id], audience="class", no_pupil_voices=True
    )
    episode = episodes.create(schools.get_school("ecole-jobs"), draft)
    written: list[Path] = []

    def broken_tags(path: Path, tags: object) -> None:
        written.append(path)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(episodes, "write_tags", broken_tags)
    runtime.enqueue("render_episode", episode.id)
    db.session.expire_all()
    scratch = runtime.storage().scratch_dir()
    assert [p.parent for p in written] == [scratch]  # the master was encoded there
    assert episode.state == "failed" and episode.failure_reason
    assert not [p for p in scratch.iterdir() if episode.id in p.name]


def test_ffmpeg_writing_to_a_full_disk_is_known_as_a_full_disk(take_wav: Path) -> None:
    # A render meets a full disk inside ffmpeg: its words for ENOSPC are what the worker hears.
    ffmpeg = find_ffmpeg()
    with pytest.raises(FfmpegError) as caught:
        run_ffmpeg([ffmpeg.path, "-nostdin", "-y", "-i", str(take_wav), "-f", "wav", "/dev/full"])
    assert storage.disk_full(caught.value)
    assert not storage.disk_full(FfmpegError(["ffmpeg"], "Invalid data found when processing"))


def test_a_restart_says_what_became_of_the_jobs_a_killed_worker_left_running(
    app: Flask, take_wav: Path
) -> None:
    # The worker died mid-analysis: its take says « analyse en cours » and its job « running ».
    take = ingest(take_wav)
    (job,) = Job.query.filter_by(subject_id=take.id).all()
    take.state, take.analysis_json, job.state = "analysing", None, "running"
    # Another died after its take was analysed, before its job was marked: nothing left to do.
    done = takes.ingest(
        schools.get_school("ecole-jobs"), BytesIO(take_wav.read_bytes()[:-2] + b"\1\1")
    )
    (finished,) = Job.query.filter_by(subject_id=done.id).all()
    finished.state = "running"
    db.session.commit()
    assert jobs.recover_interrupted() == 1
    db.session.expire_all()
    assert Job.query.filter_by(state="running").count() == 0  # no job shows running for ever
    assert take.state == "ready" and take.analysis_json
    # The interrupted job itself was queued again and ran (not a second row beside a ghost).
    assert [(j.state, j.attempts) for j in Job.query.filter_by(subject_id=take.id)] == [
        ("ready", 2)
    ]
    assert finished.state == "failed"
    assert finished.failure_reason == jobs.INTERRUPTED_NOTHING_LEFT
    assert "arrêt du serveur" in finished.failure_reason


def test_a_job_interrupted_and_queued_again_says_so_until_it_runs(
    app: Flask, take_wav: Path
) -> None:
    take = ingest(take_wav)
    (job,) = Job.query.filter_by(subject_id=take.id).all()
    take.state, take.analysis_json, job.state = "analysing", None, "running"
    db.session.commit()
    huey = app.extensions["webradio.huey"]
    huey.immediate = False  # a real queue: the job waits for the worker
    try:
        assert jobs.recover_interrupted() == 1
        db.session.expire_all()
        assert (job.state, job.failure_reason) == ("queued", jobs.INTERRUPTED_REQUEUED)
        assert len(huey.pending()) == 1
        assert jobs.recover_interrupted() == 1  # a second restart before it ran: still one row
        assert Job.query.filter_by(subject_id=take.id).count() == 1
    finally:
        huey.immediate = True


def test_an_episode_queued_during_a_restart_is_rendered_once(app: Flask, take_wav: Path) -> None:
    # An episode created while the worker restarts: its render waits in the queue, and the
    # restart's recovery must not queue a second one (two renders of one episode at once raced
    # on its scratch file and left it « failed »).
    take = ingest(take_wav)
    episode = Episode(
        guid="urn:uuid:jobs-restart",
        school_id=take.school_id,
        title="Créé pendant le redémarrage",
        requested_audience="class",
    )
    episode.parts.append(EpisodePart(position=0, take_id=take.id))
    db.session.add(episode)
    db.session.commit()
    huey = app.extensions["webradio.huey"]
    huey.immediate = False  # a real queue: the render waits for the worker
    try:
        episodes.queue_render(episode)
        assert len(huey.pending()) == 1
        assert jobs.recover_interrupted() == 0
        assert len(huey.pending()) == 1
        # Left « running » by a killed worker, it is queued again, once.
        (job,) = Job.query.filter_by(subject_id=episode.id).all()
        job.state = "running"
        db.session.commit()
        huey.flush()
        assert jobs.recover_interrupted() == 1
        assert len(huey.pending()) == 1
    finally:
        huey.immediate = True

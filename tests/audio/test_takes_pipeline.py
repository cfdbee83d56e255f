"""Every input of the table through the app: upload kept, take `ready` or `failed` in words."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from audio_judge import CASES
from flask import Flask

from webradio import runtime, schools, takes
from webradio.audio import peaks
from webradio.audio.ffmpeg import FfmpegBinary
from webradio.cli import main
from webradio.extensions import db
from webradio.models import Job, School, Take


@pytest.fixture
def school(app: Flask) -> School:
    """A school."""
    return schools.create_school("ecole-son", "École du Son")


@pytest.mark.parametrize("kind", list(CASES))
def test_every_input_becomes_a_visible_take(
    kind: str, take: Callable[[str], Path], app: Flask, school: School
) -> None:
    case = CASES[kind]
    source = take(kind)
    original = source.read_bytes()
    bystander = _ready_take(school, take("wav16_mono_44k"))
    with source.open("rb") as stream:
        ingested = takes.ingest(school, stream, label=kind)
    db.session.expire_all()
    found = db.session.get(Take, ingested.id)
    assert found is not None
    stored = runtime.storage().local_path(found.storage_key)
    assert stored.read_bytes() == original  # the original is kept, byte for byte
    job = Job.query.filter_by(subject_id=found.id).one()
    if case.expect in {"ok", "capped"}:
        assert (found.state, job.state) == ("ready", "ready"), found.failure_reason
        report = json.loads(found.analysis_json or "{}")
        assert report["duration_s"] > 0.9 and report["integrated_lufs"] > -70
        envelope = peaks.read(runtime.storage().local_path(takes.peaks_key(found.id)))
        assert len(envelope.momentary) == pytest.approx(report["duration_s"] * 10, abs=2)
        assert takes.analyse_take(found.id).envelope is not None  # a second run reads it back
    else:
        assert (found.state, job.state) == ("failed", "failed")
        assert found.failure_reason and len(found.failure_reason) > 30  # a French sentence
        assert found.analysis_json is None
        assert not runtime.storage().exists(takes.peaks_key(found.id))
    # Nothing else disturbed: the other take is still ready with its report.
    db.session.expire_all()
    other = db.session.get(Take, bystander.id)
    assert other is not None and other.state == "ready" and other.analysis_json


def _ready_take(school: School, path: Path) -> Take:
    """An analysed take of the same school, to show a bad upload touches nothing else."""
    with path.open("rb") as stream:
        return takes.ingest(school, stream, label="voisin")


@pytest.mark.parametrize(
    "kind", [k for k, c in CASES.items() if c.expect not in {"ok"}] + ["shout_clipped"]
)
def test_process_command_answers_every_input(
    kind: str, take: Callable[[str], Path], app: Flask, tmp_path: Path
) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "out.mp3"
    result = app.test_cli_runner().invoke(
        main, ["process", str(take(kind)), str(out), "--preset", "voice", "--json"]
    )
    case = CASES[kind]
    if case.expect in {"ok", "capped"}:
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        codes = {w["code"] for w in report["warnings"]}
        assert case.warnings <= codes
        assert ("gain_capped" in codes) == (case.expect == "capped")
        assert report["output_true_peak_dbtp"] <= -1.0 and out.exists()
    else:
        assert result.exit_code == 1
        assert "Traceback" not in result.output and len(result.output.strip()) > 30
        assert list(outdir.iterdir()) == []


def test_a_take_that_decodes_past_the_limit_fails_in_words_and_disturbs_nothing(
    app: Flask, school: School, take: Callable[[str], Path], ffmpeg_bin: FfmpegBinary,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # fmt: skip
    """A small FLAC written to a pipe says no length: only its decode tells it runs past the
    school's limit (here 20 s, 3 h by default). The take ends « échec » saying why, in French,
    its upload kept; the job does not come back; another take is untouched."""
    bomb = tmp_path / "bomb.flac"
    with bomb.open("wb") as handle:
        subprocess.run(
            [ffmpeg_bin.path, "-hide_banner", "-nostdin", "-f", "lavfi", "-i"]
            + ["sine=f=440:r=8000:d=40", "-c:a", "flac", "-f", "flac", "pipe:1"],
            stdout=handle,
            stderr=subprocess.DEVNULL,
            check=True,
        )
    bystander = _ready_take(school, take("wav16_mono_44k"))
    monkeypatch.setitem(app.config, "MAX_TAKE_SECONDS", 20)
    with bomb.open("rb") as stream:
        ingested = takes.ingest(school, stream, label="bombe")
    db.session.expire_all()
    found = db.session.get(Take, ingested.id)
    assert found is not None
    job = Job.query.filter_by(subject_id=found.id).one()
    assert (found.state, job.state) == ("failed", "failed")
    assert "dure plus de 20 s" in (found.failure_reason or "")
    assert runtime.storage().local_path(found.storage_key).read_bytes() == bomb.read_bytes()
    other = db.session.get(Take, bystander.id)
    assert other is not None and other.state == "ready"

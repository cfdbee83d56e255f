"""Real ffmpeg on generated takes: every input kind to a master that meets its target."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from audio_judge import TAKES, judge

from webradio.audio import render as render_module
from webradio.audio.analyse import analyse
from webradio.audio.ffmpeg import FfmpegBinary, find_ffmpeg
from webradio.audio.pipeline import process
from webradio.audio.presets import PRESETS
from webradio.audio.render import Loudness, PartSource, measure, render
from webradio.errors import AudioError

GOOD_KINDS = [kind for kind in TAKES if kind != "very_quiet_mono"]


@pytest.mark.parametrize("kind", GOOD_KINDS)
@pytest.mark.parametrize("preset_name", ["podcast", "voice"])
def test_every_input_kind_meets_the_target(
    kind: str,
    preset_name: str,
    take: Callable[[str], Path],
    ffmpeg_bin: FfmpegBinary,
    tmp_path: Path,
) -> None:
    preset = PRESETS[preset_name]
    out = tmp_path / "master.mp3"
    report = process(take(kind), out, preset, ffmpeg_bin)
    judged = judge(out, ffmpeg_bin.path)
    print(f"{kind} {preset_name}: {report.to_json()} judged={judged}")
    assert abs(judged.integrated_lufs - preset.target_lufs) <= 1.0
    assert judged.true_peak_dbtp <= -1.0
    assert judged.sample_rate_hz == 44100
    assert judged.leading_quiet_s <= 0.5
    assert judged.trailing_quiet_s <= 1.0
    assert report.trimmed_start_s > 2.0
    assert report.output_lufs == pytest.approx(judged.integrated_lufs, abs=0.1)
    assert report.duration_s == pytest.approx(judged.duration_s, abs=0.1)
    assert report.warnings == ()
    assert set(report.to_json()) == {
        "input_lufs",
        "input_true_peak_dbtp",
        "input_lra_lu",
        "output_lufs",
        "output_true_peak_dbtp",
        "duration_s",
        "trimmed_start_s",
        "trimmed_end_s",
        "gain_db",
        "warnings",
    }
    assert [p.name for p in tmp_path.iterdir()] == ["master.mp3"]


def test_format_comes_from_content(take: Callable[[str], Path], ffmpeg_bin: FfmpegBinary) -> None:
    assert analyse(take("mp3_named_wav"), ffmpeg_bin).codec == "mp3"
    assert analyse(take("webm_opus_mono"), ffmpeg_bin).codec == "opus"
    stereo = analyse(take("wav16_stereo_48k"), ffmpeg_bin)
    assert (stereo.channels, stereo.sample_rate_hz, stereo.codec) == (2, 48000, "pcm_s16le")
    assert stereo.duration_s == pytest.approx(12.0, abs=0.01)
    assert 2.0 <= stereo.leading_silence_s <= 3.2
    assert stereo.noise_floor_db is not None and stereo.noise_floor_db < -55


def test_video_file_uses_its_audio_track(
    video_take: Path, ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    report = process(video_take, tmp_path / "m.mp3", "podcast", ffmpeg_bin)
    assert abs(report.output_lufs + 16.0) <= 1.0


def test_very_quiet_take_is_finished_at_the_cap(
    take: Callable[[str], Path], ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    out = tmp_path / "m.mp3"
    report = process(take("very_quiet_mono"), out, "podcast", ffmpeg_bin)
    assert report.gain_db == 24.0
    assert [w.code for w in report.warnings] == ["gain_capped"]
    assert report.output_lufs < -17.0
    assert out.exists()


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("empty", "empty"),
        ("text", "not_audio"),
        ("cut_header", "not_audio"),
        ("digital_silence", "silence"),
        ("room_tone", "room_tone"),
    ],
)
def test_bad_inputs_are_refused_and_leave_nothing(
    kind: str,
    code: str,
    bad_input: Callable[[str], Path],
    ffmpeg_bin: FfmpegBinary,
    tmp_path: Path,
) -> None:
    source = bad_input(kind)
    outdir = tmp_path / "out"
    outdir.mkdir()
    with pytest.raises(AudioError) as caught:
        process(source, outdir / "m.mp3", "podcast", ffmpeg_bin)
    assert caught.value.code == code
    assert caught.value.message
    assert list(outdir.iterdir()) == []


def test_parts_become_chapters(
    take: Callable[[str], Path], ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    first, second = take("wav16_mono"), take("ogg_opus_stereo")
    parts = [
        PartSource(first, analyse(first, ffmpeg_bin), title="Intro"),
        PartSource(second, analyse(second, ffmpeg_bin), in_s=3.0, out_s=8.0, title="Jardin"),
    ]
    out = tmp_path / "ep.mp3"
    result = render(parts, PRESETS["podcast"], out, ffmpeg_bin)
    (a_start, a_end), (b_start, b_end) = result.chapters
    assert a_start == 0.0 and a_end == b_start
    assert b_end - b_start == pytest.approx(5.0, abs=0.01)
    assert b_end == pytest.approx(result.duration_s, abs=0.1)
    assert abs(measure(out, ffmpeg_bin).integrated_lufs + 16.0) <= 1.0


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg on PATH")
def test_the_older_path_ffmpeg_works_too(take: Callable[[str], Path], tmp_path: Path) -> None:
    older = find_ffmpeg(shutil.which("ffmpeg"))
    assert older.source == "WEBRADIO_FFMPEG"
    report = process(take("m4a_aac_mono"), tmp_path / "m.mp3", "podcast", older)
    judged = judge(tmp_path / "m.mp3", older.path)
    assert abs(judged.integrated_lufs + 16.0) <= 1.0
    assert judged.true_peak_dbtp <= -1.0
    assert report.output_true_peak_dbtp <= -1.0


def test_a_wrong_estimate_is_corrected_by_one_re_render(
    take: Callable[[str], Path], ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    path = take("wav16_stereo_48k")
    honest = analyse(path, ffmpeg_bin)
    misread = dataclasses.replace(honest, integrated_lufs=honest.integrated_lufs + 3.0)
    result = render([PartSource(path, misread)], PRESETS["podcast"], tmp_path / "m.mp3", ffmpeg_bin)
    assert abs(result.output_lufs + 16.0) <= 1.0
    assert result.gains_db[0] > -16.0 - misread.integrated_lufs + 2.0


def test_a_missed_target_leaves_nothing(
    take: Callable[[str], Path],
    ffmpeg_bin: FfmpegBinary,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = take("wav16_mono")
    part = PartSource(path, analyse(path, ffmpeg_bin))
    outdir = tmp_path / "out"
    outdir.mkdir()
    monkeypatch.setattr(render_module, "measure", lambda *_: Loudness(-25.0, -3.0, 5.0, 7.0))
    with pytest.raises(AudioError) as caught:
        render([part], PRESETS["podcast"], outdir / "m.mp3", ffmpeg_bin)
    assert caught.value.code == "target_missed"
    assert list(outdir.iterdir()) == []

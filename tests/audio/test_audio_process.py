"""Real ffmpeg on generated inputs: one table over every input kind and every bad input."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from audio_judge import CASES, judge, mp3val_problems

from webradio.audio import render as render_module
from webradio.audio.analyse import analyse
from webradio.audio.ffmpeg import FfmpegBinary, find_ffmpeg
from webradio.audio.pipeline import process
from webradio.audio.presets import PRESETS
from webradio.audio.render import CROSSFADE_S, Loudness, PartSource, measure, render
from webradio.errors import AudioError

JSON_KEYS = {
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


@pytest.mark.parametrize("kind", list(CASES))
def test_every_input(
    kind: str, take: Callable[[str], Path], ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    case = CASES[kind]
    preset = PRESETS["voice" if kind in {"amr_nb", "quiet_mono"} else "podcast"]
    out = tmp_path / "master.mp3"
    if case.expect not in {"ok", "capped"}:
        with pytest.raises(AudioError) as caught:
            process(take(kind), out, preset, ffmpeg_bin)
        assert caught.value.code == case.expect
        assert str(caught.value)[0].isupper() and len(str(caught.value)) > 30  # a French sentence
        assert list(tmp_path.iterdir()) == []
        assert take(kind).exists()  # the original is kept
        return
    report = process(take(kind), out, preset, ffmpeg_bin)
    judged = judge(out, ffmpeg_bin.path)
    print(f"{kind} {preset.name}: {report.to_json()} judged={judged}")
    codes = {w.code for w in report.warnings}
    assert case.warnings <= codes
    assert judged.true_peak_dbtp <= -1.0
    assert judged.sample_rate_hz == 44100
    assert judged.leading_quiet_s <= 0.5
    assert judged.trailing_quiet_s <= 1.0
    if case.expect == "capped":
        assert report.gain_db == preset.max_gain_db and "gain_capped" in codes
        assert judged.integrated_lufs < preset.target_lufs
    else:
        assert abs(judged.integrated_lufs - preset.target_lufs) <= 1.0
        assert "gain_capped" not in codes
    assert report.output_lufs == pytest.approx(
        judged.integrated_lufs, abs=0.25
    )  # the pipe has no LAME header: blocks shift
    assert report.duration_s == pytest.approx(judged.duration_s, abs=0.1)
    assert set(report.to_json()) == JSON_KEYS
    assert [p.name for p in tmp_path.iterdir()] == ["master.mp3"]
    if not case.make:
        # Pauses inside the speech are kept: only the room tone at both ends goes.
        speech_s = case.seconds - 2 * 2.5
        assert speech_s - 0.2 <= judged.duration_s <= speech_s + 1.5
        assert report.trimmed_start_s > 1.5
    problems = mp3val_problems(out)
    if problems is None:
        pytest.skip("mp3val is not installed: frames not checked (apt-get install mp3val)")
    assert problems == []


def halves_lufs(path: Path, ffmpeg_bin: FfmpegBinary) -> tuple[float, float]:
    """BS.1770 loudness of the first and of the second half of a file, each on its own."""
    from webradio.audio.level import gated_loudness

    analysis = analyse(path, ffmpeg_bin)
    assert analysis.envelope is not None
    frames = list(analysis.envelope.momentary)
    half = len(frames) // 2
    return gated_loudness(frames[: half - 5]), gated_loudness(frames[half + 5 :])


def test_the_leveler_brings_the_whisper_up(
    take: Callable[[str], Path], ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    path = take("whisper_then_shout")
    analysis = analyse(path, ffmpeg_bin)
    voice = PRESETS["voice"]
    plain = tmp_path / "plain.mp3"
    levelled = tmp_path / "levelled.mp3"
    unlevelled = render([PartSource(path, analysis)], voice, plain, ffmpeg_bin, leveler=False)
    result = render([PartSource(path, analysis)], voice, levelled, ffmpeg_bin)
    whisper_in, shout_in = halves_lufs(path, ffmpeg_bin)
    whisper_plain, shout_plain = halves_lufs(plain, ffmpeg_bin)
    whisper_out, shout_out = halves_lufs(levelled, ffmpeg_bin)
    print(whisper_in, shout_in, whisper_plain, shout_plain, whisper_out, shout_out)
    assert shout_in - whisper_in > 25
    # The whisper comes within 8 LU of the target and of the shout ...
    assert whisper_out > voice.target_lufs - 8
    assert shout_out - whisper_out < 8
    # ... where one static gain leaves them as far apart as the limiter allows.
    assert whisper_out > whisper_plain + 6
    assert abs(result.output_lufs - voice.target_lufs) <= 1.0
    assert abs(unlevelled.output_lufs - voice.target_lufs) <= 1.0


def test_format_comes_from_content(take: Callable[[str], Path], ffmpeg_bin: FfmpegBinary) -> None:
    assert analyse(take("mp3_named_wav"), ffmpeg_bin).codec == "mp3"
    assert analyse(take("webm_opus_mono"), ffmpeg_bin).codec == "opus"
    surround = analyse(take("wav24_5.1_96k"), ffmpeg_bin)
    assert (surround.channels, surround.sample_rate_hz, surround.codec) == (6, 96000, "pcm_s24le")
    stereo = analyse(take("wav16_stereo_48k"), ffmpeg_bin)
    assert (stereo.channels, stereo.sample_rate_hz, stereo.codec) == (2, 48000, "pcm_s16le")
    assert stereo.duration_s == pytest.approx(12.0, abs=0.01)
    assert 2.0 <= stereo.leading_silence_s <= 3.2
    assert stereo.noise_floor_db is not None and stereo.noise_floor_db < -55
    assert stereo.envelope is not None and len(stereo.envelope.momentary) == 120
    short = analyse(take("header_claims_more"), ffmpeg_bin)
    assert short.duration_s == pytest.approx(7.0, abs=0.05)


def test_parts_become_chapters(
    take: Callable[[str], Path], ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    first, second = take("wav16_mono_44k"), take("ogg_opus_stereo")
    parts = [
        PartSource(first, analyse(first, ffmpeg_bin), title="Intro"),
        PartSource(second, analyse(second, ffmpeg_bin), in_s=3.0, out_s=8.0, title="Jardin"),
    ]
    out = tmp_path / "ep.mp3"
    result = render(parts, PRESETS["podcast"], out, ffmpeg_bin)
    (a_start, a_end), (b_start, b_end) = result.chapters
    # The parts overlap by the crossfade; their bounds meet in its middle.
    assert a_start == 0.0 and a_end == b_start
    assert b_end - b_start == pytest.approx(5.0 - CROSSFADE_S / 2, abs=0.01)
    assert b_end == pytest.approx(result.duration_s, abs=0.01)
    assert judge(out, ffmpeg_bin.path).duration_s == pytest.approx(result.duration_s, abs=0.1)
    assert abs(measure(out, ffmpeg_bin).integrated_lufs + 16.0) <= 1.0


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg on PATH")
def test_the_older_path_ffmpeg_works_too(take: Callable[[str], Path], tmp_path: Path) -> None:
    older = find_ffmpeg(shutil.which("ffmpeg"))
    assert older.source == "WEBRADIO_FFMPEG"
    report = process(take("whisper_then_shout"), tmp_path / "m.mp3", "podcast", older)
    judged = judge(tmp_path / "m.mp3", older.path)
    assert abs(judged.integrated_lufs + 16.0) <= 1.0
    assert judged.true_peak_dbtp <= -1.0
    assert report.output_true_peak_dbtp <= -1.0


def test_a_wrong_estimate_is_corrected_by_one_re_render(
    take: Callable[[str], Path], ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    path = take("wav16_stereo_48k")
    honest = analyse(path, ffmpeg_bin)
    misread = dataclasses.replace(
        honest, integrated_lufs=honest.integrated_lufs + 3.0, envelope=None
    )
    result = render([PartSource(path, misread)], PRESETS["podcast"], tmp_path / "m.mp3", ffmpeg_bin)
    assert abs(result.output_lufs + 16.0) <= 1.0
    assert result.gains_db[0] > -16.0 - misread.integrated_lufs + 2.0


def test_a_missed_target_leaves_nothing(
    take: Callable[[str], Path],
    ffmpeg_bin: FfmpegBinary,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = take("wav16_mono_44k")
    part = PartSource(path, analyse(path, ffmpeg_bin))
    outdir = tmp_path / "out"
    outdir.mkdir()
    monkeypatch.setattr(render_module, "verified", lambda *_: Loudness(-25.0, -3.0, 5.0, 7.0))
    with pytest.raises(AudioError) as caught:
        render([part], PRESETS["podcast"], outdir / "m.mp3", ffmpeg_bin)
    assert caught.value.code == "target_missed"
    assert list(outdir.iterdir()) == []


def test_a_long_take_is_analysed_in_two_halves_alike(
    ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    from audio_judge import Case, speech

    from webradio.audio.analyse import SPLIT_MIN_S, probe_duration

    path = tmp_path / "long.flac"
    case = Case("long.flac", {"channels": 2}, ("-c:a", "flac", "-f", "flac"))
    speech(ffmpeg_bin, path, case, seconds=SPLIT_MIN_S + 10, lead_s=3.0, tail_s=4.0)
    assert (probe_duration(ffmpeg_bin.path, path) or 0) >= SPLIT_MIN_S  # so it is split
    halves = analyse(path, ffmpeg_bin)
    whole = analyse(path, ffmpeg_bin, split=False)
    assert halves.duration_s == pytest.approx(whole.duration_s, abs=0.02)
    assert halves.integrated_lufs == pytest.approx(whole.integrated_lufs, abs=0.15)
    assert halves.true_peak_dbtp == pytest.approx(whole.true_peak_dbtp, abs=0.05)
    assert halves.lra_lu == pytest.approx(whole.lra_lu, abs=1.0)
    assert halves.leading_silence_s == pytest.approx(whole.leading_silence_s, abs=0.05)
    assert halves.trailing_silence_s == pytest.approx(whole.trailing_silence_s, abs=0.05)
    assert halves.envelope is not None and whole.envelope is not None
    assert abs(len(halves.envelope.momentary) - len(whole.envelope.momentary)) <= 1

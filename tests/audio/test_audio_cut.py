"""Re-edits: a master with parts cut out is limited and measured again (issue 11)."""

from __future__ import annotations

from pathlib import Path

import pytest
from audio_judge import BASE, REAL, judge

from webradio.audio.cut import build_cut_command, cut_master
from webradio.audio.ffmpeg import FfmpegBinary, run_ffmpeg
from webradio.audio.pipeline import process
from webradio.audio.presets import PRESETS

PODCAST = PRESETS["podcast"]


@pytest.fixture(scope="module")
def hot_master(tmp_path_factory: pytest.TempPathFactory, ffmpeg_bin: FfmpegBinary) -> Path:
    """A loud MP3 master whose true peak is near full scale (clipped counting, raised)."""
    path = tmp_path_factory.mktemp("cut") / "master.mp3"
    run_ffmpeg(
        [ffmpeg_bin.path, *BASE, "-i", str(REAL / "en_male_counting_clipped_16k.wav")]
        + ["-af", "aresample=44100,volume=2dB", "-ac", "2", "-c:a", "libmp3lame", "-b:a", "128k"]
        + ["-f", "mp3", str(path)]
    )
    return path


def test_cut_command_limits_below_the_ceiling() -> None:
    argv = build_cut_command("ffmpeg", "m.mp3", [(0.0, 2.0), (3.5, 6.0)], "out.mp3", PODCAST)
    graph = argv[argv.index("-filter_complex") + 1]
    assert "atrim=start=0.000:end=2.000" in graph and "atrim=start=3.500:end=6.000" in graph
    assert "concat=n=2:v=0:a=1,alimiter=limit=0.7943:level=0" in graph  # -2 dBFS
    assert argv[-2:] == ["tee", "[f=mp3:write_xing=1:id3v2_version=0]out.mp3|"
                         "[f=mp3:write_xing=0:id3v2_version=0]pipe:1"]  # fmt: skip
    with pytest.raises(ValueError):
        build_cut_command("ffmpeg", "m.mp3", [], "out.mp3", PODCAST)


def test_a_cut_master_is_measured_and_its_true_peak_stays_under_the_ceiling(
    hot_master: Path, ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    assert judge(hot_master, ffmpeg_bin.path).true_peak_dbtp > -1.0  # the input is hot
    out = tmp_path / "cut.mp3"
    spans = [(0.0, 3.1), (4.2, 7.0), (8.1, 10.4)]
    loud = cut_master(hot_master, spans, out, PODCAST, ffmpeg_bin)
    judged = judge(out, ffmpeg_bin.path)
    assert judged.true_peak_dbtp <= -1.0
    assert loud.true_peak_dbtp <= -1.0
    assert loud.integrated_lufs == pytest.approx(judged.integrated_lufs, abs=0.3)
    assert judged.duration_s == pytest.approx(sum(b - a for a, b in spans), abs=0.1)
    assert [p.name for p in tmp_path.iterdir()] == ["cut.mp3"]


def test_a_cut_keeps_the_masters_loudness(tmp_path: Path, ffmpeg_bin: FfmpegBinary) -> None:
    # A new MP3 generation reads 0.45 dB quieter than what it encoded: a re-edit makes up for it.
    master = tmp_path / "master.mp3"
    process(REAL / "fr_female_read_continuous_48k.opus", master, PODCAST, ffmpeg_bin)
    before = judge(master, ffmpeg_bin.path)
    out = tmp_path / "cut.mp3"
    cut_master(master, [(0.0, before.duration_s)], out, PODCAST, ffmpeg_bin)
    after = judge(out, ffmpeg_bin.path)
    assert after.integrated_lufs == pytest.approx(before.integrated_lufs, abs=0.2)
    assert after.true_peak_dbtp <= -1.0

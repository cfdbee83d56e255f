"""A master longer than a minute is verified without a second 4x-oversampled pass (issue 11).

The render's own graph gives its loudness and each frame's sample peak; its true peak is read
on the written file around the loudest frames (verify.py). These tests judge that cheaper
reading against ffmpeg's own full `ebur128=peak=true` on real material: a clipped take, music,
speech, and a hot MP3 over the ceiling.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from audio_judge import BASE, REAL, judge

from webradio.audio import clipping, verify
from webradio.audio.analyse import FrameReader, analyse
from webradio.audio.ffmpeg import FfmpegBinary, run_ffmpeg
from webradio.audio.meter import build_decode_command, measure
from webradio.audio.presets import PRESETS
from webradio.audio.render import PartSource, render

PODCAST = PRESETS["podcast"]
# Real clips, end to end past a minute: a take clipped at source, counting (clipped too),
# a trumpet, three speakers.
PARTS = (
    "fr_bonjour_30s_pause_clipped_16k.mp3",
    "en_male_counting_clipped_16k.wav",
    "music_trumpet_solo_22k.ogg",
    "en_3speakers_with_pauses_16k.wav",
)


def windowed_reading(path: Path, ffmpeg: FfmpegBinary) -> tuple[float, float]:
    """(true peak on the windows, integrated loudness) as the render's meter reads `path`."""
    reader = metered(path, ffmpeg)
    peak = clipping.true_peak(reader.peak_db, 0.1, path, ffmpeg)
    return peak, reader.integrated_and_range()[0]


def metered(path: Path, ffmpeg: FfmpegBinary) -> FrameReader:
    """What the render's meter (verify.meter_graph) prints on the MP3 at `path`."""
    reader = FrameReader()
    run_ffmpeg(
        build_decode_command(ffmpeg.path, path, verify.meter_graph(44100), "mp3"),
        on_line=reader.feed,
    )
    return reader


@pytest.fixture(scope="module")
def long_master(ffmpeg_bin: FfmpegBinary, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real clips rendered as one master of more than a minute (podcast preset)."""
    parts = [PartSource(REAL / name, analyse(REAL / name, ffmpeg_bin)) for name in PARTS]
    out = tmp_path_factory.mktemp("verify") / "master.mp3"
    result = render(parts, PODCAST, out, ffmpeg_bin)
    assert verify.windowed(result.duration_s)  # the windows were used, not a full pipe meter
    judged = judge(out, ffmpeg_bin.path)
    assert judged.true_peak_dbtp <= PODCAST.max_true_peak_dbtp
    assert result.output_true_peak_dbtp == pytest.approx(judged.true_peak_dbtp, abs=0.05)
    # The loudness the pipe read is the MP3's, as the judge reads the file (0.2 LU).
    assert result.output_lufs == pytest.approx(judged.integrated_lufs, abs=0.2)
    return out


def test_a_long_master_is_verified_on_its_windows_as_a_full_read_would(
    long_master: Path, ffmpeg_bin: FfmpegBinary
) -> None:
    peak, lufs = windowed_reading(long_master, ffmpeg_bin)
    full = measure(long_master, ffmpeg_bin)
    assert peak == pytest.approx(full.true_peak_dbtp, abs=0.05)
    assert lufs == pytest.approx(full.integrated_lufs, abs=0.2)


def test_windows_see_a_true_peak_over_the_ceiling(ffmpeg_bin: FfmpegBinary, tmp_path: Path) -> None:
    """A hot MP3 of the clipped take and music, never limited: over -1 dBTP, and the windows
    say so, to the tenth of a dB of the full read."""
    hot = tmp_path / "hot.mp3"
    names = [*PARTS[:3], PARTS[0]]
    inputs = [arg for name in names for arg in ("-i", str(REAL / name))]
    graph = "".join(
        f"[{i}:a:0]aresample=44100,aformat=channel_layouts=stereo[s{i}];" for i in range(4)
    )
    graph += "[s0][s1][s2][s3]concat=n=4:v=0:a=1,volume=4dB"
    run_ffmpeg(
        [ffmpeg_bin.path, *BASE, *inputs, "-filter_complex", graph]
        + ["-c:a", "libmp3lame", "-b:a", "128k", str(hot)]
    )
    full = measure(hot, ffmpeg_bin)
    assert full.duration_s > clipping.WHOLE_PEAK_READ_S
    assert full.true_peak_dbtp > PODCAST.max_true_peak_dbtp
    peak, _ = windowed_reading(hot, ffmpeg_bin)
    assert peak == pytest.approx(full.true_peak_dbtp, abs=0.05)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files verify.py reads whole (its `measure`), in order."""
    seen: list[Path] = []

    def counted(path: Path, ffmpeg: FfmpegBinary):  # type: ignore[no-untyped-def]
        seen.append(path)
        return measure(path, ffmpeg)

    monkeypatch.setattr(verify, "measure", counted)
    return seen


def test_a_short_master_is_read_whole_on_its_file(
    ffmpeg_bin: FfmpegBinary, tmp_path: Path, reads: list[Path]
) -> None:
    short = tmp_path / "short.mp3"
    run_ffmpeg(
        [ffmpeg_bin.path, *BASE, "-i", str(REAL / PARTS[0]), "-t", "20", "-c:a", "libmp3lame"]
        + [str(short)]
    )
    read = verify.master_loudness(FrameReader(), short, ffmpeg_bin, 20.0, 44100, -1.0, 0.45)
    assert reads == [short]
    assert read == measure(short, ffmpeg_bin)  # the file's own figures, no loss taken off


def test_a_master_near_the_ceiling_on_its_windows_is_read_whole(
    long_master: Path, ffmpeg_bin: FfmpegBinary, reads: list[Path]
) -> None:
    reader = metered(long_master, ffmpeg_bin)
    far = verify.master_loudness(reader, long_master, ffmpeg_bin, 600.0, 44100, 0.0)
    assert reads == []
    near = verify.master_loudness(reader, long_master, ffmpeg_bin, 600.0, 44100, far.true_peak_dbtp)
    assert reads == [long_master]
    assert near == far


def test_the_meter_says_how_far_the_encode_has_got(
    long_master: Path, ffmpeg_bin: FfmpegBinary
) -> None:
    """Every 0.1 s frame of the master is logged as the meter passes it: the follower reads
    there how far the encode is (follow.py sends the curve at most AHEAD_S past it). A meter
    logging its frames at ffmpeg's verbose level printed none: the encode was held 5 minutes
    in, until the whole analysis ended."""
    reader = metered(long_master, ffmpeg_bin)
    duration = measure(long_master, ffmpeg_bin).duration_s
    assert len(reader.momentary) == pytest.approx(duration / 0.1, abs=3)
    assert len(reader.peak_db) == pytest.approx(len(reader.momentary), abs=1)

"""Choosing and running ffmpeg; the generated jingle and demo take."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from webradio.audio import ffmpeg
from webradio.audio.clips import make_jingle, make_speechlike_take
from webradio.audio.ffmpeg import STDERR_TAIL_LINES, FfmpegBinary, find_ffmpeg, run_ffmpeg
from webradio.audio.pipeline import process
from webradio.audio.render import measure
from webradio.errors import FfmpegError, WebradioError


def test_find_ffmpeg_picks_the_newest(ffmpeg_bin: FfmpegBinary) -> None:
    assert ffmpeg_bin.source in {"PATH", "imageio-ffmpeg"}
    assert ffmpeg_bin.version and ffmpeg_bin.reason
    assert find_ffmpeg() is ffmpeg_bin  # cached
    import imageio_ffmpeg

    wheel = find_ffmpeg(imageio_ffmpeg.get_ffmpeg_exe())
    assert ffmpeg_bin.version >= wheel.version
    if shutil.which("ffmpeg"):
        assert ffmpeg_bin.version >= find_ffmpeg(shutil.which("ffmpeg")).version


def test_a_forced_ffmpeg_that_does_not_answer_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WebradioError, match="WEBRADIO_FFMPEG"):
        find_ffmpeg(str(tmp_path / "nothing-here"))


def test_run_ffmpeg_raises_with_a_short_tail(ffmpeg_bin: FfmpegBinary, tmp_path: Path) -> None:
    argv = [ffmpeg_bin.path, "-hide_banner", "-i", str(tmp_path / "missing.wav"), "-f", "null", "-"]
    with pytest.raises(FfmpegError) as caught:
        run_ffmpeg(argv)
    assert caught.value.argv == argv
    assert "missing.wav" in caught.value.stderr_tail
    assert len(caught.value.stderr_tail.splitlines()) <= STDERR_TAIL_LINES + 1


def test_run_ffmpeg_timeout(ffmpeg_bin: FfmpegBinary) -> None:
    argv = [ffmpeg_bin.path, "-hide_banner", "-nostats", "-re", "-f", "lavfi"]
    argv += ["-i", "anullsrc", "-t", "30", "-f", "null", "-"]
    with pytest.raises(FfmpegError):
        run_ffmpeg(argv, timeout=0.5)


def test_the_log_is_read_whole_in_few_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every line, in order, however the writes cut it (an accent split in two, a carriage
    return, a last line without its end); a log written a line at a time is read many lines a
    read, not one system call (and one wake-up) per line."""
    lines = [f"[Parsed_ebur128_0] t: {i / 10:.1f} M: -23.{i % 10} S: -24.0" for i in range(1000)]
    pieces = [(line + "\n").encode() for line in lines]
    pieces += [b"d\xc3", b"\xa9but\r\n", b"fin sans retour"]
    read_end, write_end = os.pipe()

    def write() -> None:  # as ffmpeg does: a line, a moment's work, the next line
        for piece in pieces:
            os.write(write_end, piece)
            time.sleep(0.0002)
        os.close(write_end)

    reads: list[int] = []
    real_read = os.read

    def counted(fd: int, size: int) -> bytes:
        reads.append(fd)
        return real_read(fd, size)

    monkeypatch.setattr(ffmpeg.os, "read", counted)
    writer = threading.Thread(target=write)
    writer.start()
    got: list[str] = []
    try:
        ffmpeg.read_lines(read_end, got.append)
    finally:
        writer.join()
        os.close(read_end)
    assert got == [*lines, "début", "fin sans retour"]
    assert len(reads) < len(lines) / 10


def test_jingle(ffmpeg_bin: FfmpegBinary, tmp_path: Path) -> None:
    path = make_jingle(tmp_path / "jingle.wav", ffmpeg_bin, seconds=2.0)
    loud = measure(path, ffmpeg_bin)
    assert loud.duration_s == pytest.approx(2.0, abs=0.01)
    assert -40 < loud.integrated_lufs < -10 and loud.true_peak_dbtp < -1


@pytest.mark.parametrize("channels", [1, 2])
def test_demo_take_processes_cleanly(
    ffmpeg_bin: FfmpegBinary, tmp_path: Path, channels: int
) -> None:
    take = make_speechlike_take(tmp_path / "demo.wav", ffmpeg_bin, seconds=10.0, channels=channels)
    report = process(take, tmp_path / "demo.mp3", "podcast", ffmpeg_bin)
    print(report.to_json())
    assert abs(report.output_lufs + 16.0) <= 1.0
    assert report.output_true_peak_dbtp <= -1.0
    assert report.trimmed_start_s >= 1.5

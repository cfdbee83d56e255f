"""Whether a take was clipped before it reached us: samples stuck at the top, not a loud peak.

A peak at full scale is not clipping (a full-scale sine is clean); clipping is runs of equal
samples at the peak, which astats counts as its flat factor (a clean full-scale sine reads 0,
the corpus's hard-clipped counting 2.4). astats over a whole take costs half as much again as
the loudness measure, so it reads only a few short windows around the frames that reach the
top; a decoded lossy take whose true peak is well over full scale was clipped before its encode
and needs no look.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from pathlib import Path

from webradio.audio.ffmpeg import FfmpegBinary, FfmpegError, run_ffmpeg, timeout_for

# A frame whose true peak reaches this is at the top.
TOP_DBTP = -0.1
# astats' flat factor from which the top is clipping.
CLIP_FLAT_FACTOR = 1.0
# A true peak this far over full scale is clipping whatever the samples say.
OVER_DBTP = 0.5
# At most this many windows of WINDOW_S are read, spread over the frames at the top.
WINDOWS = 6
WINDOW_S = 0.2
_FLAT_RE = re.compile(r"\[Parsed_astats_\d+ @ \S+\] Flat factor: (\S+)")


def build_flat_command(ffmpeg_path: str, in_path: Path | str, starts: Sequence[float]) -> list[str]:
    """argv reading WINDOW_S at each of `starts` and printing their astats flat factor."""
    argv = [ffmpeg_path, "-hide_banner", "-nostats", "-nostdin"]
    for start in starts:
        argv += ["-ss", f"{max(0.0, start):.3f}", "-t", f"{WINDOW_S}", "-i", str(in_path)]
    joined = "".join(f"[{i}:a:0]" for i in range(len(starts)))
    graph = (
        f"{joined}concat=n={len(starts)}:v=0:a=1,"
        "astats=measure_perchannel=none:measure_overall=Flat_factor"
    )
    return argv + ["-filter_complex", graph, "-f", "null", "-"]


def at_the_top(peaks_db: Sequence[float], step_s: float) -> list[float]:
    """Start times of up to WINDOWS windows, spread over the frames that reach the top."""
    frames = [i for i, peak in enumerate(peaks_db) if peak >= TOP_DBTP]
    if len(frames) > WINDOWS:
        frames = [frames[k * len(frames) // WINDOWS] for k in range(WINDOWS)]
    return [round(i * step_s - (WINDOW_S - step_s) / 2, 3) for i in frames]


def clipped(
    peaks_db: Sequence[float],
    step_s: float,
    true_peak_dbtp: float,
    path: Path | str | None,
    ffmpeg: FfmpegBinary | None,
) -> bool:
    """Whether the take is clipped at source (reads the file only if its peaks are at the top)."""
    if true_peak_dbtp > OVER_DBTP:
        return True
    starts = at_the_top(peaks_db, step_s)
    if not starts or path is None or ffmpeg is None:
        return False
    flat: list[float] = []

    def feed(line: str) -> None:
        match = _FLAT_RE.search(line)
        if match is not None:
            with contextlib.suppress(ValueError):
                flat.append(float(match.group(1)))

    try:
        run_ffmpeg(
            build_flat_command(ffmpeg.path, path, starts), on_line=feed, timeout=timeout_for(10)
        )
    except FfmpegError:
        return False
    return bool(flat) and flat[-1] >= CLIP_FLAT_FACTOR

"""Whether a take was clipped before it reached us: samples stuck at the top, not a loud peak.

A peak at full scale is not clipping (a full-scale sine is clean); clipping is runs of equal
samples at the peak, which astats counts as its flat factor (a clean full-scale sine reads 0,
the corpus's hard-clipped counting 2.4). astats over a whole take costs half as much again as
the loudness measure, so it reads only a few short windows around the frames that reach the
top; a decoded lossy take whose true peak is well over full scale was clipped before its encode
and needs no look.

The take's true peak is read the same way: the analysis logs each frame's sample peak (cheap),
and ebur128's 4x-oversampled meter reads only a few windows around the loudest frames, each
window apart (an inter-sample peak passes its samples by a fraction of a dB, and only where
they are loud).
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Sequence
from pathlib import Path

from webradio.audio.ffmpeg import FfmpegBinary, FfmpegError, run_ffmpeg, timeout_for

# A frame whose sample peak reaches this is at the top.
TOP_DBTP = -0.1
# astats' flat factor from which the top is clipping.
CLIP_FLAT_FACTOR = 1.0
# A true peak this far over full scale is clipping whatever the samples say.
OVER_DBTP = 0.5
# At most this many windows of WINDOW_S are read, spread over the frames at the top.
WINDOWS = 6
WINDOW_S = 0.2
_FLAT_RE = re.compile(r"\[Parsed_astats_\d+ @ \S+\] Flat factor: (\S+)")
# A window's input probes 64 kB, not ffmpeg's 5 MB (27 s of a 48 kHz stereo WAV, read and
# parsed for each window: 45 ms of CPU each); the analysis already decoded the file whole.
_WINDOW_INPUT = ("-probesize", "65536")
# The true peak is read on at most PEAK_WINDOWS windows of PEAK_WINDOW_S, around the loudest
# frames (the window's edges give the oversampling filter its context).
PEAK_WINDOWS = 8
PEAK_WINDOW_S = 0.5
# Each window is an input of its own (about 40 ms of CPU to open): a take up to this long is
# read whole instead, which costs no more and misses nothing.
WHOLE_PEAK_READ_S = 60.0
_PEAK_RE = re.compile(r"^\s+Peak:\s+(\S+) dBFS")


def build_flat_command(ffmpeg_path: str, in_path: Path | str, starts: Sequence[float]) -> list[str]:
    """argv reading WINDOW_S at each of `starts` and printing their astats flat factor."""
    argv = [ffmpeg_path, "-hide_banner", "-nostats", "-nostdin"]
    for start in starts:
        argv += [*_WINDOW_INPUT, "-ss", f"{max(0.0, start):.3f}", "-t", f"{WINDOW_S}"]
        argv += ["-i", str(in_path)]
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
    flat = _read(build_flat_command(ffmpeg.path, path, starts), _FLAT_RE)
    return bool(flat) and flat[-1] >= CLIP_FLAT_FACTOR


def _read(argv: list[str], pattern: re.Pattern[str], audio_s: float = 10.0) -> list[float]:
    """Every figure `pattern` finds in the log of a read of `audio_s` (none if ffmpeg fails)."""
    found: list[float] = []

    def feed(line: str) -> None:
        match = pattern.search(line)
        if match is not None:
            with contextlib.suppress(ValueError):
                found.append(float(match.group(1)))

    try:
        run_ffmpeg(argv, on_line=feed, timeout=timeout_for(audio_s))
    except FfmpegError:
        return []
    return found


def loudest(peaks_db: Sequence[float], step_s: float) -> list[float]:
    """Start times of up to PEAK_WINDOWS windows around the loudest frames, none overlapping."""
    apart = math.ceil(PEAK_WINDOW_S / step_s)
    chosen: list[int] = []
    for index in sorted(range(len(peaks_db)), key=lambda i: peaks_db[i], reverse=True):
        if not math.isfinite(peaks_db[index]) or len(chosen) == PEAK_WINDOWS:
            break
        if all(abs(index - other) >= apart for other in chosen):
            chosen.append(index)
    return [round(i * step_s - (PEAK_WINDOW_S - step_s) / 2, 3) for i in sorted(chosen)]


def build_true_peak_command(
    ffmpeg_path: str,
    in_path: Path | str,
    starts: Sequence[float],
    length_s: float = PEAK_WINDOW_S,
    probe: tuple[str, ...] = _WINDOW_INPUT,
) -> list[str]:
    """argv measuring the true peak of `length_s` at each of `starts`, each on its own (a
    join between two windows would be a step, and a step overshoots when oversampled)."""
    argv = [ffmpeg_path, "-hide_banner", "-nostats", "-nostdin"]
    for start in starts:
        argv += [*probe, "-ss", f"{max(0.0, start):.3f}", "-t", f"{length_s:g}"]
        argv += ["-i", str(in_path)]
    measured = "".join(
        f"[{i}:a:0]ebur128=peak=true:framelog=verbose[t{i}];" for i in range(len(starts))
    )
    joined = "".join(f"[t{i}]" for i in range(len(starts)))
    graph = f"{measured}{joined}concat=n={len(starts)}:v=0:a=1"
    return argv + ["-filter_complex", graph, "-f", "null", "-"]


def true_peak(
    peaks_db: Sequence[float],
    step_s: float,
    path: Path | str | None,
    ffmpeg: FfmpegBinary | None,
    samples_of_file: bool = True,
) -> float:
    """The take's true peak (dBTP, to 0.1 dB as ebur128 prints it), read around its loudest
    frames (the whole of a short take, or of a take whose windows cannot be read); never under
    its loudest sample, which stands for it if the file cannot be read at all. Peaks that are
    not the file's own samples (`samples_of_file` false: a master's, measured before its
    encode) only say where to read."""
    loudest_sample = max(peaks_db, default=-math.inf)
    starts = loudest(peaks_db, step_s)
    if not starts or path is None or ffmpeg is None:
        return round(loudest_sample, 1)
    length = len(peaks_db) * step_s
    whole = build_true_peak_command(ffmpeg.path, path, [0.0], length + 1.0, probe=())
    found: list[float] = []
    if length > WHOLE_PEAK_READ_S:
        found = _read(build_true_peak_command(ffmpeg.path, path, starts), _PEAK_RE)
    if not any(math.isfinite(peak) for peak in found):
        found = _read(whole, _PEAK_RE, max(10.0, length))
    if not samples_of_file and any(math.isfinite(peak) for peak in found):
        return round(max(found), 1)
    return round(max([loudest_sample, *found]), 1)

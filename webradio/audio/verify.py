"""Measuring a master on its way out: loudness from the encoded MP3, true peak where it can be.

The render pipes its MP3 to a second ffmpeg (render.py). For a master longer than a minute that
ffmpeg no longer runs ebur128's 4x-oversampled true-peak meter over the whole of it (1.6 s of
CPU per 10 minutes, more than the rest of the measure): it decodes the MP3, reads its integrated
loudness and loudness range, and logs each 0.1 s frame's sample peak. Once the file is written,
the true peak is read on it, with the same meter, on the windows around its loudest frames
(clipping.true_peak, as the analysis does for a take); a master whose windows come within
NEAR_CEILING_DB of the ceiling is read whole, as is a master of a minute or less.

Why the windows hold: a frame's true peak passes its loudest sample by its inter-sample
overshoot only. On 49 masters of the real corpus (speech, a clipped take, songs, an orchestra)
and a 10-minute benchmark master, the windows around the 8 loudest frames found the whole
file's true peak every time; the largest overshoot of any frame over its samples was 1.2 dB.
"""

from __future__ import annotations

import math
from pathlib import Path

from webradio.audio import clipping
from webradio.audio.analyse import FrameReader, frame_samples, frame_seconds
from webradio.audio.ffmpeg import FfmpegBinary
from webradio.audio.meter import Loudness, build_decode_command, build_measure_command, measure

# A master within this of the ceiling on its windows is read whole before it is believed.
NEAR_CEILING_DB = 0.3


def windowed(duration_s: float) -> bool:
    """Whether a master this long has its true peak read on windows (else whole, in the pipe)."""
    return duration_s > clipping.WHOLE_PEAK_READ_S


def build_pipe_measure_command(ffmpeg_path: str, duration_s: float, rate_hz: int) -> list[str]:
    """argv measuring the MP3 that comes down stdin: ebur128 with its true peak for a short
    master; for a longer one ebur128 without it, and each frame's sample peak (astats)."""
    if not windowed(duration_s):
        return build_measure_command(ffmpeg_path, "pipe:0", "mp3")
    graph = (
        "asplit=2[m][p];[m]ebur128=framelog=verbose,anullsink;"
        f"[p]asetnsamples=n={frame_samples(rate_hz)}:p=0,"
        "astats=metadata=1:reset=1:measure_perchannel=none:measure_overall=Peak_level,"
        "ametadata=mode=print:key=lavfi.astats.Overall.Peak_level"
    )
    return build_decode_command(ffmpeg_path, "pipe:0", graph, "mp3")


def master_loudness(
    reader: FrameReader,
    path: Path,
    ffmpeg: FfmpegBinary,
    duration_s: float,
    rate_hz: int,
    ceiling_dbtp: float,
) -> Loudness:
    """The master's loudness, from what the pipe's ffmpeg printed, with its true peak read on
    the written file's loudest windows when the pipe did not meter it; the whole file is read
    when the windows come near `ceiling_dbtp`, or when the pipe logged no frame peaks."""
    if not windowed(duration_s):
        return reader.loudness(reader.clock_s)
    integrated, lra = reader.integrated_and_range()
    peak = clipping.true_peak(reader.peak_db, frame_seconds(rate_hz), path, ffmpeg)
    if not math.isfinite(peak) or peak > ceiling_dbtp - NEAR_CEILING_DB:
        peak = measure(path, ffmpeg).true_peak_dbtp
    return Loudness(integrated, peak, lra, reader.clock_s)

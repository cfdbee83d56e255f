"""Measuring a master on its way out: loudness in the render's graph, true peak on the MP3.

A master longer than a minute is measured inside the render's own graph (CONTRACT 4: `asplit`
to `ebur128`), on the samples the encoder receives: its integrated loudness and loudness range,
and each 0.1 s frame's sample peak (meter_graph). The MP3 reads quieter than those samples by
the encoder's loss, measured once per encoder and setting (render.encoder_loss_db): the
master's loudness is the graph's less that loss. It used to be read by a second ffmpeg decoding
the MP3 from a pipe: the same figure within 0.1 LU on the corpus, for 3 s of CPU per 10 minutes
of master where the graph's meter costs 1 s. Once the file is written, the true peak is read on
the MP3 itself, with ebur128's 4x-oversampled meter, on the windows around the loudest frames
(clipping.true_peak, as the analysis does for a take); a master whose windows come within
NEAR_CEILING_DB of the ceiling is read whole, as is a master of a minute or less (loudness too).

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
from webradio.audio.meter import Loudness, measure

# A master within this of the ceiling on its windows is read whole before it is believed.
NEAR_CEILING_DB = 0.3


def windowed(duration_s: float) -> bool:
    """Whether a master this long is metered in its render's graph, its true peak read on
    windows (else read whole on its file)."""
    return duration_s > clipping.WHOLE_PEAK_READ_S


def meter_graph(rate_hz: int, dual_mono: bool = False) -> str:
    """Filters measuring a long master: ebur128 without its true-peak meter, and each frame's
    sample peak (astats), printed; the peaks branch is the graph's output. With `dual_mono`
    the mono master is measured as the two identical channels it is encoded with."""
    return (
        f"asplit=2[m][p];[m]ebur128=framelog=info{':dualmono=true' if dual_mono else ''},"
        "anullsink;"
        f"[p]asetnsamples=n={frame_samples(rate_hz)}:p=0,"
        "astats=metadata=1:reset=1:measure_perchannel=none:measure_overall=Peak_level,"
        "ametadata=mode=print:key=lavfi.astats.Overall.Peak_level"
    )


def master_loudness(
    reader: FrameReader,
    path: Path,
    ffmpeg: FfmpegBinary,
    duration_s: float,
    rate_hz: int,
    ceiling_dbtp: float,
    encoder_loss_db: float = 0.0,
) -> Loudness:
    """The master's loudness: a short master read whole on its file; a long one from what the
    render's meter printed (`reader`) less the encoder's loss, with its true peak read on the
    file's loudest windows, or on the whole file when they come near `ceiling_dbtp` or the
    meter logged no frame peaks."""
    if not windowed(duration_s):
        return measure(path, ffmpeg)
    integrated, lra = reader.integrated_and_range()
    peaks = reader.peak_db
    peak = clipping.true_peak(peaks, frame_seconds(rate_hz), path, ffmpeg, samples_of_file=False)
    if not math.isfinite(peak) or peak > ceiling_dbtp - NEAR_CEILING_DB:
        peak = measure(path, ffmpeg).true_peak_dbtp
    return Loudness(round(integrated - encoder_loss_db, 1), peak, lra, duration_s)

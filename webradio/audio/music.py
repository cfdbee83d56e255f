"""Music or noise: asked of a take in which the speech detector heard no voice.

Music is tonal: its spectrum has peaks standing far above their neighbours (a high spectral
crest) and is far from flat. Room tone, hiss, ventilation, a bike or dishes are flat and
crestless; café babble is speech-like but blurred into a low crest. On the real corpus
(../shared/corpus/real, aspectralstats over 128 ms windows of the 16 kHz mono downmix) the four
music files read a median crest of 40 to 119 and flatness 0.09 to 0.32; the three noise files
a crest of 8 to 17 and flatness 0.46 to 0.81. One bounded decode of at most SAMPLE_S seconds
answers; it runs only for takes without speech, or whose pauses are as loud as their voices.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

from webradio.audio.ffmpeg import FfmpegBinary, FfmpegError, run_ffmpeg, timeout_for

SAMPLE_S = 300.0
MIN_CREST = 30.0
MAX_FLATNESS = 0.4
_VALUE_RE = re.compile(
    r"lavfi\.(?:aspectralstats\.1\.(crest|flatness)|astats\.Overall\.(RMS)_level)=(\S+)"
)
_TIME_RE = re.compile(r"^frame:\d+\s+pts:\S+\s+pts_time:(\S+)")
# Only the windows within this of the take's loud ones are judged: the music, not the room
# tone before and after it.
JUDGED_RANGE_DB = 20.0


def build_music_command(ffmpeg_path: str, in_path: Path | str) -> list[str]:
    """argv printing the spectral crest and flatness of each 128 ms window on stdout."""
    return [
        ffmpeg_path,
        "-hide_banner",
        "-nostats",
        "-nostdin",
        "-t",
        f"{SAMPLE_S:.0f}",
        "-i",
        str(in_path),
        "-map",
        "0:a:0",
        "-af",
        "aformat=channel_layouts=mono,aresample=16000,asetnsamples=2048,"
        "astats=metadata=1:reset=1:measure_perchannel=none:measure_overall=RMS_level,"
        "aspectralstats=win_size=2048:overlap=0:measure=crest+flatness,"
        "ametadata=mode=print:file=/dev/stderr",
        "-f",
        "null",
        "-",
    ]


def is_music(
    path: Path | str, ffmpeg: FfmpegBinary, speech: Sequence[tuple[float, float]] = ()
) -> bool:
    """Whether the take sounds like music (tonal), rather than noise (flat).

    Windows within the `speech` stretches are not judged: a voice is tonal too, and the
    question, in a take with speech, is what lies under and between the words.
    """
    windows: list[dict[str, float]] = []

    def feed(line: str) -> None:
        when = _TIME_RE.search(line)
        if when is not None:
            at = float(when.group(1))
            if not any(start - 0.13 <= at <= end for start, end in speech):
                windows.append({"at": at})
            else:
                windows.append({"at": -1.0})
            return
        match = _VALUE_RE.search(line)
        if match is None:
            return
        name = match.group(1) or match.group(2)
        try:
            value = float(match.group(3))
        except ValueError:
            value = math.nan
        if windows:
            windows[-1][name] = value

    try:
        run_ffmpeg(
            build_music_command(ffmpeg.path, path), on_line=feed, timeout=timeout_for(SAMPLE_S)
        )
    except FfmpegError:
        return False
    windows = [w for w in windows if w["at"] >= 0 and math.isfinite(w.get("RMS", math.nan))]
    levels = sorted(w["RMS"] for w in windows)
    if not levels:
        return False
    loud = levels[int(len(levels) * 0.9)] - JUDGED_RANGE_DB
    judged = [w for w in windows if w["RMS"] >= loud]
    return is_tonal(
        [w["crest"] for w in judged if math.isfinite(w.get("crest", math.nan))],
        [w["flatness"] for w in judged if math.isfinite(w.get("flatness", math.nan))],
    )


def is_tonal(crests: list[float], flatnesses: list[float]) -> bool:
    """The rule on the windows' figures: median crest high and median flatness low."""
    if len(crests) < 4 or len(flatnesses) < 4:
        return False
    crest = sorted(crests)[len(crests) // 2]
    flatness = sorted(flatnesses)[len(flatnesses) // 2]
    return crest >= MIN_CREST and flatness <= MAX_FLATNESS

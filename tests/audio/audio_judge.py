"""Generated take kinds and an independent judge of masters (named apart from conftest)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

WAV = ("-c:a", "pcm_s16le", "-f", "wav")

# kind -> (file name, speechlike options, output args); the name's extension is never trusted.
TAKES: dict[str, tuple[str, dict[str, float], tuple[str, ...]]] = {
    "wav16_mono": ("take.wav", {"channels": 1}, WAV),
    "wav16_stereo_48k": ("take.wav", {"channels": 2, "sample_rate_hz": 48000}, WAV),
    "mp3_stereo": (
        "take.mp3",
        {"channels": 2},
        ("-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3"),
    ),
    "m4a_aac_mono": ("take.m4a", {"channels": 1}, ("-c:a", "aac", "-b:a", "96k", "-f", "mp4")),
    "ogg_opus_stereo": (
        "take.ogg",
        {"channels": 2, "sample_rate_hz": 48000},
        ("-c:a", "libopus", "-b:a", "64k", "-f", "ogg"),
    ),
    "webm_opus_mono": (
        "take.webm",
        {"channels": 1, "sample_rate_hz": 48000},
        ("-c:a", "libopus", "-b:a", "48k", "-f", "webm"),
    ),
    "quiet_mono": ("take.wav", {"channels": 1, "speech_db": -32.0, "noise_db": -70.0}, WAV),
    "loud_stereo": ("take.wav", {"channels": 2, "speech_db": -12.0, "noise_db": -55.0}, WAV),
    "mp3_named_wav": (
        "take.wav",
        {"channels": 1},
        ("-c:a", "libmp3lame", "-b:a", "96k", "-f", "mp3"),
    ),
    "very_quiet_mono": ("take.wav", {"channels": 1, "speech_db": -47.0, "noise_db": -85.0}, WAV),
}


@dataclass(frozen=True)
class Judged:
    """An independent reading of a master."""

    integrated_lufs: float
    true_peak_dbtp: float
    sample_rate_hz: int
    duration_s: float
    leading_quiet_s: float
    trailing_quiet_s: float


def judge(path: Path, ffmpeg_path: str) -> Judged:
    """Decode a master afresh and read ebur128 and silencedetect with their own regexes."""
    done = subprocess.run(
        [ffmpeg_path, "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:a:0", "-af"]
        + ["ebur128=peak=true:framelog=verbose,silencedetect=n=-35dB:d=0.15", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    err = done.stderr
    integrated = float(re.findall(r"^\s+I:\s+(\S+) LUFS", err, re.M)[-1])
    peak = float(re.findall(r"^\s+Peak:\s+(\S+) dBFS", err, re.M)[-1])
    rate = int(re.search(r"Stream #0:0.*Audio: mp3.*?, (\d+) Hz", err).group(1))  # type: ignore[union-attr]
    clock = re.findall(r"time=(\d+):(\d+):([\d.]+)", err)[-1]
    duration = int(clock[0]) * 3600 + int(clock[1]) * 60 + float(clock[2])
    starts = [float(s) for s in re.findall(r"silence_start: (\S+)", err)]
    ends = [float(e) for e in re.findall(r"silence_end: (\S+)", err)]
    leading = ends[0] if starts and starts[0] <= 0.01 else 0.0
    trailing = (
        duration - starts[-1]
        if starts and len(ends) >= len(starts) and ends[-1] >= duration - 0.05
        else 0.0
    )
    return Judged(integrated, peak, rate, duration, leading, trailing)

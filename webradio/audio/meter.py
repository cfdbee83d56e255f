"""Reading ffmpeg's own log: the input stream line and the ebur128 and astats summaries."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from webradio.audio.ffmpeg import FfmpegBinary, run_ffmpeg, timeout_for
from webradio.errors import N_, AudioError, FfmpegError

# "  Stream #0:1(und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, 128 kb/s"
_STREAM_RE = re.compile(r"^\s*Stream #0:\d+(?:\[\w+\])?(?:\(\w+\))?: Audio: (.+)$")
_SUMMARY_VALUE_RE = re.compile(r"^\s+(I|LRA|Peak):\s+(\S+)\s+(LUFS|LU|dBFS)\s*$")
_TIME_RE = re.compile(r"\btime=(\d+):(\d+):(\d+(?:\.\d+)?)")
# BS.1770 gates: blocks under -70 LUFS, then blocks 10 LU under the mean, do not count;
# the loudness range gates 20 LU under the mean (EBU Tech 3342).
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = 10.0
LRA_RELATIVE_GATE_LU = 20.0
MEASURE_BUDGET_S = 6 * 3600.0
_LAYOUT_CHANNELS = {"mono": 1, "stereo": 2, "quad": 4, "hexagonal": 6, "octagonal": 8}


@dataclass(frozen=True)
class StreamInfo:
    """The decoded input audio stream as ffmpeg describes it."""

    codec: str
    sample_rate_hz: int
    channels: int


@dataclass(frozen=True)
class Loudness:
    """A BS.1770 measurement of a whole file."""

    integrated_lufs: float
    true_peak_dbtp: float
    lra_lu: float
    duration_s: float


def parse_stream_line(description: str) -> StreamInfo | None:
    """Codec, rate and channel count from the text after "Audio: "."""
    items = [item.strip() for item in description.split(", ")]
    codec = items[0].split(" ")[0]
    for index, item in enumerate(items):
        match = re.fullmatch(r"(\d+) Hz", item)
        if match and index + 1 < len(items):
            return StreamInfo(codec, int(match.group(1)), layout_channels(items[index + 1]))
    return None


def layout_channels(layout: str) -> int:
    """Channel count of an ffmpeg layout name: "mono", "5.1(side)", "3 channels"..."""
    layout = layout.split("(")[0].strip()
    if layout in _LAYOUT_CHANNELS:
        return _LAYOUT_CHANNELS[layout]
    match = re.fullmatch(r"(\d+) channels", layout)
    if match:
        return int(match.group(1))
    match = re.fullmatch(r"(\d+)\.(\d+)", layout)
    if match:
        return int(match.group(1)) + int(match.group(2))
    return 2


class LogReader:
    """Collects, line by line, what the stream line and the filter summaries say."""

    def __init__(self) -> None:
        self.stream: StreamInfo | None = None
        self.summary: dict[str, float] = {}
        self.clock_s = 0.0
        self._inputs_done = False
        self._in_summary = False

    def feed(self, line: str) -> None:
        """Take one stderr line."""
        if line.startswith(("Output #", "Stream mapping:")):
            self._inputs_done = True
        elif not self._inputs_done and self.stream is None:
            match = _STREAM_RE.match(line)
            if match:
                self.stream = parse_stream_line(match.group(1))
        if "Summary:" in line and "ebur128" in line:
            # ffmpeg 5.1 configures a filter_complex twice and prints the first, empty graph's
            # summary too: the last summary is the measure.
            self._in_summary = True
            self.summary = {}
        elif self._in_summary:
            match = _SUMMARY_VALUE_RE.match(line)
            if match and match.group(1) not in self.summary:
                self.summary[match.group(1)] = float(match.group(2))
        for clock in _TIME_RE.findall(line):
            # The last progress line's clock is the decoded duration (10 ms resolution).
            self.clock_s = int(clock[0]) * 3600 + int(clock[1]) * 60 + float(clock[2])

    def loudness(self, duration_s: float) -> Loudness:
        """The ebur128 summary; AudioError if ffmpeg printed none."""
        if not {"I", "LRA", "Peak"} <= self.summary.keys():
            raise AudioError(
                "not_audio",
                N_("Ce fichier n'est pas un enregistrement audio lisible."),
                detail="no ebur128 summary",
            )
        return Loudness(self.summary["I"], self.summary["Peak"], self.summary["LRA"], duration_s)


def build_decode_command(
    ffmpeg_path: str,
    in_path: Path | str,
    graph: str,
    input_format: str | None = None,
    input_options: tuple[str, ...] = (),
) -> list[str]:
    """argv decoding the first audio stream of `in_path` through `graph` into nothing.

    One progress line a minute is kept: the last one gives the duration.
    """
    return [
        ffmpeg_path,
        "-hide_banner",
        "-stats_period",
        "60",
        *(["-f", input_format] if input_format else ["-nostdin"]),
        *input_options,
        "-i",
        str(in_path),
        "-map",
        "0:a:0",
        "-af",
        graph,
        "-f",
        "null",
        "-",
    ]


def build_measure_command(
    ffmpeg_path: str, in_path: Path | str, input_format: str | None = None
) -> list[str]:
    """argv decoding the first audio stream through ebur128 (true peak) into nothing."""
    return build_decode_command(
        ffmpeg_path, in_path, "ebur128=peak=true:framelog=verbose", input_format
    )


def measure(path: Path | str, ffmpeg: FfmpegBinary) -> Loudness:
    """Integrated loudness, true peak, LRA and duration of a file, from a fresh decode."""
    reader = LogReader()
    try:
        # A master is at most a few takes of MAX_TAKE_SECONDS: bounded like a long decode.
        run_ffmpeg(
            build_measure_command(ffmpeg.path, path),
            on_line=reader.feed,
            timeout=timeout_for(MEASURE_BUDGET_S),
        )
    except FfmpegError as exc:
        raise AudioError(
            "not_audio",
            N_("Ce fichier n'est pas un enregistrement audio lisible."),
            detail=exc.stderr_tail,
        ) from exc
    if reader.stream is None or reader.clock_s <= 0:
        raise AudioError("not_audio", N_("Ce fichier n'est pas un enregistrement audio lisible."))
    return reader.loudness(reader.clock_s)


def to_energy(lufs: float) -> float:
    """Mean square of a block from its loudness."""
    return float(10 ** ((lufs + 0.691) / 10))


def to_lufs(energy: float) -> float:
    """Loudness of a mean square."""
    return -0.691 + 10 * math.log10(energy) if energy > 0 else -120.7


def gated_loudness(blocks: Sequence[float]) -> float:
    """BS.1770 integrated loudness of overlapping 0.4 s blocks given as LUFS."""
    kept = [b for b in blocks if b > ABSOLUTE_GATE_LUFS]
    if not kept:
        return ABSOLUTE_GATE_LUFS
    relative = to_lufs(sum(map(to_energy, kept)) / len(kept)) - RELATIVE_GATE_LU
    gated = [to_energy(b) for b in kept if b > relative]
    return to_lufs(sum(gated) / len(gated))


def loudness_range(short_terms: Sequence[float]) -> float:
    """EBU Tech 3342 loudness range of 3 s short-term values: 95th minus 10th percentile."""
    kept = [s for s in short_terms if s > ABSOLUTE_GATE_LUFS]
    if not kept:
        return 0.0
    relative = to_lufs(sum(map(to_energy, kept)) / len(kept)) - LRA_RELATIVE_GATE_LU
    gated = sorted(s for s in kept if s > relative)
    if len(gated) < 2:
        return 0.0
    low = gated[round((len(gated) - 1) * 0.10)]
    high = gated[round((len(gated) - 1) * 0.95)]
    return round(high - low, 1)


def finite_or(value: float, default: float) -> float:
    """`value` unless it is infinite or NaN."""
    return value if math.isfinite(value) else default

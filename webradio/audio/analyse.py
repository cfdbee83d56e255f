"""One decode of a take: loudness, true peak, noise floor, silences, and its envelope.

ebur128 prints, every 0.1 s, the momentary loudness (the last 0.4 s, K-weighted) and the
frame's true peak per channel. Those two series are the take's envelope: the silences, the
noise floor, the leveler's plan (level.py) and the waveform (peaks.py) all come from them,
so a take is decoded once, whatever is asked of it afterwards.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import threading
from array import array
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from webradio.audio.ffmpeg import FfmpegBinary, run_ffmpeg
from webradio.audio.meter import LogReader, build_decode_command, gated_loudness, loudness_range
from webradio.errors import N_, AudioError, FfmpegError

# ebur128 logs one frame every FRAME_S seconds; its momentary window is MOMENTARY_S long.
FRAME_S = 0.1
MOMENTARY_S = 0.4
# Rumble below this is cut by the render (and by nothing else).
HIGHPASS_HZ = 80
# The noise floor is this percentile of the frames' momentary loudness (the quietest room tone).
FLOOR_PERCENTILE = 0.05
# Silence is judged against the take itself, not a fixed level (CONTRACT 4): a frame is
# "active" when its loudness is this far above the floor, and never below ACTIVE_MIN_LUFS, so a
# take with a clean digital floor does not count its reverb tails as speech.
ACTIVE_ABOVE_FLOOR_DB = 10.0
ACTIVE_MIN_LUFS = -60.0
# Less active time than this is room tone only.
MIN_ACTIVE_S = 0.3
# ebur128 answers -70 LUFS when no block passes its absolute gate, -120.7 for digital zero.
SILENT_LUFS = -69.9
DIGITAL_ZERO_LUFS = -120.0
# Shorter than this, a take is too short to hold its own room tone: kept whole, not judged.
SHORT_TAKE_S = 3.0
# Report thresholds (standards.md 5): what a teacher is told about.
TOO_QUIET_LUFS = -35.0
CLIP_DBTP = -0.1
NOISY_SNR_DB = 20.0
LONG_PAUSE_S = 5.0
# Where the momentary window blurs the edges of speech (seconds, measured on generated takes).
ONSET_LAG_S = 0.2
RELEASE_LAG_S = 0.3

_FRAME_RE = re.compile(
    r"\bt:\s*\S+\s+TARGET:.*?\bM:\s*(\S+)\s+S:\s*(\S+).*?FTPK:((?:\s+\S+)+?)\s+dBFS"
)
_DURATION_RE = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
# A take longer than this is analysed in two halves at once, one per core; the halves'
# frames are joined and the loudness computed from them (BS.1770 gating, in meter.py).
SPLIT_MIN_S = 120.0

NOT_AUDIO = N_(
    "Ce fichier n'est pas un enregistrement audio lisible (format inconnu, fichier abîmé ou "
    "sans piste son). Vérifiez que c'est bien le bon fichier, ou enregistrez à nouveau."
)


@dataclass(frozen=True)
class AudioWarning:
    """Something a teacher should know about a take or a master; `message` is French."""

    code: str
    message: str


@dataclass(frozen=True)
class Envelope:
    """The take every FRAME_S: momentary loudness (LUFS) and true peak (dBTP, all channels)."""

    momentary: array[float]
    peak_db: array[float]
    step_s: float = FRAME_S


@dataclass(frozen=True)
class Analysis:
    """What one decode of a take measured (stored as JSON on the take, envelope apart)."""

    duration_s: float
    sample_rate_hz: int
    channels: int
    codec: str
    integrated_lufs: float
    true_peak_dbtp: float
    lra_lu: float
    leading_silence_s: float
    trailing_silence_s: float
    noise_floor_db: float | None
    active_s: float = 0.0
    clipped_s: float = 0.0
    longest_pause_s: float = 0.0
    warnings: tuple[AudioWarning, ...] = ()
    envelope: Envelope | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the envelope is stored apart, see peaks.py)."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "envelope"}
        data["warnings"] = [{"code": w.code, "message": w.message} for w in self.warnings]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], envelope: Envelope | None = None) -> Analysis:
        """The inverse of to_dict; unknown keys (older or newer reports) are ignored."""
        known = {f.name for f in fields(cls)} - {"envelope", "warnings"}
        values = {key: value for key, value in data.items() if key in known}
        warnings = tuple(AudioWarning(**w) for w in data.get("warnings", ()))
        return cls(**values, warnings=warnings, envelope=envelope)


def build_analysis_command(ffmpeg_path: str, in_path: Path | str) -> list[str]:
    """argv for the single analysis decode of the first audio stream (frames logged)."""
    return build_decode_command(ffmpeg_path, in_path, "ebur128=peak=true:framelog=info")


class FrameReader(LogReader):
    """LogReader that also keeps every frame's momentary loudness and true peak."""

    def __init__(self) -> None:
        super().__init__()
        self.momentary: array[float] = array("f")
        self.peak_db: array[float] = array("f")
        self.short_term: array[float] = array("f")

    def feed(self, line: str) -> None:
        """Take one stderr line (progress lines may come glued with carriage returns)."""
        match = _FRAME_RE.search(line)
        if match is not None:
            self.momentary.append(float(match.group(1)))
            self.short_term.append(float(match.group(2)))
            peaks = [float(v) for v in match.group(3).split()]
            self.peak_db.append(max(peaks) if peaks else -math.inf)
            return
        super().feed(line)


def analyse(in_path: Path | str, ffmpeg: FfmpegBinary, split: bool = True) -> Analysis:
    """Measure a take in one decode; AudioError `empty`, `not_audio` or `silence` if unusable.

    Long takes are decoded as two halves at once when `split` (one decode per core).
    """
    path = Path(in_path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioError("not_audio", NOT_AUDIO, detail=str(exc)) from exc
    if size == 0:
        raise AudioError("empty", N_("Ce fichier est vide : l'enregistrement n'a rien gardé."))
    duration = probe_duration(ffmpeg.path, path) if split else None
    if duration is not None and duration >= SPLIT_MIN_S and (os.cpu_count() or 1) > 1:
        return _analyse_halves(path, ffmpeg, duration)
    reader = FrameReader()
    try:
        run_ffmpeg(build_analysis_command(ffmpeg.path, path), on_line=reader.feed)
    except FfmpegError as exc:
        # The binary answered -version when chosen, so a failed decode is the file's fault.
        raise AudioError("not_audio", NOT_AUDIO, detail=exc.stderr_tail) from exc
    if reader.stream is None or reader.clock_s <= 0 or not reader.momentary:
        raise AudioError(
            "too_short" if reader.stream is not None else "not_audio",
            N_("Cet enregistrement est trop court ou illisible : il faut au moins une seconde.")
            if reader.stream is not None
            else NOT_AUDIO,
            detail="no audio decoded",
        )
    loudness = reader.loudness(reader.clock_s)
    if loudness.integrated_lufs <= SILENT_LUFS or not math.isfinite(loudness.true_peak_dbtp):
        raise AudioError(
            "silence",
            N_("Cet enregistrement est muet : aucun son n'a été capté. Vérifiez le micro."),
        )
    envelope = Envelope(reader.momentary, reader.peak_db)
    return summarise(
        reader,
        loudness.integrated_lufs,
        loudness.true_peak_dbtp,
        loudness.lra_lu,
        loudness.duration_s,
        envelope,
    )


def probe_duration(ffmpeg_path: str, path: Path) -> float | None:
    """The duration the container announces (header only, no decode); None if it says none."""
    try:
        done = subprocess.run(
            [ffmpeg_path, "-hide_banner", "-nostdin", "-i", str(path)],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = _DURATION_RE.search(done.stderr)
    if match is None:
        return None
    return int(match.group(1)) * 3600 + int(match.group(2)) * 60 + float(match.group(3))


def _analyse_halves(path: Path, ffmpeg: FfmpegBinary, duration_s: float) -> Analysis:
    """Analyse both halves of a long take at once; falls back to one decode if a half fails."""
    half = round(duration_s / 2, 1)  # a whole number of frames, so the halves join exactly
    first, second = FrameReader(), FrameReader()
    graph = "ebur128=peak=true:framelog=info"
    argv_first = build_decode_command(ffmpeg.path, path, graph, input_options=("-t", f"{half}"))
    argv_second = build_decode_command(ffmpeg.path, path, graph, input_options=("-ss", f"{half}"))
    failures: list[FfmpegError] = []

    def run_first() -> None:
        try:
            run_ffmpeg(argv_first, on_line=first.feed)
        except FfmpegError as exc:
            failures.append(exc)

    worker = threading.Thread(target=run_first)
    worker.start()
    try:
        run_ffmpeg(argv_second, on_line=second.feed)
    except FfmpegError as exc:
        failures.append(exc)
    worker.join()
    if failures or first.stream is None or not second.momentary or "Peak" not in first.summary:
        return analyse_whole(path, ffmpeg)
    momentary = first.momentary + second.momentary
    integrated = round(gated_loudness(momentary), 1)
    if integrated <= SILENT_LUFS:
        raise AudioError(
            "silence",
            N_("Cet enregistrement est muet : aucun son n'a été capté. Vérifiez le micro."),
        )
    true_peak = max(first.summary["Peak"], second.summary.get("Peak", -math.inf))
    return summarise(
        first,
        integrated,
        true_peak,
        loudness_range(first.short_term + second.short_term),
        half + second.clock_s,
        Envelope(momentary, first.peak_db + second.peak_db),
    )


def analyse_whole(path: Path, ffmpeg: FfmpegBinary) -> Analysis:
    """Analyse in one decode, whatever the length (the fallback of the split analysis)."""
    return analyse(path, ffmpeg, split=False)


def summarise(
    reader: LogReader,
    integrated_lufs: float,
    true_peak_dbtp: float,
    lra_lu: float,
    duration_s: float,
    envelope: Envelope,
) -> Analysis:
    """The Analysis of a decoded take from its summary figures and envelope."""
    assert reader.stream is not None
    floor = noise_floor(envelope.momentary)
    span = active_span(envelope.momentary, floor, duration_s)
    if duration_s < SHORT_TAKE_S:
        span = Span(0.0, 0.0, duration_s, 0.0)
    clipped = sum(1 for p in envelope.peak_db if p >= CLIP_DBTP) * envelope.step_s
    warnings = take_warnings(
        integrated_lufs, true_peak_dbtp, floor, clipped_s=clipped, longest_pause_s=span.longest
    )
    if duration_s < SHORT_TAKE_S:
        warnings += (
            AudioWarning(
                "very_short",
                N_("Cet enregistrement dure moins de trois secondes : il est gardé en entier."),
            ),
        )
    return Analysis(
        duration_s=round(duration_s, 3),
        sample_rate_hz=reader.stream.sample_rate_hz,
        channels=reader.stream.channels,
        codec=reader.stream.codec,
        integrated_lufs=integrated_lufs,
        true_peak_dbtp=true_peak_dbtp,
        lra_lu=lra_lu,
        leading_silence_s=round(span.lead, 3),
        trailing_silence_s=round(span.trail, 3),
        noise_floor_db=None if floor is None else round(floor, 1),
        active_s=round(span.active, 3),
        clipped_s=round(clipped, 1),
        longest_pause_s=round(span.longest, 1),
        warnings=warnings,
        envelope=envelope,
    )


def noise_floor(levels: array[float]) -> float | None:
    """The room tone: a low percentile of the frames' loudness, digital zeros skipped."""
    finite = sorted(v for v in levels if math.isfinite(v) and v > DIGITAL_ZERO_LUFS)
    if len(finite) < 5:
        return None
    return finite[int(len(finite) * FLOOR_PERCENTILE)]


def active_threshold(floor: float | None) -> float:
    """The loudness above which a frame counts as sound rather than room tone."""
    if floor is None:
        return ACTIVE_MIN_LUFS
    return max(floor + ACTIVE_ABOVE_FLOOR_DB, ACTIVE_MIN_LUFS)


@dataclass(frozen=True)
class Span:
    """Where the sound is: silences at both ends, active time, the longest inner pause."""

    lead: float
    trail: float
    active: float
    longest: float


def active_span(levels: array[float], floor: float | None, duration_s: float) -> Span:
    """The take's sound span in seconds; all zero when nothing rises above the floor."""
    threshold = active_threshold(floor)
    active = [i for i, level in enumerate(levels) if level > threshold]
    if not active:
        return Span(0.0, 0.0, 0.0, 0.0)
    first_t = (active[0] + 1) * FRAME_S
    last_t = (active[-1] + 1) * FRAME_S
    lead = min(max(0.0, first_t - ONSET_LAG_S - FRAME_S), duration_s)
    trail = min(max(0.0, duration_s - (last_t - RELEASE_LAG_S)), duration_s)
    longest = max((b - a - 1 for a, b in zip(active, active[1:], strict=False)), default=0)
    longest_s = max(0.0, longest * FRAME_S - MOMENTARY_S)
    return Span(lead, trail, len(active) * FRAME_S, longest_s)


def take_warnings(
    integrated_lufs: float,
    true_peak_dbtp: float,
    floor: float | None,
    *,
    clipped_s: float = 0.0,
    longest_pause_s: float = 0.0,
) -> tuple[AudioWarning, ...]:
    """Warnings a teacher can act on when recording the next take."""
    warnings: list[AudioWarning] = []
    if integrated_lufs < TOO_QUIET_LUFS:
        warnings.append(
            AudioWarning(
                "too_quiet",
                N_("Les voix sont très faibles : rapprochez le micro de la bouche (une main)."),
            )
        )
    if true_peak_dbtp >= CLIP_DBTP:
        warnings.append(
            AudioWarning(
                "clipping",
                N_("Le son sature par moments : éloignez un peu le micro ou parlez moins fort."),
            )
        )
    if floor is not None and integrated_lufs - floor < NOISY_SNR_DB:
        warnings.append(
            AudioWarning(
                "noisy",
                N_("Le bruit de fond est fort par rapport aux voix : rapprochez le micro."),
            )
        )
    if longest_pause_s >= LONG_PAUSE_S:
        warnings.append(
            AudioWarning(
                "long_pause",
                N_("Il y a un long silence au milieu : vous pourrez le couper au montage."),
            )
        )
    return tuple(warnings)


def check_has_sound(analysis: Analysis) -> None:
    """AudioError `room_tone` when nothing rises above the take's own noise floor."""
    if analysis.active_s < MIN_ACTIVE_S:
        raise AudioError(
            "room_tone",
            N_(
                "On n'entend que le bruit de la pièce dans cet enregistrement, aucune voix. "
                "Vérifiez le micro et enregistrez à nouveau."
            ),
        )

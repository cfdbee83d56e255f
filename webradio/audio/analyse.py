"""One decode of a take: loudness, true peak, noise floor, silence at both ends."""

from __future__ import annotations

import math
import re
from array import array
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from webradio.audio.ffmpeg import FfmpegBinary, run_ffmpeg
from webradio.audio.meter import LogReader, build_decode_command
from webradio.errors import N_, AudioError, FfmpegError

# Level windows: astats resets every WINDOW_SAMPLES samples (0.1 s at 48 kHz, 0.109 s at 44.1).
WINDOW_SAMPLES = 4800
# Rumble below this is cut before measuring, as the render cuts it before applying the gain.
HIGHPASS_HZ = 80
# The noise floor is this percentile of the windows' RMS levels (the quietest room tone).
FLOOR_PERCENTILE = 0.05
# Silence is judged against the take itself, not a fixed level (CONTRACT 4): a window is
# "active" when its RMS is this far above the floor, and never below ACTIVE_MIN_DB, so a
# take with a clean digital floor does not count its reverb tails as speech.
ACTIVE_ABOVE_FLOOR_DB = 10.0
ACTIVE_MIN_DB = -60.0
# Less active time than this is room tone only.
MIN_ACTIVE_S = 1.0
# ebur128 answers -70 LUFS when no block passes its absolute gate.
SILENT_LUFS = -69.9

_WINDOW_RE = re.compile(r"lavfi\.astats\.Overall\.(RMS_level|Number_of_samples)=(\S+)")

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
class Analysis:
    """What one decode of a take measured (stored as JSON on the take)."""

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
    warnings: tuple[AudioWarning, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = asdict(self)
        data["warnings"] = [asdict(w) for w in self.warnings]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analysis:
        """The inverse of to_dict."""
        fields = dict(data)
        fields["warnings"] = tuple(AudioWarning(**w) for w in data.get("warnings", ()))
        return cls(**fields)


def build_analysis_command(ffmpeg_path: str, in_path: Path | str) -> list[str]:
    """argv for the single analysis decode of the first audio stream."""
    graph = ",".join(
        [
            f"highpass=f={HIGHPASS_HZ}",
            f"asetnsamples=n={WINDOW_SAMPLES}:p=0",
            "astats=metadata=1:reset=1:measure_perchannel=none"
            ":measure_overall=RMS_level+Number_of_samples",
            "ametadata=mode=print",
            "ebur128=peak=true:framelog=verbose",
        ]
    )
    return build_decode_command(ffmpeg_path, in_path, graph)


class _WindowReader(LogReader):
    """LogReader that also keeps each window's RMS level (4 bytes per 0.1 s)."""

    def __init__(self) -> None:
        super().__init__()
        self.levels: array[float] = array("f")
        self.total_samples = 0

    def feed(self, line: str) -> None:
        """Take one stderr line."""
        match = _WINDOW_RE.search(line)
        if match is None:
            super().feed(line)
        elif match.group(1) == "RMS_level":
            self.levels.append(float(match.group(2)))
        else:
            self.total_samples += int(float(match.group(2)))


def analyse(in_path: Path | str, ffmpeg: FfmpegBinary) -> Analysis:
    """Measure a take in one decode; AudioError `empty`, `not_audio` or `silence` if unusable."""
    path = Path(in_path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioError("not_audio", NOT_AUDIO, detail=str(exc)) from exc
    if size == 0:
        raise AudioError("empty", N_("Ce fichier est vide : l'enregistrement n'a rien gardé."))
    reader = _WindowReader()
    try:
        run_ffmpeg(build_analysis_command(ffmpeg.path, path), on_line=reader.feed)
    except FfmpegError as exc:
        # The binary answered -version when chosen, so a failed decode is the file's fault.
        raise AudioError("not_audio", NOT_AUDIO, detail=exc.stderr_tail) from exc
    if reader.stream is None or reader.total_samples == 0:
        raise AudioError("not_audio", NOT_AUDIO, detail="no audio decoded")
    rate = reader.stream.sample_rate_hz
    loudness = reader.loudness(reader.total_samples / rate)
    if loudness.integrated_lufs <= SILENT_LUFS or not math.isfinite(loudness.true_peak_dbtp):
        raise AudioError(
            "silence",
            N_("Cet enregistrement est muet : aucun son n'a été capté. Vérifiez le micro."),
        )
    floor = noise_floor(reader.levels)
    lead, trail, active = active_span(reader.levels, floor, WINDOW_SAMPLES / rate)
    lead = min(lead, loudness.duration_s)
    trail = min(trail, loudness.duration_s)
    warnings = take_warnings(loudness.integrated_lufs, loudness.true_peak_dbtp, floor)
    return Analysis(
        duration_s=round(loudness.duration_s, 3),
        sample_rate_hz=rate,
        channels=reader.stream.channels,
        codec=reader.stream.codec,
        integrated_lufs=loudness.integrated_lufs,
        true_peak_dbtp=loudness.true_peak_dbtp,
        lra_lu=loudness.lra_lu,
        leading_silence_s=round(lead, 3),
        trailing_silence_s=round(trail, 3),
        noise_floor_db=None if floor is None else round(floor, 1),
        active_s=round(active, 3),
        warnings=warnings,
    )


def noise_floor(levels: array[float]) -> float | None:
    """The room tone: a low percentile of the finite window levels, digital zeros skipped."""
    finite = sorted(level for level in levels if math.isfinite(level))
    if len(finite) < 5:
        return None
    return max(finite[int(len(finite) * FLOOR_PERCENTILE)], -120.0)


def active_threshold(floor: float | None) -> float:
    """The RMS level above which a window counts as sound rather than room tone."""
    return ACTIVE_MIN_DB if floor is None else max(floor + ACTIVE_ABOVE_FLOOR_DB, ACTIVE_MIN_DB)


def active_span(
    levels: array[float], floor: float | None, window_s: float
) -> tuple[float, float, float]:
    """(leading silence, trailing silence, active time) in seconds; (0, 0, 0) if none active."""
    threshold = active_threshold(floor)
    active = [i for i, level in enumerate(levels) if level > threshold]
    if not active:
        return 0.0, 0.0, 0.0
    lead = active[0] * window_s
    trail = (len(levels) - 1 - active[-1]) * window_s
    return lead, trail, len(active) * window_s


def take_warnings(
    integrated_lufs: float, true_peak_dbtp: float, floor: float | None
) -> tuple[AudioWarning, ...]:
    """Warnings a teacher can act on when recording the next take."""
    warnings: list[AudioWarning] = []
    if true_peak_dbtp >= -0.1:
        warnings.append(
            AudioWarning(
                "clipping",
                N_("Le son sature par moments : éloignez un peu le micro ou parlez moins fort."),
            )
        )
    if floor is not None and integrated_lufs - floor < 20.0:
        warnings.append(
            AudioWarning(
                "noisy",
                N_("Le bruit de fond est fort par rapport aux voix : rapprochez le micro."),
            )
        )
    return tuple(warnings)


def check_has_sound(analysis: Analysis) -> None:
    """AudioError `room_tone` when nothing rises above the take's own noise floor."""
    # Room tone is steady: no window stands ACTIVE_ABOVE_FLOOR_DB above the quietest ones.
    if analysis.active_s < MIN_ACTIVE_S:
        raise AudioError(
            "room_tone",
            N_(
                "On n'entend que le bruit de la pièce dans cet enregistrement, aucune voix. "
                "Vérifiez le micro et enregistrez à nouveau."
            ),
        )

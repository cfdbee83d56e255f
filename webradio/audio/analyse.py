"""One decode of a take: loudness, peaks, where the speech is, and its envelope.

ebur128 prints, every 0.1 s, the momentary loudness (the last 0.4 s, K-weighted), and astats
the same 0.1 s frame's sample peak (all channels). Those two series are the take's envelope:
the noise floor, the leveler's plan (level.py) and the waveform (peaks.py) come from them. The
same decode hands 16 kHz mono samples to the speech detector (vad.py), which decides what is
speech: the trims, the pauses and the refusal of room tone follow what it hears, never a level
rule.

The take's true peak is not measured over the whole decode: ebur128's 4x-oversampled meter
cost more than the rest of the analysis (3.8 s of CPU per 10 minutes, against 1.7 s for the
sample peaks). It is read afterwards on the few windows around the loudest samples
(clipping.true_peak), where an inter-sample peak can pass them; a master longer than a minute
has its true peak read the same way on its MP3 (verify.py).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import threading
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any

from webradio.audio import clipping, music, presets, vad
from webradio.audio.ffmpeg import FfmpegBinary, FfmpegTimeout, run_ffmpeg, timeout_for
from webradio.audio.meter import LogReader, gated_loudness, loudness_range
from webradio.audio.span import (
    Span,
    noise_floor,
    quiet_stretches,
    sound_span,
    speech_loudness,
)
from webradio.errors import N_, AudioError, FfmpegError

# ebur128 logs one frame every FRAME_S seconds (its momentary window is span.MOMENTARY_S).
FRAME_S = 0.1
# Rumble below this is cut by the render (and by nothing else).
HIGHPASS_HZ = 80
# Less sound than this is no sound. Less speech than MIN_SPEECH_S (or than SPEECH_SHARE_MIN of
# a shorter take) is no speech: a clatter of dishes can fool the detector for a syllable.
MIN_ACTIVE_S = 0.3
MIN_SPEECH_S = 1.0
SPEECH_SHARE_MIN = 0.4
# The longest take, unless WEBRADIO_MAX_TAKE_SECONDS says otherwise (config MAX_TAKE_SECONDS).
DEFAULT_MAX_TAKE_S = presets.DEFAULT_MAX_TAKE_S
# ebur128 answers -70 LUFS when no block passes its absolute gate.
SILENT_LUFS = -69.9
# Shorter than this, a take is too short to hold its own room tone: kept whole, not judged.
SHORT_TAKE_S = 3.0
# Report thresholds (standards.md 5): what a teacher is told about.
TOO_QUIET_LUFS = -35.0
CLIP_DBTP = -0.1
NOISY_SNR_DB = 20.0
LONG_PAUSE_S = 5.0

_FRAME_RE = re.compile(r"\bt:\s*\S+\s+TARGET:.*?\bM:\s*(\S+)\s+S:\s*(\S+)")
_PEAK_RE = re.compile(r"lavfi\.astats\.Overall\.Peak_level=(\S+)")
_SIDE_RE = re.compile(r"\] silence_(start|end): (\S+)")
# Left minus right under this (sample peak, dBFS) from start to end: the two channels are one
# voice (a tablet's or a browser's mono microphone recorded as stereo), filtered once.
SIDE_SILENT_DB = -60.0
SIDE_SLACK_S = 0.25
_RATE_RE = re.compile(r"Stream #0:\d+.*?: Audio: .*?, (\d+) Hz")
_DURATION_RE = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
# A take longer than this is analysed in two halves at once, one per core; the halves'
# frames are joined and the loudness computed from them (BS.1770 gating, in meter.py).
SPLIT_MIN_S = 120.0
# ... and no longer than this: the speech detector already scores on the second core while one
# decode measures, so halves gain about a tenth of the time, and cost a decoder and a model
# instance more (a three-hour take peaked at 150-164 MB PSS in halves, 108 MB whole).
SPLIT_MAX_S = 3600.0

NOT_AUDIO = N_(
    "Ce fichier n'est pas un enregistrement audio lisible (format inconnu, fichier abîmé ou "
    "sans piste son). Vérifiez que c'est bien le bon fichier, ou enregistrez à nouveau."
)
MUTE = N_("Cet enregistrement est muet : aucun son n'a été capté. Vérifiez le micro.")
TOO_SLOW = N_(
    "Le traitement de ce fichier a pris trop de temps et a été arrêté : il est peut-être "
    "abîmé ou bien plus long qu'il n'y paraît. Exportez-le à nouveau ou coupez-le."
)


@dataclass(frozen=True)
class AudioWarning:
    """Something a teacher should know about a take or a master: `message` is French, marked
    for translation, and filled with `params` once translated (so a page says it in its
    reader's language, the figures in it too)."""

    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def text(self) -> str:
        """The sentence in French, filled."""
        return self.message % self.params if self.params else self.message

    def to_dict(self) -> dict[str, Any]:
        """As stored in a report (the fields only when it has some)."""
        return {"code": self.code, "message": self.message} | (
            {"params": self.params} if self.params else {}
        )


@dataclass(frozen=True)
class Envelope:
    """The take every FRAME_S: momentary loudness (LUFS) and sample peak (dBFS, all channels)."""

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
    # "speech"; "speech_music" (voices over music, or songs); "music" (no voice: kept, not
    # levelled); "noise" (refused).
    kind: str = "speech"
    speech_s: float = 0.0
    speech_lufs: float | None = None
    speech_segments: tuple[tuple[float, float], ...] = ()
    # Two channels that never differ by more than SIDE_SILENT_DB (render.py filters them once).
    identical_channels: bool = False
    envelope: Envelope | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the envelope is stored apart, see peaks.py)."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "envelope"}
        data["warnings"] = [w.to_dict() for w in self.warnings]
        data["speech_segments"] = [list(s) for s in self.speech_segments]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], envelope: Envelope | None = None) -> Analysis:
        """The inverse of to_dict; unknown keys (older or newer reports) are ignored."""
        known = {f.name for f in fields(cls)} - {"envelope", "warnings"}
        values = {key: value for key, value in data.items() if key in known}
        warnings = tuple(AudioWarning(**w) for w in data.get("warnings", ()))
        values["speech_segments"] = tuple(
            (float(a), float(b)) for a, b in data.get("speech_segments", ())
        )
        return cls(**values, warnings=warnings, envelope=envelope)


def build_analysis_command(
    ffmpeg_path: str,
    in_path: Path | str,
    input_options: tuple[str, ...] = (),
    sample_rate_hz: int = 48000,
) -> list[str]:
    """argv for the single analysis decode of the first audio stream.

    Three branches are measured and thrown away: ebur128 logs the loudness of every frame, astats
    the sample peak of the same frames (ebur128's frame is a tenth of the rate, rounded down, so
    at 11025 Hz too), silencedetect where left minus right is not silent (FrameReader.
    same_channels); the fourth, 16 kHz mono floats for the speech detector, goes to stdout.
    """
    graph = (
        "[0:a:0]asplit=4[m][p][d][v];"
        "[m]ebur128=framelog=info,anullsink;"
        f"[p]asetnsamples=n={frame_samples(sample_rate_hz)}:p=0,"
        "astats=metadata=1:reset=1:measure_perchannel=none:measure_overall=Peak_level,"
        "ametadata=mode=print:key=lavfi.astats.Overall.Peak_level,anullsink;"
        "[d]aresample,aformat=channel_layouts=stereo,pan=mono|c0=c0-c1,"
        f"silencedetect=n={SIDE_SILENT_DB:g}dB:d=0.5,anullsink;"
        f"[v]{vad.build_vad_branch()}[vad]"
    )
    return [
        ffmpeg_path,
        "-hide_banner",
        "-stats_period",
        "60",
        "-nostdin",
        *input_options,
        "-i",
        str(in_path),
        "-filter_complex",
        graph,
        "-map",
        "[vad]",
        "-f",
        "f32le",
        "pipe:1",
    ]


def frame_samples(sample_rate_hz: int) -> int:
    """Samples in one of ebur128's frames (it logs every sample_rate / 10 samples, floored)."""
    return max(1, sample_rate_hz // 10)


def frame_seconds(sample_rate_hz: int) -> float:
    """The exact length of one of ebur128's frames (FRAME_S unless the rate is odd)."""
    return frame_samples(sample_rate_hz) / sample_rate_hz if sample_rate_hz > 0 else FRAME_S


class FrameReader(LogReader):
    """LogReader that also keeps every frame's momentary loudness and sample peak."""

    def __init__(self) -> None:
        super().__init__()
        self.momentary: array[float] = array("f")
        self.peak_db: array[float] = array("f")
        self.short_term: array[float] = array("f")
        self._same_from_start = False
        self._sides_differ_at: float | None = None

    def feed(self, line: str) -> None:
        """Take one stderr line (progress lines may come glued with carriage returns)."""
        match = _FRAME_RE.search(line)
        if match is not None:
            self.momentary.append(float(match.group(1)))
            self.short_term.append(float(match.group(2)))
            return
        match = _PEAK_RE.search(line)
        if match is not None:
            try:
                self.peak_db.append(float(match.group(1)))
            except ValueError:
                self.peak_db.append(-math.inf)
            return
        match = _SIDE_RE.search(line)
        if match is not None:
            at = float(match.group(2))
            if match.group(1) == "start":
                self._same_from_start |= at <= SIDE_SLACK_S and self._sides_differ_at is None
            elif self._same_from_start and self._sides_differ_at is None:
                self._sides_differ_at = at
            return
        super().feed(line)

    def same_channels(self, through_s: float) -> bool:
        """Whether the decode's two channels were the same from its start through `through_s`
        (silencedetect on left minus right closes its silence at the end of the stream too)."""
        differ = self._sides_differ_at
        return self._same_from_start and (differ is None or differ >= through_s - SIDE_SLACK_S)

    def frame_peaks(self) -> array[float]:
        """One sample peak per loudness frame (astats also reads the last, partial frame)."""
        peaks = self.peak_db[: len(self.momentary)]
        peaks.extend([-math.inf] * (len(self.momentary) - len(peaks)))
        return peaks

    def integrated_and_range(self) -> tuple[float, float]:
        """ebur128's integrated loudness and loudness range; AudioError if it printed none."""
        if not {"I", "LRA"} <= self.summary.keys():
            raise AudioError("not_audio", NOT_AUDIO, detail="no ebur128 summary")
        return self.summary["I"], self.summary["LRA"]


class Progress:
    """What a take's analysis decode has measured so far, for a render that follows it
    (follow.py): its frames (`reader`) and the speech detector's window scores (`scores`),
    both growing while the decode runs; `done` once the analysis has ended, whichever way."""

    def __init__(self) -> None:
        self.reader = FrameReader()
        self.scores: array[float] = array("f")
        self.done = False
        self._changed = threading.Condition()

    def notify(self) -> None:
        """Wake the follower: more has been measured."""
        with self._changed:
            self._changed.notify_all()

    def finish(self) -> None:
        """The analysis has ended (measured, refused or failed)."""
        with self._changed:
            self.done = True
            self._changed.notify_all()

    def wait(self, timeout_s: float) -> None:
        """Until more is measured, the analysis ends, or `timeout_s` passes."""
        with self._changed:
            if not self.done:
                self._changed.wait(timeout_s)


@dataclass
class _Decode:
    """What one analysis decode (of a whole take or one half) gathered."""

    reader: FrameReader
    scores: array[float]


def _decode(
    path: Path,
    ffmpeg: FfmpegBinary,
    input_options: tuple[str, ...],
    timeout: float,
    shared: tuple[vad.SharedScorer, int] | None = None,
    sample_rate_hz: int = 48000,
    progress: Progress | None = None,
) -> _Decode:
    """Run one analysis decode: the log to a FrameReader, the samples to the speech detector
    (a child of its own, or the one `shared` between the halves of a take; with `progress`,
    one whose scores are read as they come)."""
    reader = FrameReader() if progress is None else progress.reader
    scores: list[array[float]] = []

    def score(stream: IO[bytes]) -> None:
        if progress is not None:
            vad.score_following(stream, progress.scores, progress.notify)
            scores.append(progress.scores)
        elif shared is None:
            scores.extend(vad.score_in_child([stream]))
        else:
            scores.append(shared[0].score(shared[1], stream))

    run_ffmpeg(
        build_analysis_command(ffmpeg.path, path, input_options, sample_rate_hz),
        on_line=reader.feed,
        on_stdout=score,
        timeout=timeout,
    )
    return _Decode(reader, scores[0] if scores else array("f"))


def analyse(
    in_path: Path | str,
    ffmpeg: FfmpegBinary,
    split: bool = True,
    max_seconds: float = DEFAULT_MAX_TAKE_S,
    progress: Progress | None = None,
    probed: tuple[float | None, int] | None = None,
) -> Analysis:
    """Measure a take in one decode; AudioError `empty`, `not_audio`, `too_long` or `silence`.

    Long takes are decoded as two halves at once when `split` (one decode per core), unless
    a render follows the decode's `progress` (then in one decode, in order). A take
    longer than `max_seconds` is refused from its header when the header says so, and else
    when the decode (which stops just past the limit) reaches it: a small file that decodes
    to hours costs at most the limit's decode. `probed` is probe()'s answer when the caller
    has it already.
    """
    path = Path(in_path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioError("not_audio", NOT_AUDIO, detail=str(exc)) from exc
    if size == 0:
        raise AudioError("empty", N_("Ce fichier est vide : l'enregistrement n'a rien gardé."))
    duration, rate = probe(ffmpeg.path, path) if probed is None else probed
    if duration is not None and duration > max_seconds:
        raise too_long(duration, max_seconds)
    if (
        split
        and progress is None
        and duration is not None
        and SPLIT_MIN_S <= duration <= SPLIT_MAX_S
        and (os.cpu_count() or 1) > 1
    ):
        return _analyse_halves(path, ffmpeg, duration, max_seconds, rate)
    budget = duration if duration is not None else max_seconds
    try:
        done = _decode(
            path,
            ffmpeg,
            ("-t", f"{max_seconds + 1:.0f}"),
            timeout_for(budget),
            sample_rate_hz=rate,
            progress=progress,
        )
    except FfmpegTimeout as exc:
        raise AudioError("too_slow", TOO_SLOW, detail=exc.stderr_tail) from exc
    except FfmpegError as exc:
        # The binary answered -version when chosen, so a failed decode is the file's fault.
        raise AudioError("not_audio", NOT_AUDIO, detail=exc.stderr_tail) from exc
    reader = done.reader
    if reader.stream is None or reader.clock_s <= 0 or not reader.momentary:
        raise AudioError(
            "too_short" if reader.stream is not None else "not_audio",
            N_("Cet enregistrement est trop court ou illisible : il faut au moins une seconde.")
            if reader.stream is not None
            else NOT_AUDIO,
            detail="no audio decoded",
        )
    if reader.clock_s > max_seconds:
        raise too_long(reader.clock_s, max_seconds, decoded=True)
    integrated, lra = reader.integrated_and_range()
    peaks = reader.frame_peaks()
    if integrated <= SILENT_LUFS or not math.isfinite(max(peaks, default=-math.inf)):
        raise AudioError("silence", MUTE)
    return summarise(
        reader,
        integrated,
        lra,
        reader.clock_s,
        Envelope(reader.momentary, peaks),
        vad.segments(done.scores, reader.clock_s),
        path=path,
        ffmpeg=ffmpeg,
        identical_channels=reader.same_channels(reader.clock_s),
    )


def too_long(duration_s: float, max_seconds: float, decoded: bool = False) -> AudioError:
    """The refusal of a take longer than the configured maximum: its length from its header,
    or only that it goes on past the limit when the decode, which stops there, found it."""
    if decoded:
        return AudioError(
            "too_long",
            N_(
                "Cet enregistrement dure plus de %(limit)s : une prise dure au plus %(limit)s. "
                "Coupez-le en plusieurs prises."
            ),
            detail=f"{duration_s:.0f} s decoded",
            limit=spoken_duration(max_seconds),
        )
    return AudioError(
        "too_long",
        N_(
            "Cet enregistrement est trop long (%(length)s) : une prise dure au plus "
            "%(limit)s. Coupez-le en plusieurs prises."
        ),
        detail=f"{duration_s:.0f} s",
        length=spoken_duration(duration_s),
        limit=spoken_duration(max_seconds),
    )


def clock(seconds: float) -> str:
    """A moment of a take as its player shows it: 0:05, 12:40."""
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def spoken_duration(seconds: float) -> str:
    """A duration as people say it: 45 s, 12 min, 3 h, 6 h 05."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h" if rest == 0 else f"{hours} h {rest:02d}"


def probe_duration(ffmpeg_path: str, path: Path) -> float | None:
    """The duration the container announces (header only, no decode); None if it says none."""
    return probe(ffmpeg_path, path)[0]


def probe(ffmpeg_path: str, path: Path) -> tuple[float | None, int]:
    """The duration the container announces (None if none) and its first audio stream's rate
    (48000 when it says none: the decode's own log then tells, see clipping.true_peak)."""
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
        return None, 48000
    rate = _RATE_RE.search(done.stderr)
    match = _DURATION_RE.search(done.stderr)
    duration = (
        None
        if match is None
        else int(match.group(1)) * 3600 + int(match.group(2)) * 60 + float(match.group(3))
    )
    return duration, int(rate.group(1)) if rate is not None else 48000


def _analyse_halves(
    path: Path, ffmpeg: FfmpegBinary, duration_s: float, max_seconds: float, rate: int
) -> Analysis:
    """Analyse both halves of a long take at once; falls back to one decode if a half fails."""
    half = round(duration_s / 2, 1)  # a whole number of frames, so the halves join exactly
    # The second half stops past the limit too, whatever the header said.
    rest = f"{max_seconds - half + 1:.0f}"
    results: dict[str, _Decode] = {}
    failures: list[FfmpegError] = []
    budget = timeout_for(half)
    scorer = vad.SharedScorer(2)

    def run(name: str, options: tuple[str, ...], index: int) -> None:
        try:
            results[name] = _decode(path, ffmpeg, options, budget, (scorer, index), rate)
        except FfmpegError as exc:
            failures.append(exc)

    worker = threading.Thread(target=run, args=("first", ("-t", f"{half}"), 0))
    worker.start()
    run("second", ("-ss", f"{half}", "-t", rest), 1)
    worker.join()
    if any(isinstance(f, FfmpegTimeout) for f in failures):
        raise AudioError("too_slow", TOO_SLOW, detail=failures[0].stderr_tail)
    first, second = results.get("first"), results.get("second")
    if (
        failures
        or first is None
        or second is None
        or first.reader.stream is None
        or not second.reader.momentary
        or "I" not in first.reader.summary
    ):
        return analyse(path, ffmpeg, split=False, max_seconds=max_seconds)
    total = half + second.reader.clock_s
    if total > max_seconds:
        raise too_long(total, max_seconds, decoded=True)
    momentary = first.reader.momentary + second.reader.momentary
    integrated = round(gated_loudness(momentary), 1)
    if integrated <= SILENT_LUFS:
        raise AudioError("silence", MUTE)
    peaks = first.reader.frame_peaks() + second.reader.frame_peaks()
    if not math.isfinite(max(peaks, default=-math.inf)):
        raise AudioError("silence", MUTE)
    found = vad.join(
        vad.segments(first.scores, half),
        vad.segments(second.scores, second.reader.clock_s),
        half,
    )
    return summarise(
        first.reader,
        integrated,
        loudness_range(first.reader.short_term + second.reader.short_term),
        total,
        Envelope(momentary, peaks),
        found,
        path=path,
        ffmpeg=ffmpeg,
        identical_channels=first.reader.same_channels(half)
        and second.reader.same_channels(second.reader.clock_s),
    )


def analyse_whole(path: Path, ffmpeg: FfmpegBinary) -> Analysis:
    """Analyse in one decode, whatever the length (the fallback of the split analysis)."""
    return analyse(path, ffmpeg, split=False)


def summarise(
    reader: FrameReader,
    integrated_lufs: float,
    lra_lu: float,
    duration_s: float,
    envelope: Envelope,
    found: Sequence[vad.Segment] = (),
    *,
    path: Path | None = None,
    ffmpeg: FfmpegBinary | None = None,
    identical_channels: bool = False,
) -> Analysis:
    """The Analysis of a decoded take from its summary figures, envelope and speech segments.

    A take without speech is asked whether it is music (a second, bounded decode) when `path`
    is given; else it is taken as noise. The true peak is read on the file around the loudest
    frames when `path` is given; else the loudest sample stands for it.
    """
    assert reader.stream is not None
    # Where the file holds a frame: ebur128's frames drift from FRAME_S at odd rates (11025 Hz).
    frame_s = frame_seconds(reader.stream.sample_rate_hz)
    true_peak_dbtp = clipping.true_peak(envelope.peak_db, frame_s, path, ffmpeg)
    speech_s = vad.speech_seconds(found)
    mask = vad.frame_mask(found, len(envelope.momentary), envelope.step_s)
    speech_lufs = speech_loudness(envelope.momentary, mask)
    floor = noise_floor(envelope.momentary, mask)

    def sounds_like_music() -> bool:
        stretches = [(s.start_s, s.end_s) for s in found]
        return path is not None and ffmpeg is not None and music.is_music(path, ffmpeg, stretches)

    if speech_s < min(MIN_SPEECH_S, SPEECH_SHARE_MIN * duration_s) or speech_lufs is None:
        kind = "music" if sounds_like_music() else "noise"
    elif floor is not None and speech_lufs - floor < NOISY_SNR_DB and sounds_like_music():
        kind = "speech_music"
    else:
        kind = "speech"
    if kind != "speech":
        floor = None
    span = sound_span(
        envelope.momentary,
        envelope.step_s,
        found,
        mask,
        kind,
        integrated_lufs,
        speech_lufs,
        duration_s,
    )
    if duration_s < SHORT_TAKE_S:
        span = Span(0.0, 0.0, duration_s if kind != "noise" else 0.0, 0.0)
    clipped = clipping.clipped(envelope.peak_db, frame_s, true_peak_dbtp, path, ffmpeg)
    clipped_s = (
        sum(1 for p in envelope.peak_db if p >= CLIP_DBTP) * envelope.step_s if clipped else 0.0
    )
    warnings = take_warnings(
        integrated_lufs,
        true_peak_dbtp,
        floor,
        clipped_s=clipped_s,
        longest_pause_s=span.longest,
        speech_lufs=speech_lufs,
        clipped=clipped,
    )
    shy = quiet_stretches(envelope.momentary, envelope.step_s, found, speech_lufs)
    if kind == "speech" and shy:
        warnings += (
            AudioWarning(
                "quiet_voice",
                N_(
                    "Une voix est bien plus faible que les autres (%(where)s) : rapprochez le "
                    "micro de cet élève. Elle est remontée au rendu, avec le bruit autour."
                ),
                {"where": ", ".join(f"{clock(a)}–{clock(b)}" for a, b in shy[:3])},
            ),
        )
    if duration_s < SHORT_TAKE_S:
        warnings += (
            AudioWarning(
                "very_short",
                N_("Cet enregistrement dure moins de trois secondes : il est gardé en entier."),
            ),
        )
    if kind == "music" or kind == "speech_music":
        warnings = tuple(w for w in warnings if w.code not in {"clipping", "noisy", "too_quiet"})
    if kind == "music":
        warnings += (
            AudioWarning(
                "music",
                N_(
                    "Aucune voix entendue : c'est de la musique ; elle est gardée telle quelle, "
                    "sans nivellement des voix."
                ),
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
        clipped_s=round(clipped_s, 1),
        longest_pause_s=round(span.longest, 1),
        warnings=warnings,
        kind=kind,
        speech_s=round(speech_s, 2),
        speech_lufs=None if speech_lufs is None else round(speech_lufs, 1),
        speech_segments=tuple((s.start_s, s.end_s) for s in found),
        identical_channels=reader.stream.channels == 2 and identical_channels,
        envelope=envelope,
    )


def take_warnings(
    integrated_lufs: float,
    true_peak_dbtp: float,
    floor: float | None,
    *,
    clipped_s: float = 0.0,
    longest_pause_s: float = 0.0,
    speech_lufs: float | None = None,
    clipped: bool | None = None,
) -> tuple[AudioWarning, ...]:
    """Warnings a teacher can act on when recording the next take.

    The voices' loudness (speech_lufs) is judged, not the whole take's; noise is judged only
    where there are both speech and pauses to compare; clipping needs samples stuck at the top.
    """
    warnings: list[AudioWarning] = []
    voices = integrated_lufs if speech_lufs is None else speech_lufs
    if voices < TOO_QUIET_LUFS:
        warnings.append(
            AudioWarning(
                "too_quiet",
                N_("Les voix sont très faibles : rapprochez le micro de la bouche (une main)."),
            )
        )
    if clipped if clipped is not None else true_peak_dbtp >= CLIP_DBTP:
        warnings.append(
            AudioWarning(
                "clipping",
                N_("Le son sature par moments : éloignez un peu le micro ou parlez moins fort."),
            )
        )
    if floor is not None and voices - floor < NOISY_SNR_DB:
        warnings.append(
            AudioWarning(
                "noisy",
                N_(
                    "Le bruit de fond est fort par rapport aux voix : rapprochez le micro. "
                    "Pour cette prise, la réduction de bruit du rendu peut aider."
                ),
            )
        )
    if longest_pause_s >= LONG_PAUSE_S:
        warnings.append(
            AudioWarning(
                "long_pause",
                N_(
                    "Il y a un long silence sans voix au milieu (%(seconds).0f s) : "
                    "vous pourrez le couper au montage."
                ),
                {"seconds": longest_pause_s},
            )
        )
    return tuple(warnings)


def check_has_sound(analysis: Analysis) -> None:
    """AudioError `room_tone` when the take holds neither speech nor music."""
    if analysis.kind == "noise" or analysis.active_s < MIN_ACTIVE_S:
        raise AudioError(
            "room_tone",
            N_(
                "On n'entend aucune voix ni musique dans cet enregistrement, seulement du "
                "bruit de la pièce, un souffle ou une machine. Vérifiez le micro et "
                "enregistrez à nouveau."
            ),
        )

"""A take's render that follows its analysis: the encoder starts while the detector listens.

`process` used to analyse a take, then render it; on two cores the speech detector (most of
the analysis) and the MP3 encoder (most of the render) each left the other core half idle, and
the whole took 1.7-1.9 times a plain encode. Here the render starts once the analysis has
heard the take's opening (OPENING_MIN_S, or OPENING_SHARE of it): where the master starts, the
voices' reference level and the static gain are planned from that opening; the leveling curve
then goes to the render through a pipe, as the detector's verdicts become final (a frame's gain
depends on a second and a half around it, a pause's on the voice after it), never more than
AHEAD_S ahead of the encode. When the analysis ends, what is not sent yet takes the gain the
whole take calls for, and the curve is written to the take's end (its trim, its fade out): the
render stops where the curve does (`open_end` in render.py).

Nothing is promised on the opening alone. When the finished analysis disagrees with it (the
take starts elsewhere, is not plain speech, or the curve would not bring the master within
PLAN_TOLERANCE_LU of the target), the curve is closed at once, which stops the encode, and the
take is rendered the usual way (render.render); the same when the master measures further from
the target than a first render may (RETRY_LU). A take shorter than FOLLOW_MIN_S, one asking for
noise reduction (it needs the whole take's noise floor) and one longer than FOLLOW_MAX_S (the
analysis and the render at once would pass the memory budget) are rendered the usual way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import tempfile
import threading
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from webradio.audio import level, vad, verify
from webradio.audio.analyse import (
    FRAME_S,
    NOISY_SNR_DB,
    SPLIT_MAX_S,
    Analysis,
    Envelope,
    FrameReader,
    Progress,
    analyse,
    check_has_sound,
)
from webradio.audio.ffmpeg import FfmpegBinary, run_ffmpeg, timeout_for
from webradio.audio.meter import Loudness, gated_loudness
from webradio.audio.presets import Preset
from webradio.audio.render import (
    FADE_OUT_S,
    KEEP_LEAD_S,
    LIMIT_MARGIN_DB,
    RETRY_LU,
    PartSource,
    RenderResult,
    _off_target,
    _result,
    build_render_command,
    channel_correction_lu,
    encoder_loss_db,
    levels_voices,
    part_gain_db,
    speech_mask,
    trim_window,
    verified,
)
from webradio.audio.span import noise_floor, sound_span, speech_loudness

# Takes this long or longer follow; shorter ones are rendered after their analysis.
FOLLOW_MIN_S = 90.0
FOLLOW_MAX_S = SPLIT_MAX_S
# The render starts once the analysis has heard this much of the take (and this share of it),
# with at least OPENING_SPEECH_S of speech in it.
OPENING_MIN_S = 30.0
OPENING_SHARE = 0.1
OPENING_SPEECH_S = 5.0
# The detector's verdict on a window can change with what it hears up to this long after.
VERDICT_LAG_S = 1.0
# A frame's planned gain depends on the frames this far after it (the leveler's half window,
# its look-ahead and smoothing, the detector's frame shift).
PLAN_REACH_FRAMES = 25
# The curve goes to the render at this rate (a millisecond: the master ends where the take's
# trim says), linearly between the plan's frames.
CURVE_HZ = 100
PER_FRAME = round(CURVE_HZ * FRAME_S)
# The curve is planned again each time the detector has heard this much more (and this share).
STEP_MIN_S = 30.0
STEP_SHARE = 0.05
# The curve is sent this far ahead of the encode, no further (the rest can still change).
# Thirty seconds held the encode back (ffmpeg reads its inputs ahead): the 30-minute take
# took 1.6 s longer, in two pairs of runs, than with five minutes.
AHEAD_S = 300.0
# What is not sent when the analysis ends is moved, over RAMP_FRAMES (2 s), by what brings the
# whole master to the target, when that is no more than MAX_CORRECTION_DB (the voices before
# and after stay within the leveler's promise); the master's loudness so planned must land
# within PLAN_TOLERANCE_LU of the target.
RAMP_FRAMES = 20
MAX_CORRECTION_DB = 2.5
PLAN_TOLERANCE_LU = 0.3


@dataclass(frozen=True)
class Followed:
    """A followed take: its analysis, and its master's result unless it must be rendered the
    usual way (None)."""

    analysis: Analysis
    result: RenderResult | None


def follows(preset: Preset, duration_s: float | None) -> bool:
    """Whether a take of this length, in this preset, is rendered while it is analysed."""
    return (
        not preset.noise_reduction
        and duration_s is not None
        and FOLLOW_MIN_S <= duration_s <= FOLLOW_MAX_S
        and (os.cpu_count() or 1) > 1
    )


@dataclass
class _Listening:
    """What the analysis thread hands back: its analysis, or what stopped it."""

    analysis: Analysis | None = None
    error: BaseException | None = None


@dataclass
class _Encoding:
    """What the encode thread hands back, and what it is told: the master's length (known once
    the analysis ends), whether the follower stopped it, and its measure or failure."""

    total_s: float
    aborted: bool = False
    loud: Loudness | None = None
    error: BaseException | None = None


@dataclass(frozen=True)
class _Opening:
    """What the take's opening decided: where the master starts, the voices' reference level,
    the static gain, the frame the plan starts at, its channels (and whether two were the same
    so far: the render then filters one), and the gain the render applies (the static gain and
    the encoder's loss, capped)."""

    start_s: float
    reference: float
    static_db: float
    first: int
    channels: int
    identical_channels: bool = False
    gain_db: float = 0.0


class _Curve:
    """The leveling curve as it is written: its gains in dB from frame `first` of the take."""

    def __init__(self, fd: int, first: int) -> None:
        self.fd = fd
        self.first = first
        self.gains: list[float] = []
        self.frames_sent = 0

    def value(self, frame: int) -> float:
        """Linear gain at take frame `frame` (level.LevelPlan.curve: read one frame earlier)."""
        index = min(len(self.gains) - 1, max(0, frame - self.first + 1))
        return 10 ** (self.gains[index] / 20)

    def send(self, frames: int, fade: tuple[float, float] | None = None) -> None:
        """Write the curve up to take frame `frames` (every value from its two neighbours
        known), the fade out (start, end in seconds) multiplied in where given."""
        out: array[float] = array("f")
        for frame in range(self.frames_sent, frames):
            a, b = self.value(frame), self.value(frame + 1)
            if a == b:
                out.extend(array("f", [a]) * PER_FRAME)
            else:
                step = (b - a) / PER_FRAME
                out.extend(a + step * j for j in range(PER_FRAME))
        self.frames_sent = max(self.frames_sent, frames)
        if fade is not None:
            out = _faded(out, fade, self.frames_sent * PER_FRAME - len(out))
        data = out.tobytes()
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]

    def close(self) -> None:
        """End the curve: the render stops where it does (once: a number closed twice could
        by then be another thread's file)."""
        fd, self.fd = self.fd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)


def _faded(values: array[float], fade: tuple[float, float], offset: int) -> array[float]:
    """`values` (the first one at sample `offset` of the curve) up to the fade's end, each
    multiplied by the fade out (linear, 1 at its start, 0 at its end)."""
    start, end = fade
    last = math.floor(end * CURVE_HZ + 1e-6)
    kept = values[: max(0, last - offset)]
    for i in range(len(kept)):
        t = (offset + i) / CURVE_HZ
        if t > start:
            kept[i] *= max(0.0, (end - t) / (end - start))
    return kept


def process_following(
    path: Path,
    preset: Preset,
    out_path: Path,
    ffmpeg: FfmpegBinary,
    max_seconds: float,
    probed: tuple[float | None, int],
    encoder_loss: threading.Thread | None = None,
) -> Followed:
    """Analyse a take while its render follows; AudioError as analyse() and check_has_sound.
    `probed` is analyse.probe()'s answer: the take's duration (known) and rate."""
    duration_s = probed[0]
    assert duration_s is not None
    progress = Progress()
    outcome = _Listening()

    def listen() -> None:
        try:
            outcome.analysis = analyse(
                path, ffmpeg, max_seconds=max_seconds, progress=progress, probed=probed
            )
        except BaseException as exc:  # handed to the caller's thread
            outcome.error = exc
        finally:
            progress.finish()

    listener = threading.Thread(target=listen, name="webradio-analyse", daemon=True)
    listener.start()
    try:
        opening = _opening(progress, duration_s, preset)
        if opening is not None:
            if encoder_loss is not None:
                encoder_loss.join()
            loss = encoder_loss_db(
                ffmpeg.path, preset.bitrate_kbps, preset.sample_rate_hz, preset.channels
            )
            gain = round(min(opening.static_db + loss, preset.max_gain_db), 2)
            opening = dataclasses.replace(opening, gain_db=gain)
            result = _follow(path, preset, out_path, ffmpeg, progress, opening, duration_s,
                             listener, outcome)  # fmt: skip
        else:
            result = None
    finally:
        listener.join()
    if outcome.error is not None:
        raise outcome.error
    assert outcome.analysis is not None
    return Followed(outcome.analysis, result)


def _opening(progress: Progress, duration_s: float, preset: Preset) -> _Opening | None:
    """Wait for the take's opening and plan from it; None when the analysis ended first or the
    opening is not plainly speech (a music bed, a silent start: rendered the usual way)."""
    wanted = max(OPENING_MIN_S, OPENING_SHARE * duration_s)
    heard = None
    while not progress.done:
        heard_s = len(progress.scores) * vad.WINDOW_S
        if heard_s >= wanted and progress.reader.stream is not None:
            heard = _heard(progress)
            if heard is not None and vad.speech_seconds(heard[1]) >= OPENING_SPEECH_S:
                break  # enough speech heard whole (a talk without a pause is heard whole later)
            if heard_s >= duration_s / 2:
                return None
            wanted = heard_s + OPENING_MIN_S
        progress.wait(1.0)
    reader = progress.reader
    if progress.done or heard is None or reader.stream is None:
        return None
    envelope, found, mask = heard
    speech = speech_loudness(envelope.momentary, mask)
    floor = noise_floor(envelope.momentary, mask)
    if speech is None or vad.speech_seconds(found) < OPENING_SPEECH_S:
        return None
    if floor is not None and speech - floor < NOISY_SNR_DB:
        return None  # perhaps voices over music: the whole take decides
    length = len(envelope.momentary) * FRAME_S
    span = sound_span(
        envelope.momentary,
        FRAME_S,
        found,
        mask,
        "speech",
        gated_loudness(envelope.momentary),
        speech,
        length,
    )
    start = round(max(0.0, span.lead - KEEP_LEAD_S), 3)
    if span.lead >= length - OPENING_SPEECH_S:
        return None
    # Planned up to the last stretch of speech heard whole: what follows it may be a voice the
    # detector has not finished with (a loud one, counted as a pause at 0 dB, would weigh).
    plan = level.plan(envelope, floor, start, found[-1].end_s, True, mask)
    gain, _ = part_gain_db(plan.predicted_lufs, reader.stream.channels, preset, plan)
    first = max(0, int(start / FRAME_S))
    channels = reader.stream.channels
    same = channels == 2 and reader.same_channels(length)
    return _Opening(start, plan.speech_lufs, gain, first, channels, same)


def _heard(
    progress: Progress,
) -> tuple[Envelope, tuple[vad.Segment, ...], list[bool]] | None:
    """The envelope and speech stretches of what the detector's verdicts are final on."""
    scores = progress.scores[: len(progress.scores)]
    reader = progress.reader
    final_s = len(scores) * vad.WINDOW_S - VERDICT_LAG_S
    frames = min(len(reader.momentary), len(reader.peak_db), int(final_s / FRAME_S))
    if frames <= 0:
        return None
    found = tuple(s for s in vad.segments(scores) if s.end_s <= frames * FRAME_S)
    envelope = Envelope(reader.momentary[:frames], reader.peak_db[:frames])
    return envelope, found, vad.frame_mask(found, frames, FRAME_S)


def _final_frames(gains_count: int, first: int, mask: Sequence[bool]) -> int:
    """How many of the plan's gains no later verdict can change: not the last
    PLAN_REACH_FRAMES, nor a pause still running (its gain depends on the voice after it)."""
    final = gains_count - PLAN_REACH_FRAMES
    last_voice = next((i for i in range(len(mask) - 1, -1, -1) if mask[i]), None)
    if last_voice is not None and last_voice < len(mask) - 1:
        final = min(final, last_voice - first - PLAN_REACH_FRAMES // 2)
    return max(0, final)


def _follow(
    path: Path,
    preset: Preset,
    out_path: Path,
    ffmpeg: FfmpegBinary,
    progress: Progress,
    opening: _Opening,
    duration_s: float,
    listener: threading.Thread,
    outcome: _Listening,
) -> RenderResult | None:
    """Render while the analysis runs; the result, or None to render the usual way."""
    limit_dbfs = preset.max_true_peak_dbtp - LIMIT_MARGIN_DB
    sketch = _sketch(path, progress.reader, opening, duration_s)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    read_end, write_end = os.pipe()
    curve = _Curve(write_end, opening.first)
    argv = build_render_command(
        ffmpeg.path,
        [sketch],
        preset,
        tmp,
        [opening.gain_db],
        limit_dbfs,
        [f"pipe:{read_end}"],
        meter=True,
        curve_rate_hz=CURVE_HZ,
        open_end=True,
    )
    rendered = _Encoding(total_s=duration_s - opening.start_s)
    reader = FrameReader()
    metered = verify.windowed(duration_s - opening.start_s)

    def encoded_s() -> float | None:
        """How far the encode has got, in seconds of master (its meter's frames)."""
        return len(reader.momentary) * FRAME_S if metered else None

    def encode() -> None:
        try:
            run_ffmpeg(
                argv,
                on_line=reader.feed,
                timeout=timeout_for(duration_s),
                pass_fds=(read_end,),
            )
            if not rendered.aborted:  # a master stopped short is not worth a measure
                rendered.loud = verified(reader, tmp, ffmpeg, rendered.total_s, preset)
        except BaseException as exc:  # handed to the follower's thread
            rendered.error = exc

    encoder = threading.Thread(target=encode, name="webradio-render", daemon=True)
    encoder.start()
    accepted = False
    try:
        with contextlib.suppress(BrokenPipeError):
            _feed(curve, progress, opening, duration_s, encoded_s)
        listener.join()
        analysis = outcome.analysis
        end = _agreed_end(analysis, path, opening, curve, preset)
        if end is None:
            rendered.aborted = True
        elif isinstance(analysis, Analysis):
            rendered.total_s = round(end - opening.start_s, 3)
            fade = min(FADE_OUT_S, rendered.total_s / 4)
            with contextlib.suppress(BrokenPipeError):
                curve.send(math.ceil(end / FRAME_S), (end - fade, end))
        curve.close()
        encoder.join()
        loud = rendered.loud
        if end is None or not isinstance(analysis, Analysis) or loud is None:
            return None
        if _off_target(loud, preset, RETRY_LU):
            return None
        os.replace(tmp, out_path)
        accepted = True
        part = PartSource(path, analysis, out_s=end)
        return _result([part], loud, [opening.gain_db], [False])
    finally:
        if not accepted:
            rendered.aborted = True
        curve.close()
        encoder.join()
        if not accepted:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def _sketch(path: Path, reader: FrameReader, opening: _Opening, duration_s: float) -> PartSource:
    """The take as the render command needs it before its analysis ends: its format and
    where the master starts (the end is the curve's)."""
    stream = reader.stream
    assert stream is not None
    return PartSource(
        path,
        Analysis(
            duration_s=duration_s,
            sample_rate_hz=stream.sample_rate_hz,
            channels=stream.channels,
            codec=stream.codec,
            integrated_lufs=0.0,
            true_peak_dbtp=0.0,
            lra_lu=0.0,
            leading_silence_s=opening.start_s + KEEP_LEAD_S if opening.start_s > 0 else 0.0,
            trailing_silence_s=0.0,
            noise_floor_db=None,
            active_s=1.0,
            identical_channels=opening.identical_channels,
        ),
    )


def _feed(
    curve: _Curve,
    progress: Progress,
    opening: _Opening,
    duration_s: float,
    encoded_s: Callable[[], float | None],
) -> None:
    """Send the curve as the detector's verdicts become final, until the analysis ends, never
    more than AHEAD_S past where the encode is (`encoded_s`, None when it cannot tell): what is
    not sent yet can still take the whole take's gain."""
    step = max(STEP_MIN_S, STEP_SHARE * duration_s)
    planned_at = -math.inf
    while not progress.done:
        progress.wait(0.1)
        heard_s = len(progress.scores) * vad.WINDOW_S
        if heard_s - planned_at >= step:
            planned_at = heard_s
            _plan_heard(curve, progress, opening)
        if not curve.gains:
            continue
        final = opening.first + len(curve.gains) - 2
        encoded = encoded_s()
        if encoded is not None:
            final = min(final, math.floor((opening.start_s + encoded + AHEAD_S) / FRAME_S))
        if final > curve.frames_sent:
            curve.send(final)


def _plan_heard(curve: _Curve, progress: Progress, opening: _Opening) -> None:
    """Plan the curve over what the detector has heard; keep the gains no verdict can change."""
    heard = _heard(progress)
    if heard is None:
        return
    envelope, _, mask = heard
    length = len(envelope.momentary) * FRAME_S
    if length <= opening.start_s + 1.0:
        return
    plan = level.plan(
        envelope, None, opening.start_s, length, True, mask, reference=opening.reference
    )
    final = _final_frames(len(plan.gains_db), opening.first, mask)
    if final > len(curve.gains):
        curve.gains.extend(plan.gains_db[len(curve.gains) : final])


def _agreed_end(
    analysis: object,
    path: Path,
    opening: _Opening,
    curve: _Curve,
    preset: Preset,
) -> float | None:
    """Where the master ends, once the finished analysis agrees with the opening and the rest
    of the curve is planned (into `curve.gains`); None when it does not agree."""
    if not isinstance(analysis, Analysis) or analysis.envelope is None:
        return None
    check_has_sound(analysis)
    if not levels_voices(analysis) or analysis.kind != "speech":
        return None
    start, end = trim_window(PartSource(path, analysis))
    if abs(start - opening.start_s) > 1e-3 or analysis.channels != opening.channels:
        return None
    if analysis.identical_channels != opening.identical_channels:
        return None  # filtered as one channel, but they differ further on
    envelope = analysis.envelope
    mask = speech_mask(analysis, len(envelope.momentary))
    plan = level.plan(envelope, None, start, end, True, mask, reference=opening.reference)
    if len(curve.gains) > len(plan.gains_db):
        return None
    # The gains sent stay; those not sent yet take what the whole take calls for, reached
    # over RAMP_FRAMES: the master lands on the target whatever the opening guessed.
    seam = max(0, curve.frames_sent - opening.first + 2)
    gains = list(curve.gains[:seam]) + list(plan.gains_db[seam:])
    target = preset.target_lufs - channel_correction_lu(analysis.channels, preset.channels)
    limit = preset.max_true_peak_dbtp - LIMIT_MARGIN_DB
    # The whole take's own gain first (what every frame would take), then what lands the
    # master on the target (the part sent may be off), no further than a dB from it.
    whole = 0.0
    for _ in range(4):
        whole += target - level.reached(plan, _shifted(gains, 0, whole), opening.static_db, limit)

    def missed(correction: float) -> float:
        shifted = _shifted(gains, seam, correction)
        return level.reached(plan, shifted, opening.static_db, limit) - target

    low, high = whole - 1.0, whole + 1.0
    correction = whole
    if missed(low) < 0 < missed(high):
        for _ in range(12):  # the loudness grows with the correction: halve the interval
            correction = (low + high) / 2
            low, high = (correction, high) if missed(correction) < 0 else (low, correction)
    elif missed(high) <= 0:
        correction = high
    elif missed(low) >= 0:
        correction = low
    correction = min(correction, preset.max_gain_db - opening.static_db)
    if abs(correction) > MAX_CORRECTION_DB or abs(missed(correction)) > PLAN_TOLERANCE_LU:
        return None
    curve.gains[:] = _shifted(gains, seam, correction)
    return math.floor(end * CURVE_HZ + 1e-6) / CURVE_HZ


def _shifted(gains: Sequence[float], seam: int, correction_db: float) -> list[float]:
    """`gains` with `correction_db` added from `seam` on, reached linearly over RAMP_FRAMES."""
    return [
        g + correction_db * min(1.0, max(0.0, (i - seam + 1) / RAMP_FRAMES))
        for i, g in enumerate(gains)
    ]

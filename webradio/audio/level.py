"""The leveler: a slow gain curve planned from the analysis, so the render stays one pass.

A pupil who whispers and then shouts has a loudness range of 25 LU or more; one static gain
would leave the whisper inaudible or the shout crushed by the limiter. The analysis already
holds the take's loudness every 0.1 s and where the speech is (vad.py), so the leveling gain is
planned here, in Python, before the render: each voice's stretch (its speech over a 3 s window,
the short-term loudness) is brought to the take's speech level, up to MAX_BOOST_DB or down to
MAX_CUT_DB. Pauses follow the voices around them when short; a long pause gets no more than
0 dB and no more than its neighbours, so room tone is never raised between two voices.
Because the plan is known, so is the loudness it leads to; the static gain that follows comes
from the same analysis, and nothing is measured twice (CONTRACT 4). Measured against
dynaudnorm (a filter that would need its output measured again before the gain), this costs
little in the render: the curve is a second input of ten values a second, resampled and
multiplied in (`amultiply`), in constant memory (an `asendcmd` file of volume commands grew
ffmpeg by 80 MB an hour of audio).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from webradio.audio.analyse import FRAME_S, Envelope
from webradio.audio.meter import gated_loudness, to_energy, to_lufs
from webradio.audio.span import active_threshold

__all__ = ["LevelPlan", "gain_to_reach", "gated_loudness", "plan", "reached"]

# How far each stretch moves toward the speech level (0: not at all, 1: all the way).
STRENGTH = 1.0
MAX_BOOST_DB = 18.0
MAX_CUT_DB = 18.0
# The loudness the leveler follows is the mean of the speech frames within this half-window.
HALF_WINDOW_S = 1.5
# A pause shorter than this keeps the voices' gain (no pumping inside a sentence); in a longer
# one the gain is held for RAMP_S after the voice, then falls to min(0, both neighbours), and
# rises again RAMP_S before the next voice.
HOLD_PAUSE_S = 1.0
RAMP_S = 0.5
# A momentary block is centred this many frames before the frame its window ends on.
BLOCK_CENTRE_FRAMES = 2
# Cuts start this early (we know the future), and the curve is smoothed over this long.
LOOKAHEAD_S = 0.4
SMOOTH_S = 0.6
# How much of the limiter's peak reduction shows in a block's loudness (fitted on shouts).
LIMITER_SHARE = 0.3
# Blocks under this are digital silence, whatever the detector says around them.
ACTIVE_GATE_LUFS = -70.0


@dataclass(frozen=True)
class LevelPlan:
    """The leveling gain of every frame of a window, and the loudness it leads to."""

    start_s: float
    gains_db: tuple[float, ...]
    predicted_lufs: float
    speech_lufs: float
    blocks: tuple[float, ...] = ()
    peaks: tuple[float, ...] = ()

    def curve(self, total_frames: int) -> array[float]:
        """Linear gain at every FRAME_S of the whole take (held before and after the window)."""
        if not self.gains_db:
            return array("f", [1.0] * total_frames)
        first = round(self.start_s / FRAME_S)
        linear = [10 ** (g / 20) for g in self.gains_db]
        # Block i (its 0.4 s window ends at frame first + i + 1) is centred about frame
        # first + i - 1: the curve is read one frame earlier.
        values = array("f")
        for k in range(total_frames):
            values.append(linear[min(len(linear) - 1, max(0, k - first + 1))])
        return values

    def write_curve(self, path: Path, duration_s: float) -> Path:
        """Write the curve as raw 32-bit floats at 1/FRAME_S Hz, for ffmpeg's amultiply."""
        # Two frames more than the take, so the curve never ends before the sound.
        with path.open("wb") as out:
            self.curve(math.ceil(duration_s / FRAME_S) + 2).tofile(out)
        return path


def plan(
    envelope: Envelope,
    floor: float | None,
    start_s: float,
    end_s: float,
    enabled: bool = True,
    speech_mask: Sequence[bool] | None = None,
    reference: float | None = None,
) -> LevelPlan:
    """The leveling curve for the frames between start_s and end_s of a take.

    `speech_mask` (one flag per frame of the take, from the speech detector) says which
    blocks are voice; without it (analyses stored before the detector), a level threshold.
    The voices are brought toward `reference` when given (a render that follows the analysis
    plans from the take's first minutes, follow.py), else toward the window's speech level.
    """
    first = max(0, int(start_s / FRAME_S))
    last = max(first + 1, min(len(envelope.momentary), math.ceil(end_s / FRAME_S)))
    blocks = [float(v) for v in envelope.momentary[first:last]]
    if speech_mask is not None:
        voiced = [
            0 <= first + i - BLOCK_CENTRE_FRAMES < len(speech_mask)
            and speech_mask[first + i - BLOCK_CENTRE_FRAMES]
            and b > ACTIVE_GATE_LUFS
            for i, b in enumerate(blocks)
        ]
    else:
        threshold = active_threshold(floor)
        voiced = [b > threshold for b in blocks]
    active = [b for b, v in zip(blocks, voiced, strict=True) if v]
    # The leveler's reference is the mean level of the speech in dB, not its loudness (an
    # energy mean follows the shout alone): a whisper and a shout meet halfway, each stretch
    # moving by at most MAX_BOOST_DB or MAX_CUT_DB, and the static gain does the rest.
    speech = sum(active) / len(active) if active else -70.0
    if reference is not None:
        speech = reference
    if not enabled or len(active) < 3:
        gains = [0.0] * len(blocks)
    else:
        raw = _raw_gains(blocks, voiced, speech)
        gains = _smooth(_pause_gains(raw, voiced))
    predicted = gated_loudness([b + g for b, g in zip(blocks, gains, strict=True)])
    # A momentary block spans four frames: its peak is theirs.
    frame_peaks = [float(v) for v in envelope.peak_db[max(0, first - 3) : last]]
    offset = first - max(0, first - 3)
    peaks = tuple(
        max(frame_peaks[max(0, i + offset - 3) : i + offset + 1], default=-120.0)
        for i in range(len(blocks))
    )
    return LevelPlan(first * FRAME_S, tuple(gains), predicted, speech, tuple(blocks), peaks)


def gain_to_reach(plan: LevelPlan, target_lufs: float, limit_dbfs: float) -> float:
    """The static gain after leveling that lands on target, the limiter's bite included."""
    gain = target_lufs - plan.predicted_lufs
    if not plan.blocks:
        return gain
    gains = plan.gains_db or (0.0,) * len(plan.blocks)
    for _ in range(4):
        gain += target_lufs - reached(plan, gains, gain, limit_dbfs)
    return gain


def reached(
    plan: LevelPlan, gains_db: Sequence[float], static_db: float, limit_dbfs: float
) -> float:
    """The loudness the plan's blocks reach with these leveling gains and this static gain.

    Where a block's peak would pass the limiter's ceiling, the block is counted that much
    quieter times LIMITER_SHARE (the limiter acts on peaks, the loudness follows in part).
    """
    return gated_loudness(
        [
            b + g + static_db - LIMITER_SHARE * max(0.0, p + g + static_db - limit_dbfs)
            for b, g, p in zip(plan.blocks, gains_db, plan.peaks, strict=True)
        ]
    )


def _raw_gains(blocks: Sequence[float], voiced: Sequence[bool], speech: float) -> list[float]:
    """Per frame: move the local speech level toward `speech`; hold the gain in pauses."""
    half = round(HALF_WINDOW_S / FRAME_S)
    energies = [to_energy(b) if v else 0.0 for b, v in zip(blocks, voiced, strict=True)]
    counts = [1 if v else 0 for v in voiced]
    # Running sums make the centered window O(n) on a three-hour take.
    sum_e = [0.0]
    sum_n = [0]
    for e, n in zip(energies, counts, strict=True):
        sum_e.append(sum_e[-1] + e)
        sum_n.append(sum_n[-1] + n)
    gains = []
    held = 0.0
    for i in range(len(blocks)):
        lo, hi = max(0, i - half), min(len(blocks), i + half + 1)
        count = sum_n[hi] - sum_n[lo]
        if count >= 3:
            local = to_lufs((sum_e[hi] - sum_e[lo]) / count)
            held = max(-MAX_CUT_DB, min(MAX_BOOST_DB, (speech - local) * STRENGTH))
        gains.append(held)
    return gains


def _pause_gains(gains: list[float], voiced: Sequence[bool]) -> list[float]:
    """Gains in the pauses: held in a short one, at most min(0, neighbours) in a long one."""
    out = list(gains)
    hold = round(HOLD_PAUSE_S / FRAME_S)
    ramp = round(RAMP_S / FRAME_S)
    index = 0
    while index < len(voiced):
        if voiced[index]:
            index += 1
            continue
        end = index
        while end < len(voiced) and not voiced[end]:
            end += 1
        before = gains[index - 1] if index > 0 else None
        after = gains[end] if end < len(voiced) else None
        known = [g for g in (before, after) if g is not None]
        if not known:
            low = 0.0
        elif end - index < hold and before is not None and after is not None:
            low = min(known)
        else:
            low = min([0.0, *known])
        for k in range(index, end):
            if before is not None and k < index + ramp and end - index >= hold:
                out[k] = before
            elif after is not None and k >= end - ramp and end - index >= hold:
                out[k] = after
            else:
                out[k] = low
        index = end
    return out


def _smooth(gains: list[float]) -> list[float]:
    """Cuts a little ahead of the loud stretch, then a moving average: no pumping."""
    ahead = round(LOOKAHEAD_S / FRAME_S)
    early = [min(gains[i : i + ahead + 1]) for i in range(len(gains))]
    width = max(1, round(SMOOTH_S / FRAME_S))
    sums = [0.0]
    for g in early:
        sums.append(sums[-1] + g)
    smoothed = []
    for i in range(len(early)):
        lo, hi = max(0, i - width // 2), min(len(early), i + width // 2 + 1)
        smoothed.append(round((sums[hi] - sums[lo]) / (hi - lo), 2))
    return smoothed

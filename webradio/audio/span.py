"""Where the sound is in a take: its speech, its room tone, its ends and its pauses.

Pure functions of the analysis decode's loudness envelope (one momentary loudness every
0.1 s) and of the speech detector's stretches (vad.py): no ffmpeg here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from webradio.audio import vad
from webradio.audio.meter import gated_loudness

# ebur128's momentary window; each envelope frame's loudness is that of the MOMENTARY_S ending
# with it.
MOMENTARY_S = 0.4
# ebur128 answers -120.7 LUFS for digital zero.
DIGITAL_ZERO_LUFS = -120.0
# The noise floor is the median loudness of the frames without speech, when there are this many.
MIN_FLOOR_FRAMES = 10
# Kept for the leveler's fallback on analyses stored before the speech detector.
ACTIVE_ABOVE_FLOOR_DB = 10.0
ACTIVE_MIN_LUFS = -60.0
# Beside speech, a frame this close to the speech's loudness, and this far above the room tone,
# is sound too (a jingle, music, a word the detector missed).
LOUD_SOUND_LU = 15.0
ABOVE_FLOOR_LU = 10.0
# A sound kept is kept whole: its stretch reaches out over the frames still this far above the
# room tone (gaps of up to NEAR_GAP_FRAMES bridged), so a trim never starts inside it. A quiet
# burst rising out of the room tone spends a second between +3 and +10 LU before it is "loud".
NEAR_FLOOR_LU = 3.0
NEAR_GAP_FRAMES = 3
# In music, what is quieter than both of these is silence (a tail rings far below the mean).
MUSIC_FLOOR_LUFS = -70.0
MUSIC_RANGE_LU = 50.0


def speech_loudness(levels: Sequence[float], mask: Sequence[bool]) -> float | None:
    """Loudness (BS.1770 gating) of the frames the detector calls speech; None without any."""
    frames = [float(v) for v, m in zip(levels, mask, strict=False) if m]
    if len(frames) < 3:
        return None
    return gated_loudness(frames)


def noise_floor(levels: Sequence[float], mask: Sequence[bool] = ()) -> float | None:
    """The room tone: the median loudness of the frames that are not speech (digital zeros
    skipped); None when there is too little of it to tell."""
    quiet = sorted(
        float(v)
        for i, v in enumerate(levels)
        if not (i < len(mask) and mask[i]) and math.isfinite(v) and v > DIGITAL_ZERO_LUFS
    )
    if len(quiet) < MIN_FLOOR_FRAMES:
        return None
    return quiet[len(quiet) // 2]


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


def sound_span(
    momentary: Sequence[float],
    step: float,
    found: Sequence[vad.Segment],
    mask: Sequence[bool],
    kind: str,
    integrated_lufs: float,
    speech_lufs: float | None,
    duration_s: float,
) -> Span:
    """The take's sound span in seconds.

    In a spoken take the sound is the speech the detector hears, plus anything as loud as the
    speech nearly (a jingle, a music bed before the first word). In music everything above a
    low, take-relative level counts: a ringing note's tail is sound. Noise has none. In speech,
    what is kept is kept from where it rises out of the room tone to where it falls back: the
    first 1.3 s of a quiet burst between +3 and +10 LU used to be trimmed as silence.
    """
    if kind == "noise":
        return Span(0.0, 0.0, 0.0, 0.0)
    floor = None
    if kind == "speech" and speech_lufs is not None:
        floor = noise_floor(momentary, mask)
        loud = speech_lufs - LOUD_SOUND_LU
        if floor is not None:
            loud = max(loud, floor + ABOVE_FLOOR_LU)
    else:
        loud = max(MUSIC_FLOOR_LUFS, integrated_lufs - MUSIC_RANGE_LU)
    stretches = [(s.start_s, s.end_s) for s in found]
    stretches += [
        _frame_stretch(index, step)
        for index, level in enumerate(momentary)
        if level > loud and not (index < len(mask) and mask[index])
    ]
    if not stretches:
        return Span(0.0, 0.0, 0.0, 0.0)
    merged = _merge(stretches)
    if floor is not None:
        merged = _merge(merged + _near(momentary, step, floor + NEAR_FLOOR_LU, merged))
    lead = min(max(0.0, merged[0][0]), duration_s)
    trail = min(max(0.0, duration_s - merged[-1][1]), duration_s)
    longest = max((b[0] - a[1] for a, b in zip(merged, merged[1:], strict=False)), default=0.0)
    active = sum(min(duration_s, e) - s for s, e in merged)
    return Span(lead, trail, max(0.0, active), max(0.0, longest))


def _frame_stretch(index: int, step: float) -> tuple[float, float]:
    """Where frame `index` sounds: the middle of its momentary window (ending at (i + 1) * step)."""
    middle = (index + 1) * step - MOMENTARY_S / 2
    return (max(0.0, middle - step / 2), middle + step / 2)


def _merge(stretches: Sequence[Sequence[float]]) -> list[list[float]]:
    """Overlapping or touching (start, end) stretches joined, in order."""
    ordered = sorted((float(a), float(b)) for a, b in stretches)
    merged = [list(ordered[0])]
    for start, end in ordered[1:]:
        if start <= merged[-1][1] + 1e-9:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _near(
    momentary: Sequence[float], step: float, above: float, kept: Sequence[Sequence[float]]
) -> list[list[float]]:
    """The runs of frames over `above` (short dips bridged) that touch a kept stretch."""
    runs: list[list[float]] = []
    dip = 0
    for index, level in enumerate(momentary):
        if level > above:
            start, end = _frame_stretch(index, step)
            if runs and dip <= NEAR_GAP_FRAMES:
                runs[-1][1] = end
            else:
                runs.append([start, end])
            dip = 0
        else:
            dip += 1
    touching = []
    k = 0  # both lists are in order: one walk through them
    for start, end in runs:
        while k < len(kept) and kept[k][1] < start - 1e-9:
            k += 1
        if k < len(kept) and kept[k][0] <= end + 1e-9:
            touching.append([start, end])
    return touching


# A voice this far under the take's speech loudness, for at least QUIET_MIN_S, is reported.
QUIET_VOICE_LU = 10.0
QUIET_MIN_S = 1.0


def quiet_stretches(
    momentary: Sequence[float],
    step: float,
    found: Sequence[vad.Segment],
    speech_lufs: float | None,
) -> list[tuple[float, float]]:
    """The speech stretches far quieter than the take's voices (a shy pupil), joined."""
    if speech_lufs is None:
        return []
    quiet: list[tuple[float, float]] = []
    for segment in found:
        # Frame i's window ends at (i + 1) * step: the frames whose window lies in the segment.
        first = math.ceil(segment.start_s / step + MOMENTARY_S / step) - 1
        last = int(segment.end_s / step)
        blocks = [float(v) for v in momentary[max(0, first) : max(0, last)]]
        if len(blocks) < 3 or gated_loudness(blocks) > speech_lufs - QUIET_VOICE_LU:
            continue
        if quiet and segment.start_s - quiet[-1][1] < 2.0:
            quiet[-1] = (quiet[-1][0], segment.end_s)
        else:
            quiet.append((segment.start_s, segment.end_s))
    return [(a, b) for a, b in quiet if b - a >= QUIET_MIN_S]

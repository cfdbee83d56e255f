"""Parts of takes to one levelled, limited MP3 master, checked on the encoded file.

One pass per master: each part is leveled (level.py's plan, a gain curve multiplied in),
cleaned of rumble and 50 Hz hum, given the gain its analysis calls for, and the whole is
limited below the true-peak ceiling and encoded. Past a minute the master is measured in the
same graph (ebur128 and frame peaks on what the encoder receives), then its true peak is read
on the MP3's loudest windows (verify.py); a shorter master is read whole once written.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from webradio.audio import level, vad, verify
from webradio.audio.analyse import FRAME_S, HIGHPASS_HZ, Analysis, AudioWarning, FrameReader
from webradio.audio.ffmpeg import (
    FfmpegBinary,
    FfmpegError,
    run_ffmpeg,
    timeout_for,
)
from webradio.audio.meter import Loudness, measure
from webradio.audio.presets import Preset
from webradio.errors import N_, AudioError

__all__ = ["Loudness", "PartSource", "RenderResult", "build_render_command", "measure", "render"]

# Room kept before the first and after the last sound of a part.
KEEP_LEAD_S = 0.25
KEEP_TAIL_S = 0.5
# alimiter is a sample-peak limiter and the MP3 encode raises true peak by 0.2-0.5 dB
# (standards.md 5.2b), so it limits this far below the preset's true-peak ceiling.
LIMIT_MARGIN_DB = 1.0
# The MP3 round trip (LAME, then ffmpeg's decoder) reads 0.45 dB quieter than what went in,
# on a sine as on speech, music or noise (ffmpeg 5.1 and 9.0.2, 64 to 192 kbit/s): unaccounted,
# every first render landed 0.5-0.7 LU short and was encoded a second time. The plan adds the
# loss measured once per encoder and setting (encoder_loss_db); a reading outside this range
# is not believed.
ENCODER_LOSS_MAX_DB = 1.5
# A master is re-rendered once when it lands further than this from the target; the measure
# (verify.py: a short master read on its MP3, a long one in the graph less the encoder's loss,
# within 0.2 LU of its MP3) keeps 0.6 a margin to TOLERANCE_LU ...
RETRY_LU = 0.6
# ... and refused when it still lands further than this.
TOLERANCE_LU = 1.0
# A part finished at the gain's cap further than this under the target (the leveler keeps the
# voices within 3 LU of each other) is flagged, even in a master on target.
QUIET_PART_LU = 3.0
# BS.1770 reads a mono signal 3 LU lower than the same signal on two channels.
DUAL_MONO_LU = 3.0
# Parts (and jingles) overlap by this much, one fading out as the next fades in; the master
# fades in and out over these (a click-free start, a soft end).
CROSSFADE_S = 0.3
FADE_IN_S = 0.05
FADE_OUT_S = 0.3
# Mains hum in France is 50 Hz; its first harmonics are notched too (narrow, -inf at centre).
HUM_HZ = (50, 100, 150)
HUM_Q = 20
# How far afftdn lowers the noise when the preset asks for noise reduction.
NOISE_REDUCTION_DB = 20.0


@dataclass(frozen=True)
class PartSource:
    """One part of a master: a take, its analysis, and optional in/out points in seconds."""

    path: Path
    analysis: Analysis
    in_s: float | None = None
    out_s: float | None = None
    title: str = ""


@dataclass(frozen=True)
class RenderResult:
    """What the master measures, and how each part was placed in it."""

    output_lufs: float
    output_true_peak_dbtp: float
    duration_s: float
    gains_db: tuple[float, ...]
    trimmed_start_s: float
    trimmed_end_s: float
    chapters: tuple[tuple[float, float], ...]
    warnings: tuple[AudioWarning, ...]
    output_lra_lu: float = 0.0


def timeline(
    parts: Sequence[PartSource], crossfade_s: float = CROSSFADE_S
) -> tuple[tuple[tuple[float, float], ...], float, float]:
    """(each part's bounds in the master, master duration, crossfade actually used).

    Neighbours overlap by the crossfade; a part's bounds meet its neighbours' in the middle
    of the overlap, so the bounds tile the master without gaps or overlaps (the consent
    re-edit cuts a part out by them).
    """
    lengths = [end - start for start, end in map(trim_window, parts)]
    fade = min(crossfade_s, min(lengths) / 3) if len(parts) > 1 else 0.0
    bounds = []
    position = 0.0
    for index, length in enumerate(lengths):
        start = position + (fade / 2 if index > 0 else 0.0)
        end = position + length - (fade / 2 if index < len(lengths) - 1 else 0.0)
        bounds.append((round(start, 3), round(end, 3)))
        position += length - fade
    return tuple(bounds), round(position + fade, 3), round(fade, 3)


def trim_window(part: PartSource) -> tuple[float, float]:
    """(start, end) in the take's seconds: in/out points, and the silence cut at both ends."""
    a = part.analysis
    start = max(0.0, a.leading_silence_s - KEEP_LEAD_S) if a.active_s > 0 else 0.0
    end = (
        a.duration_s - max(0.0, a.trailing_silence_s - KEEP_TAIL_S) if a.active_s else a.duration_s
    )
    if part.in_s is not None:
        start = max(start, part.in_s)
    if part.out_s is not None:
        end = min(end, part.out_s)
    if end - start < 0.1:
        raise AudioError(
            "empty_part",
            N_("Le passage choisi est vide : vérifiez ses points d'entrée et de sortie."),
        )
    return round(start, 3), round(end, 3)


def channel_correction_lu(source_channels: int, target_channels: int) -> float:
    """How much louder the part measures once its channels are mapped to the preset's."""
    if source_channels == 1 and target_channels == 2:
        return DUAL_MONO_LU
    if source_channels == 2 and target_channels == 1:
        return -DUAL_MONO_LU
    return 0.0


def part_gain_db(
    loudness_lufs: float, channels: int, preset: Preset, plan: level.LevelPlan | None = None
) -> tuple[float, bool]:
    """(gain, capped): target minus the part's loudness in the preset's channels, capped.

    With a leveling plan, the limiter's expected bite on the loud blocks is counted in, once:
    `capped` says whether the take itself needs more than the cap (its loudness after leveling
    is more than the cap under the target), not whether that estimate of the bite does.
    """
    target = preset.target_lufs - channel_correction_lu(channels, preset.channels)
    base = needed_db(loudness_lufs, channels, preset)
    if plan is not None:
        limit = preset.max_true_peak_dbtp - LIMIT_MARGIN_DB
        gain = level.gain_to_reach(plan, target, limit)
    else:
        gain = base
    return round(min(gain, preset.max_gain_db), 2), base > preset.max_gain_db


def needed_db(loudness_lufs: float, channels: int, preset: Preset) -> float:
    """The gain a part of this loudness needs to reach the target, before any cap."""
    return preset.target_lufs - channel_correction_lu(channels, preset.channels) - loudness_lufs


def _channel_filter(source_channels: int, target_channels: int) -> str:
    """The filter mapping a part's channels to the preset's."""
    if source_channels == 1 and target_channels == 2:
        return "pan=stereo|c0=c0|c1=c0"
    if source_channels == 2 and target_channels == 1:
        return "pan=mono|c0=0.5*c0+0.5*c1"
    layout = "mono" if target_channels == 1 else "stereo"
    return f"aformat=channel_layouts={layout}"


def cleanup_filters(noise_reduction: bool = False, noise_floor_db: float | None = None) -> str:
    """Rumble highpass and hum notches, in single precision (twice as fast, inaudible).

    With `noise_reduction`, then afftdn, an FFT denoiser lowering broadband noise by
    NOISE_REDUCTION_DB, told the take's measured noise floor (the loudness of its pauses).
    Left to track the noise itself (tn=1) it lowered white noise by 5 dB instead of 19.
    """
    notches = ",".join(f"bandreject=f={hz}:width_type=q:w={HUM_Q}:precision=f32" for hz in HUM_HZ)
    chain = f"highpass=f={HIGHPASS_HZ}:precision=f32,{notches}"
    if noise_reduction:
        if noise_floor_db is None:
            chain += f",afftdn=nr={NOISE_REDUCTION_DB:g}:nf=-50:tn=1"
        else:
            floor = max(-80.0, min(-20.0, noise_floor_db))
            chain += f",afftdn=nr={NOISE_REDUCTION_DB:g}:nf={floor:.0f}"
    return chain


_RMS_RE = re.compile(r"RMS level dB: (\S+)")
CALIBRATION_HZ = 997
CALIBRATION_AMPLITUDE = 0.125


@functools.cache
def encoder_loss_db(
    ffmpeg_path: str, bitrate_kbps: int, sample_rate_hz: int, channels: int
) -> float:
    """How much quieter the MP3 reads than what was encoded, in dB (0.0 when unmeasurable).

    A 2 s sine of known level is encoded with the render's settings and decoded again; its
    middle second's RMS level, against the sine's, is the loss. About 0.1 s, once a process.
    (Through a file, not a pipe: the decode stops reading once its second is measured.)
    """
    levels: list[float] = []

    def feed(line: str) -> None:
        match = _RMS_RE.search(line)
        if match is not None:
            with contextlib.suppress(ValueError):
                levels.append(float(match.group(1)))

    with tempfile.TemporaryDirectory(prefix="webradio-calibrate-") as scratch:
        sample = Path(scratch) / "sine.mp3"
        encode = [
            *(ffmpeg_path, "-hide_banner", "-nostats", "-nostdin", "-f", "lavfi", "-i"),
            # sine's amplitude is 1/8 (CALIBRATION_AMPLITUDE), the same on every channel.
            f"sine=f={CALIBRATION_HZ}:r={sample_rate_hz}:d=2,{_channel_filter(1, channels)}",
            *("-c:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k", "-ar", str(sample_rate_hz)),
            *("-ac", str(channels), "-f", "mp3", str(sample)),
        ]
        decode = [
            *(ffmpeg_path, "-hide_banner", "-nostats", "-nostdin", "-i", str(sample), "-af"),
            "atrim=start=0.5:end=1.5,astats=measure_perchannel=none:measure_overall=RMS_level",
            *("-f", "null", "-"),
        ]
        try:
            run_ffmpeg(encode, timeout=timeout_for(2))
            run_ffmpeg(decode, on_line=feed, timeout=timeout_for(2))
        except FfmpegError:
            return 0.0
    if not levels:
        return 0.0
    # A sine's RMS is its amplitude over the square root of two.
    loss = 20 * math.log10(CALIBRATION_AMPLITUDE / math.sqrt(2)) - levels[-1]
    return round(loss, 2) if 0.0 <= loss <= ENCODER_LOSS_MAX_DB else 0.0


def tee_target(path: Path | str) -> str:
    """A path escaped for the tee muxer's slave list."""
    text = str(path)
    for char in "\\|[]":
        text = text.replace(char, "\\" + char)
    return text


def build_render_command(
    ffmpeg_path: str,
    parts: Sequence[PartSource],
    preset: Preset,
    out_path: Path | str,
    gains_db: Sequence[float],
    limit_dbfs: float | None = None,
    level_curves: Sequence[Path | str | None] | None = None,
    meter: bool = False,
    crossfade_s: float = CROSSFADE_S,
    curve_rate_hz: float = 1 / FRAME_S,
    open_end: bool = False,
) -> list[str]:
    """argv rendering `parts` with their gains, crossfaded, limited, to MP3 at out_path.

    `level_curves[i]` is part i's leveling curve (level.py), `curve_rate_hz` values a second;
    with `meter` a long master is measured in the graph (verify.meter_graph). With
    `open_end` (one part) the curve decides where the master ends, and its fade out: the
    render stops when the curve does (follow.py writes it while the analysis runs).
    """
    if not parts or len(parts) != len(gains_db):
        raise ValueError("one gain per part, at least one part")
    if limit_dbfs is None:
        limit_dbfs = preset.max_true_peak_dbtp - LIMIT_MARGIN_DB
    curves = list(level_curves or [None] * len(parts))
    # Mono takes (most classroom recordings, and stereo ones whose two channels are the same)
    # stay mono up to the limiter and are doubled to the preset's two channels after it: the
    # same master for half the filtering.
    work = 1 if all(heard_as_mono(part.analysis) for part in parts) else preset.channels
    layout = "mono" if work == 1 else "stereo"
    rate = preset.sample_rate_hz
    argv = [ffmpeg_path, "-hide_banner", "-nostats", "-nostdin", "-y"]
    chains = []
    for part in parts:
        argv += ["-i", str(part.path)]
    curve_inputs: dict[int, int] = {}
    for index, curve in enumerate(curves):
        if curve is not None:
            curve_inputs[index] = len(parts) + len(curve_inputs)
            argv += ["-f", "f32le", "-ar", f"{curve_rate_hz:g}", "-ac", "1", "-i", str(curve)]
    for index, (part, gain) in enumerate(zip(parts, gains_db, strict=True)):
        start, end = trim_window(part)
        until = "" if open_end else f":end={end}"
        window = f"atrim=start={start}{until},asetpts=PTS-STARTPTS"
        formats = f"aformat=sample_fmts=fltp:sample_rates={rate}:channel_layouts={layout}"
        label = f"[a{index}]" if index in curve_inputs else f"[p{index}]"
        # Fewer channels before the cleanup, more after it: it filters as few as it can.
        mapping = _channel_filter(part.analysis.channels, work)
        cleanup = cleanup_filters(preset.noise_reduction, part.analysis.noise_floor_db)
        fewer = part.analysis.channels > work
        chains.append(
            f"[{index}:a:0]{window},aformat=sample_fmts=fltp,"
            f"{mapping if fewer else cleanup},{cleanup if fewer else mapping},"
            f"volume={gain:.2f}dB,aresample={rate},{formats}{label}"
        )
        if index in curve_inputs:
            # The curve's ten values a second, smoothly upsampled, multiply the part.
            upsample = f"aresample={rate}:filter_size=4:phase_shift=0:linear_interp=1"
            chains.append(
                f"[{curve_inputs[index]}:a]{upsample},{window},"
                f"{_channel_filter(1, work)},{formats}[g{index}]"
            )
            chains.append(f"[a{index}][g{index}]amultiply[p{index}]")
    limit = min(1.0, max(0.0625, 10 ** (limit_dbfs / 20)))
    _, total, fade = timeline(parts, crossfade_s)
    joined = "[p0]"
    for index in range(1, len(parts)):
        label = f"[x{index}]"
        if fade > 0:
            chains.append(f"{joined}[p{index}]acrossfade=d={fade}:c1=tri:c2=tri{label}")
        else:
            chains.append(f"{joined}[p{index}]concat=n=2:v=0:a=1{label}")
        joined = label
    fade_out = min(FADE_OUT_S, total / 4)
    ending = (
        "" if open_end else f"afade=t=out:st={max(0.0, total - fade_out):.3f}:d={fade_out:.3f},"
    )
    # level=0: by default alimiter raises its output to full scale, which undoes the target.
    metered = meter and verify.windowed(total)
    # A mono master doubled to two channels is measured before it is doubled (ebur128's
    # dualmono reads it as the two identical channels; their frame peaks are its own): the
    # same figures for half the meter's work.
    doubled = "" if work == preset.channels else _channel_filter(work, preset.channels)
    limited = (
        f"{joined}afade=t=in:d={FADE_IN_S},{ending}"
        f"alimiter=limit={limit:.4f}:level=0:attack=5:release=50:latency=1,"
    )
    if not metered:
        chains.append(f"{limited}{doubled}{',' if doubled else ''}aresample={rate}[out]")
    elif doubled:
        chains.append(f"{limited}aresample={rate},asplit=2[work][meter];[work]{doubled}[out]")
    else:
        chains.append(f"{limited}aresample={rate},asplit=2[out][meter]")
    if metered:
        chains.append(f"[meter]{verify.meter_graph(rate, dual_mono=bool(doubled))},anullsink")
    argv += [
        "-filter_complex",
        ";".join(chains),
        "-map",
        "[out]",
        "-vn",
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
        "-c:a",
        "libmp3lame",
        "-b:a",
        f"{preset.bitrate_kbps}k",
        "-ar",
        str(rate),
        "-ac",
        str(preset.channels),
    ]
    # Tags are written afterwards by tags.py; no encoder-version frame from ffmpeg.
    return argv + ["-write_xing", "1", "-id3v2_version", "0", "-f", "mp3", str(out_path)]


@dataclass(frozen=True)
class _Plan:
    """Per part: the leveling plan, the static gain, whether it hit the cap, and by how many
    dB it is short of the target at the cap (0 when it is not)."""

    levels: tuple[level.LevelPlan, ...]
    gains: list[float]
    capped: list[bool]
    short_db: list[float]


def heard_as_mono(analysis: Analysis) -> bool:
    """Whether a take is one channel, or two that are the same."""
    return analysis.channels == 1 or (analysis.channels == 2 and analysis.identical_channels)


def levels_voices(analysis: Analysis) -> bool:
    """Whether the leveler works on this take: speech, or voices over a music bed, not music."""
    if analysis.kind == "speech":
        return True
    return analysis.kind == "speech_music" and analysis.speech_s >= 0.5 * analysis.duration_s


def speech_mask(analysis: Analysis, frames: int) -> list[bool] | None:
    """Per analysis frame, whether the detector heard speech; None for older analyses."""
    if not analysis.speech_segments:
        return None if analysis.speech_s == 0 and analysis.kind == "speech" else [False] * frames
    found = [vad.Segment(a, b) for a, b in analysis.speech_segments]
    return vad.frame_mask(found, frames, FRAME_S)


def plan_parts(parts: Sequence[PartSource], preset: Preset, leveler: bool = True) -> _Plan:
    """Level plans and gains of every part, from their analyses only."""
    levels = []
    gains = []
    capped = []
    short: list[float] = []
    for part in parts:
        start, end = trim_window(part)
        envelope = part.analysis.envelope
        plan = None
        if envelope is None:
            loudness = part.analysis.integrated_lufs
            levels.append(level.LevelPlan(start, (), loudness, loudness))
        else:
            plan = level.plan(
                envelope,
                part.analysis.noise_floor_db,
                start,
                end,
                leveler and levels_voices(part.analysis),
                speech_mask(part.analysis, len(envelope.momentary)),
            )
            levels.append(plan)
            loudness = plan.predicted_lufs
        gain, cap = part_gain_db(loudness, part.analysis.channels, preset, plan)
        gains.append(gain)
        capped.append(cap)
        short.append(max(0.0, needed_db(loudness, part.analysis.channels, preset) - gain))
    return _Plan(tuple(levels), gains, capped, short)


def render(
    parts: Sequence[PartSource],
    preset: Preset,
    out_path: Path | str,
    ffmpeg: FfmpegBinary,
    leveler: bool = True,
) -> RenderResult:
    """Render and verify a master; atomic: on failure nothing new is left at out_path."""
    out = Path(out_path)
    planned = plan_parts(parts, preset, leveler)
    loss = encoder_loss_db(ffmpeg.path, preset.bitrate_kbps, preset.sample_rate_hz, preset.channels)
    gains = [round(min(gain + loss, preset.max_gain_db), 2) for gain in planned.gains]
    capped = planned.capped
    limit_dbfs = preset.max_true_peak_dbtp - LIMIT_MARGIN_DB
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    scratch = Path(tempfile.mkdtemp(prefix="webradio-level-"))
    try:
        commands = [
            plan.write_curve(scratch / f"p{i}.f32", part.analysis.duration_s)
            if plan.gains_db
            else None
            for i, (part, plan) in enumerate(zip(parts, planned.levels, strict=True))
        ]
        loud = _render_once(parts, preset, tmp, gains, limit_dbfs, commands, ffmpeg)
        if _off_target(loud, preset, RETRY_LU) and _can_correct(loud, preset, gains):
            error = preset.target_lufs - loud.integrated_lufs
            for i, gain in enumerate(gains):
                gains[i] = round(min(gain + error, preset.max_gain_db), 2)
                # At the cap and still short: this part truly needs more than the cap allows.
                capped[i] = capped[i] or gain + error > preset.max_gain_db + 0.01
            if loud.true_peak_dbtp > preset.max_true_peak_dbtp:
                limit_dbfs -= loud.true_peak_dbtp - preset.max_true_peak_dbtp + 0.3
            loud = _render_once(parts, preset, tmp, gains, limit_dbfs, commands, ffmpeg)
        if loud.integrated_lufs >= preset.target_lufs - RETRY_LU:
            # On target after all: a lone take has nothing to flag; among several parts (a
            # jingle, the takes), one finished at the cap further than the leveler's promise
            # under the target stays that much quieter than the others: it is still flagged.
            capped = [
                cap and len(parts) > 1 and short > QUIET_PART_LU
                for cap, short in zip(capped, planned.short_db, strict=True)
            ]
        short_at_cap = any(capped) and loud.integrated_lufs < preset.target_lufs
        if (_off_target(loud, preset, TOLERANCE_LU) and not short_at_cap) or (
            loud.true_peak_dbtp > preset.max_true_peak_dbtp
        ):
            raise AudioError(
                "target_missed",
                N_(
                    "Le son final n'atteint pas le volume attendu (%(lufs).1f LUFS pour "
                    "%(target).1f visés). Le fichier original est conservé ; réessayez ou "
                    "signalez-le."
                ),
                lufs=loud.integrated_lufs,
                target=preset.target_lufs,
            )
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return _result(parts, loud, gains, capped)


def _render_once(
    parts: Sequence[PartSource],
    preset: Preset,
    tmp: Path,
    gains: Sequence[float],
    limit_dbfs: float,
    commands: Sequence[Path | None],
    ffmpeg: FfmpegBinary,
) -> Loudness:
    """Encode to tmp, measured in the render's own graph (verify.py)."""
    argv = build_render_command(
        ffmpeg.path, parts, preset, tmp, gains, limit_dbfs, commands, meter=True
    )
    reader = FrameReader()
    _, total, _ = timeline(parts)
    run_ffmpeg(argv, on_line=reader.feed, timeout=timeout_for(total))
    return verified(reader, tmp, ffmpeg, total, preset)


def verified(
    reader: FrameReader, tmp: Path, ffmpeg: FfmpegBinary, total_s: float, preset: Preset
) -> Loudness:
    """The master's loudness, true peak included (verify.py; a hook for tests)."""
    loss = encoder_loss_db(ffmpeg.path, preset.bitrate_kbps, preset.sample_rate_hz, preset.channels)
    return verify.master_loudness(
        reader, tmp, ffmpeg, total_s, preset.sample_rate_hz, preset.max_true_peak_dbtp, loss
    )


def _off_target(loud: Loudness, preset: Preset, tolerance_lu: float) -> bool:
    """Whether the master misses the loudness target by more than the tolerance, or peaks over.

    ebur128 prints tenths: -16.6 is 0.6 from -16.0, not 0.6000000000000014.
    """
    return (
        round(abs(loud.integrated_lufs - preset.target_lufs), 3) > tolerance_lu
        or loud.true_peak_dbtp > preset.max_true_peak_dbtp
    )


def _can_correct(loud: Loudness, preset: Preset, gains: Sequence[float]) -> bool:
    """Whether a second render could land closer: not when every gain is already at the cap,
    the master is short of the target and its true peak is under the ceiling (the same
    gains would give the same master)."""
    if loud.true_peak_dbtp > preset.max_true_peak_dbtp:
        return True
    if loud.integrated_lufs > preset.target_lufs:
        return True
    return any(gain < preset.max_gain_db for gain in gains)


CAPPED_AMONG_OTHERS = N_(
    "L'enregistrement « %(title)s » est très faible : il a été monté au maximum "
    "(+%(gain).0f dB) et reste moins fort que les autres. Rapprochez le micro."
)
CAPPED_ALONE = N_(
    "L'enregistrement « %(title)s » est très faible : il a été monté au maximum "
    "(+%(gain).0f dB) et reste sous le volume visé. Rapprochez le micro."
)


def _result(
    parts: Sequence[PartSource], loud: Loudness, gains: Sequence[float], capped: Sequence[bool]
) -> RenderResult:
    """Chapters from the trimmed durations, what was trimmed, and the cap warnings."""
    chapters, position, _ = timeline(parts)
    trimmed_start = trimmed_end = 0.0
    for part in parts:
        start, end = trim_window(part)
        trimmed_start += start
        trimmed_end += part.analysis.duration_s - end
    warnings = tuple(
        AudioWarning(
            "gain_capped",
            CAPPED_AMONG_OTHERS if len(parts) > 1 else CAPPED_ALONE,
            {"title": part.title or part.path.name, "gain": gain},
        )
        for part, gain, cap in zip(parts, gains, capped, strict=True)
        if cap
    )
    return RenderResult(
        output_lufs=loud.integrated_lufs,
        output_true_peak_dbtp=loud.true_peak_dbtp,
        # The encode keeps every sample of the trimmed parts (the pipe's clock counts padding).
        duration_s=round(position, 3),
        gains_db=tuple(gains),
        trimmed_start_s=round(trimmed_start, 3),
        trimmed_end_s=round(trimmed_end, 3),
        chapters=chapters,
        warnings=warnings,
        output_lra_lu=loud.lra_lu,
    )

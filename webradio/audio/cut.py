"""Cutting parts out of a finished master (a re-edit), measured again like a first render.

A cut joins stretches of an MP3 master that were never next to each other; decoding, fading
and re-encoding them can raise the true peak past the ceiling (MP3 overshoot again, on top of
the first encode's). So the cut master goes through the same true-peak-safe limiter as a
render, and the MP3 is measured on the way out (ebur128 on the encoded stream, on the other
core): the caller gets the figures, and a cut that still peaks over the ceiling is refused.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from webradio.audio.ffmpeg import FfmpegBinary, run_ffmpeg_pair, timeout_for
from webradio.audio.meter import LogReader, Loudness, build_measure_command, measure
from webradio.audio.presets import Preset
from webradio.audio.render import LIMIT_MARGIN_DB, encoder_loss_db, tee_target
from webradio.errors import N_, AudioError

# Each kept stretch fades in and out over this (at most a quarter of its length): no click.
FADE_S = 0.05


def build_cut_command(
    ffmpeg_path: str,
    master: Path | str,
    spans: Sequence[tuple[float, float]],
    out_path: Path | str,
    preset: Preset,
    verify_pipe: bool = True,
    gain_db: float = 0.0,
) -> list[str]:
    """argv keeping `spans` (seconds of the master) end to end, limited, encoded to MP3.

    With `verify_pipe` the MP3 also goes to stdout, for a measuring ffmpeg; `gain_db` makes
    up for what the new encode takes away (render.encoder_loss_db).
    """
    if not spans:
        raise ValueError("at least one span to keep")
    chains = []
    for index, (start, end) in enumerate(spans):
        fade = min(FADE_S, (end - start) / 4)
        chains.append(
            f"[0:a:0]atrim=start={start:.3f}:end={end:.3f},asetpts=PTS-STARTPTS,"
            f"afade=t=in:st=0:d={fade:.3f},afade=t=out:st={end - start - fade:.3f}:d={fade:.3f}"
            f"[s{index}]"
        )
    limit = 10 ** ((preset.max_true_peak_dbtp - LIMIT_MARGIN_DB) / 20)
    rate = preset.sample_rate_hz
    inputs = "".join(f"[s{i}]" for i in range(len(spans)))
    graph = (
        ";".join(chains)
        + f";{inputs}concat=n={len(spans)}:v=0:a=1,"
        + (f"volume={gain_db:.2f}dB," if gain_db else "")
        # level=0: alimiter would otherwise raise its output to full scale.
        + f"alimiter=limit={limit:.4f}:level=0:attack=5:release=50:latency=1,"
        f"aresample={rate}[out]"
    )
    argv = [
        ffmpeg_path, "-hide_banner", "-nostats", "-nostdin", "-y", "-i", str(master),
        "-filter_complex", graph, "-map", "[out]", "-vn", "-map_metadata", "-1",
        "-map_chapters", "-1", "-c:a", "libmp3lame", "-b:a", f"{preset.bitrate_kbps}k",
        "-ar", str(rate), "-ac", str(preset.channels),
    ]  # fmt: skip
    if verify_pipe:
        return argv + [
            "-f",
            "tee",
            f"[f=mp3:write_xing=1:id3v2_version=0]{tee_target(out_path)}"
            "|[f=mp3:write_xing=0:id3v2_version=0]pipe:1",
        ]
    return argv + ["-write_xing", "1", "-id3v2_version", "0", "-f", "mp3", str(out_path)]


def cut_master(
    master: Path | str,
    spans: Sequence[tuple[float, float]],
    out_path: Path | str,
    preset: Preset,
    ffmpeg: FfmpegBinary,
) -> Loudness:
    """Write the master with only `spans` kept to out_path (atomically) and measure it.

    AudioError `target_missed` (nothing written) if the cut still peaks over the preset's
    true-peak ceiling.
    """
    out = Path(out_path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    kept_s = sum(end - start for start, end in spans)
    try:
        reader = LogReader()
        # Each MP3 generation reads quieter: without this, every re-edit lost 0.45 LU.
        loss = encoder_loss_db(
            ffmpeg.path, preset.bitrate_kbps, preset.sample_rate_hz, preset.channels
        )
        run_ffmpeg_pair(
            build_cut_command(ffmpeg.path, master, spans, tmp, preset, gain_db=loss),
            build_measure_command(ffmpeg.path, "pipe:0", "mp3"),
            on_line=reader.feed,
            timeout=timeout_for(kept_s),
        )
        loud = reader.loudness(reader.clock_s) if reader.clock_s > 0 else measure(tmp, ffmpeg)
        if loud.true_peak_dbtp > preset.max_true_peak_dbtp:
            raise AudioError(
                "target_missed",
                N_(
                    "Le montage dépasse le niveau de crête permis (%(peak).1f dBTP pour "
                    "%(ceiling).1f). L'ancienne version est conservée ; réessayez."
                ),
                peak=loud.true_peak_dbtp,
                ceiling=preset.max_true_peak_dbtp,
            )
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return loud

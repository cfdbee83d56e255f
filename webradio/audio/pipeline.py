"""The `process` verb: one take in, one levelled MP3 out, and a report with units."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webradio.audio import follow
from webradio.audio.analyse import (
    DEFAULT_MAX_TAKE_S,
    Analysis,
    AudioWarning,
    analyse,
    check_has_sound,
    probe,
)
from webradio.audio.ffmpeg import FfmpegBinary
from webradio.audio.presets import Preset, get_preset
from webradio.audio.render import PartSource, RenderResult, encoder_loss_db, render


@dataclass(frozen=True)
class ProcessReport:
    """What `process` measured and did; to_json() gives the CONTRACT keys."""

    input_lufs: float
    input_true_peak_dbtp: float
    input_lra_lu: float
    output_lufs: float
    output_true_peak_dbtp: float
    output_lra_lu: float
    duration_s: float
    trimmed_start_s: float
    trimmed_end_s: float
    gain_db: float
    warnings: tuple[AudioWarning, ...]

    def to_json(self) -> dict[str, Any]:
        """The report as the `process --json` object."""
        return {
            "input_lufs": self.input_lufs,
            "input_true_peak_dbtp": self.input_true_peak_dbtp,
            "input_lra_lu": self.input_lra_lu,
            "output_lufs": self.output_lufs,
            "output_true_peak_dbtp": self.output_true_peak_dbtp,
            "duration_s": self.duration_s,
            "trimmed_start_s": self.trimmed_start_s,
            "trimmed_end_s": self.trimmed_end_s,
            "gain_db": self.gain_db,
            "warnings": [{"code": w.code, "message": w.text} for w in self.warnings],
        }


def process(
    in_path: Path | str,
    out_path: Path | str,
    preset: Preset | str,
    ffmpeg: FfmpegBinary,
    max_take_s: float = DEFAULT_MAX_TAKE_S,
) -> ProcessReport:
    """Analyse a take and render it alone to out_path; AudioError when it cannot be used."""
    chosen = get_preset(preset) if isinstance(preset, str) else preset
    analysis, result = master(Path(in_path), Path(out_path), chosen, ffmpeg, max_take_s)
    return ProcessReport(
        input_lufs=analysis.integrated_lufs,
        input_true_peak_dbtp=analysis.true_peak_dbtp,
        input_lra_lu=analysis.lra_lu,
        output_lufs=result.output_lufs,
        output_true_peak_dbtp=result.output_true_peak_dbtp,
        output_lra_lu=result.output_lra_lu,
        duration_s=result.duration_s,
        trimmed_start_s=result.trimmed_start_s,
        trimmed_end_s=result.trimmed_end_s,
        gain_db=result.gains_db[0],
        warnings=analysis.warnings + result.warnings,
    )


def master(
    path: Path, out: Path, chosen: Preset, ffmpeg: FfmpegBinary, max_take_s: float
) -> tuple[Analysis, RenderResult]:
    """A take's analysis and its master at `out`: encoded while it is analysed when it is
    long enough (follow.py), else analysed then rendered."""
    # The render's once-a-process measure of the encoder (0.1 s) runs beside the analysis.
    setting = (ffmpeg.path, chosen.bitrate_kbps, chosen.sample_rate_hz, chosen.channels)
    calibration = threading.Thread(target=encoder_loss_db, args=setting, daemon=True)
    calibration.start()
    probed = probe(ffmpeg.path, path) if path.is_file() and path.stat().st_size else None
    duration = None if probed is None else probed[0]
    result = None
    if follow.follows(chosen, duration) and duration is not None and duration <= max_take_s:
        assert probed is not None
        followed = follow.process_following(
            path, chosen, out, ffmpeg, max_take_s, probed, calibration
        )
        analysis, result = followed.analysis, followed.result
    else:
        analysis = analyse(path, ffmpeg, max_seconds=max_take_s, probed=probed)
    check_has_sound(analysis)
    calibration.join()
    if result is None:
        result = render([PartSource(path, analysis)], chosen, out, ffmpeg)
    return analysis, result

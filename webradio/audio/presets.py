"""Loudness and encoding targets, as data chosen by name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from webradio.errors import N_, WebradioError


@dataclass(frozen=True)
class Preset:
    """What a master must measure, and how it is encoded."""

    name: str
    channels: int
    target_lufs: float
    max_true_peak_dbtp: float
    bitrate_kbps: int
    sample_rate_hz: int = 44100
    max_gain_db: float = 24.0  # DEFAULT_MAX_GAIN_DB
    # Broadband noise reduction (ffmpeg's afftdn, by NOISE_REDUCTION_DB) for takes the report
    # calls noisy: ventilation, hiss, a busy room. Off by default: it is not free on clean
    # speech (bench/audio.py measures both).
    noise_reduction: bool = False


# -19 LUFS mono is heard as loud as -16 LUFS stereo (standards.md 5.1).
PRESETS: dict[str, Preset] = {
    "podcast": Preset(
        "podcast", channels=2, target_lufs=-16.0, max_true_peak_dbtp=-1.0, bitrate_kbps=128
    ),
    "voice": Preset(
        "voice", channels=1, target_lufs=-19.0, max_true_peak_dbtp=-1.0, bitrate_kbps=96
    ),
}


DEFAULT_MAX_GAIN_DB = 24.0


def get_preset(name: str, max_gain_db: float | None = None) -> Preset:
    """The preset called `name` (gain cap from config MAX_GAIN_DB); WebradioError if unknown."""
    try:
        preset = PRESETS[name]
    except KeyError:
        raise WebradioError(
            N_("Préréglage inconnu : %(name)s. Choix possibles : %(choices)s."),
            name=name,
            choices=", ".join(sorted(PRESETS)),
        ) from None
    if max_gain_db is None:
        return preset
    return replace(preset, max_gain_db=float(max_gain_db))


def _settings(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """`config` if given, else the app's config inside the app, else no setting at all."""
    if config is not None:
        return config
    from flask import current_app, has_app_context

    return current_app.config if has_app_context() else {}


def configured_preset(
    name: str, noise_reduction: bool = False, config: Mapping[str, Any] | None = None
) -> Preset:
    """The preset called `name`, with MAX_GAIN_DB (default 24) as its gain cap; the settings
    are `config`, or the app's."""
    cap = _settings(config).get("MAX_GAIN_DB")
    preset = get_preset(name, DEFAULT_MAX_GAIN_DB if cap is None else float(cap))
    return replace(preset, noise_reduction=True) if noise_reduction else preset


DEFAULT_MAX_TAKE_S = 3 * 3600.0


def configured_max_take_s(config: Mapping[str, Any] | None = None) -> float:
    """The longest take accepted (MAX_TAKE_SECONDS of `config` or the app's, default 3 h)."""
    limit = _settings(config).get("MAX_TAKE_SECONDS")
    return DEFAULT_MAX_TAKE_S if limit is None else float(limit)

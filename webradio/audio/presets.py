"""Loudness and encoding targets, as data chosen by name."""

from __future__ import annotations

from dataclasses import dataclass

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
    max_gain_db: float = 24.0


# -19 LUFS mono is heard as loud as -16 LUFS stereo (standards.md 5.1).
PRESETS: dict[str, Preset] = {
    "podcast": Preset(
        "podcast", channels=2, target_lufs=-16.0, max_true_peak_dbtp=-1.0, bitrate_kbps=128
    ),
    "voice": Preset(
        "voice", channels=1, target_lufs=-19.0, max_true_peak_dbtp=-1.0, bitrate_kbps=96
    ),
}


def get_preset(name: str) -> Preset:
    """The preset called `name`; WebradioError listing the choices otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise WebradioError(
            N_("Préréglage inconnu : %(name)s. Choix possibles : %(choices)s."),
            name=name,
            choices=", ".join(sorted(PRESETS)),
        ) from None

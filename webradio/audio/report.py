"""The take's analysis told to a class in plain French, with the figures for teachers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webradio.errors import N_


def _decimal(value: float) -> str:
    """One decimal, with the reader's separator (42,5 in French, 42.5 in English)."""
    from flask import has_request_context

    if not has_request_context():
        return f"{value:.1f}".replace(".", ",")
    from flask_babel import format_decimal

    return str(format_decimal(round(value, 1), "0.0"))


GOOD = N_("Le son est bon : rien à corriger pour la prochaine prise.")
# What the speech detector found, said to the teacher next to the time it heard voices.
KINDS = {
    "speech": N_("de la parole, repérée par le détecteur de voix"),
    "speech_music": N_("de la parole sur de la musique (ou du chant)"),
    "music": N_("de la musique, sans voix : gardée telle quelle"),
    "noise": N_("aucune voix ni musique : seulement du bruit"),
}


# Music without voices is kept as it is: brought to the podcast's volume as a whole, its
# quiet and loud passages untouched.
MUSIC_VOLUME = N_("une musique est mise au volume du podcast, d'un bloc")
MUSIC_RANGE = N_("entre passages calmes et forts ; gardé tel quel dans une musique")


@dataclass(frozen=True)
class Figure:
    """One measured figure: a French label, a value with its unit, and what it means."""

    label: str
    value: str
    hint: str


@dataclass(frozen=True)
class TakeReport:
    """Advice for the class (French sentences, to translate) and figures for the teacher."""

    advice: tuple[tuple[str, dict[str, Any]], ...]  # (message, its fields)
    figures: tuple[Figure, ...]
    good: bool


def _seconds(value: float) -> str:
    """A duration as people read it: 42,5 s (42.5 s in English) or 3 min 05 s."""
    if value < 60:
        return f"{_decimal(value)} s"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes} min {seconds:02d} s"


def _db(value: float | None, unit: str) -> str:
    """A level with its unit, in the reader's decimals."""
    return "—" if value is None else f"{_decimal(value)} {unit}"


def take_report(analysis: dict[str, Any]) -> TakeReport:
    """The report of a stored analysis (Take.analysis)."""
    advice = tuple((str(w["message"]), w.get("params") or {}) for w in analysis.get("warnings", ()))
    floor = analysis.get("noise_floor_db")
    kind = analysis.get("kind", "speech")
    music = kind == "music"
    figures: tuple[Figure, ...] = (
        Figure(N_("Durée"), _seconds(analysis["duration_s"]), N_("toute la prise")),
        Figure(
            N_("Voix entendues"),
            _seconds(analysis.get("speech_s", 0.0)),
            KINDS.get(kind, KINDS["speech"]),
        ),
        Figure(
            N_("Volume moyen"),
            _db(analysis["integrated_lufs"], "LUFS"),
            MUSIC_VOLUME if music else N_("une voix bien enregistrée est entre -30 et -14"),
        ),
        Figure(
            N_("Crête"),
            _db(analysis["true_peak_dbtp"], "dBTP"),
            N_("à 0, le son sature"),
        ),
        Figure(
            N_("Saturation"),
            _seconds(analysis.get("clipped_s", 0.0)),
            # Tenths of a second whose loudest sample is at the top: how long the saturated
            # passages last (a clipped word), not the time the samples themselves sit there.
            N_("durée des passages où le son touche le maximum"),
        ),
        Figure(
            N_("Bruit de fond"),
            _db(floor, "LUFS"),
            N_("le plus bas possible : au moins 20 sous le volume moyen"),
        ),
        Figure(
            N_("Sans voix au début / à la fin"),
            f"{_seconds(analysis['leading_silence_s'])} / "
            f"{_seconds(analysis['trailing_silence_s'])}",
            N_(
                "coupé automatiquement, sauf 0,25 s avant la première voix et 0,5 s après la "
                "dernière ; aucune parole n'est coupée"
            ),
        ),
        Figure(
            N_("Plus longue pause"),
            _seconds(analysis.get("longest_pause_s", 0.0)),
            N_("gardée dans l'épisode ; à couper au montage si besoin"),
        ),
        Figure(
            N_("Écart de volume"),
            _db(analysis.get("lra_lu"), "LU"),
            MUSIC_RANGE if music else N_("entre passages calmes et forts ; nivelé au rendu"),
        ),
    )
    if music:  # no voice, so no pause between voices
        figures = tuple(f for f in figures if f.label != "Plus longue pause")
    return TakeReport(advice or ((GOOD, {}),), figures, not advice)

"""The take report's figures fit what the take is: a real trumpet solo (music, no voice) is
not told about voices' levels, pauses between voices or a levelled range, which it does not get."""

from __future__ import annotations

from pathlib import Path

from webradio.audio.analyse import analyse
from webradio.audio.ffmpeg import find_ffmpeg
from webradio.audio.report import take_report

REAL = Path(__file__).parent / "real"


def test_a_music_take_is_reported_as_music() -> None:
    analysis = analyse(REAL / "music_trumpet_solo_22k.ogg", find_ffmpeg())
    assert analysis.kind == "music"
    report = take_report(analysis.to_dict())
    hints = {figure.label: figure.hint for figure in report.figures}
    assert "Plus longue pause" not in hints
    assert "voix" not in hints["Volume moyen"] and "nivelé au rendu" not in hints["Écart de volume"]
    speech = take_report(analyse(REAL / "fr_male_sentence_16k.wav", find_ffmpeg()).to_dict())
    assert "Plus longue pause" in {figure.label for figure in speech.figures}

"""The take's envelope as a JSON file: waveform peaks for the editor, loudness for the leveler.

Both series come from the analysis decode (ebur128's frame log), so drawing a waveform or
planning a leveler never decodes the take again. Every bucket is FRAME_S (0.1 s) long, enough
to place in and out points to the tenth of a second.
"""

from __future__ import annotations

import json
import math
from array import array
from pathlib import Path
from typing import Any

from webradio.audio.analyse import Envelope

FORMAT_VERSION = 1


def to_linear(db: float) -> float:
    """A peak level in dB as an amplitude between 0 and 1 (rounded for a small file)."""
    if not math.isfinite(db):
        return 0.0
    return round(min(1.0, 10 ** (db / 20)), 3)


def to_json(envelope: Envelope, duration_s: float) -> dict[str, Any]:
    """The envelope as the peaks document served to the editor and the player.

    `min` and `max` are the bucket's lowest and highest sample values on the -1..1 scale;
    ebur128 gives the absolute (true) peak of each bucket, so they are its mirror images.
    """
    highs = [to_linear(float(db)) for db in envelope.peak_db]
    return {
        "version": FORMAT_VERSION,
        "step_s": envelope.step_s,
        "duration_s": duration_s,
        "min": [-h for h in highs],
        "max": highs,
        "loudness_lufs": [round(float(v), 1) for v in envelope.momentary],
    }


def from_json(data: dict[str, Any]) -> Envelope:
    """The envelope back from its document (what the leveler needs)."""
    peaks = [20 * math.log10(h) if h > 0 else -120.0 for h in data["max"]]
    return Envelope(
        array("f", data["loudness_lufs"]), array("f", peaks), float(data.get("step_s", 0.1))
    )


def write(path: Path, envelope: Envelope, duration_s: float) -> Path:
    """Write the peaks document to path (compact JSON)."""
    path.write_text(json.dumps(to_json(envelope, duration_s), separators=(",", ":")))
    return path


def read(path: Path) -> Envelope:
    """Read a peaks document written by write()."""
    return from_json(json.loads(path.read_text()))

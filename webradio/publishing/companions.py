"""What travels beside a master: Podcasting 2.0 chapters, transcripts and QR codes (pure)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import segno

CHAPTERS_VERSION = "1.2.0"
VTT_TYPE = "text/vtt"
TEXT_TYPE = "text/plain"


@dataclass(frozen=True)
class ChapterMark:
    """One chapter of a master: its title and bounds in seconds."""

    title: str
    start_s: float
    end_s: float | None = None


@dataclass(frozen=True)
class Transcript:
    """A transcript as served: its bytes, media type and file extension."""

    body: bytes
    media_type: str
    extension: str


def chapter_marks(chapters_json: str | None) -> tuple[ChapterMark, ...]:
    """The stored list of `{title, start_s, end_s, part_id?}` as marks, in time order."""
    if not chapters_json:
        return ()
    # Jingle spans are stored beside the chapters (a re-edit may cut them) but are no chapter.
    raw = [e for e in json.loads(chapters_json) if isinstance(e, dict) and "jingle_id" not in e]
    marks = [
        ChapterMark(
            str(entry.get("title") or "").strip() or f"Partie {number}",
            max(0.0, float(entry.get("start_s") or 0.0)),
            float(entry["end_s"]) if entry.get("end_s") is not None else None,
        )
        for number, entry in enumerate(raw, start=1)
    ]
    return tuple(sorted(marks, key=lambda mark: mark.start_s))


def chapters_document(marks: Sequence[ChapterMark]) -> bytes:
    """The Podcasting 2.0 JSON chapters file (version 1.2.0); the same marks give the same bytes."""
    chapters = []
    for mark in marks:
        entry: dict[str, object] = {"startTime": round(mark.start_s, 3), "title": mark.title}
        if mark.end_s is not None:
            entry["endTime"] = round(mark.end_s, 3)
        chapters.append(entry)
    document = {"version": CHAPTERS_VERSION, "chapters": chapters}
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def transcript_of(text: str | None) -> Transcript | None:
    """A typed transcript: WebVTT when it says so in its first line, else plain text."""
    if not text or not text.strip():
        return None
    normalised = text.replace("\r\n", "\n").replace("\r", "\n").strip() + "\n"
    if normalised.lstrip("\ufeff").startswith("WEBVTT"):
        return Transcript(normalised.encode("utf-8"), VTT_TYPE, "vtt")
    return Transcript(normalised.encode("utf-8"), TEXT_TYPE, "txt")


def qr_svg(data: str, title: str) -> str:
    """An inline SVG QR code (error level M) for `data`, with an accessible title.

    The SVG has a viewBox in modules (the 4-module quiet zone included) and a default size of
    4 px per module, so CSS may scale it to any width without cutting an edge, on screen and in
    print; crisp edges keep the modules square when the scale is not a whole number.
    """
    quiet_zone = 4  # modules of white around the code, as ISO/IEC 18004 asks
    code = segno.make(data, error="m", micro=False)
    width, height = code.symbol_size(scale=4, border=quiet_zone)
    svg: str = code.svg_inline(
        scale=1,
        border=quiet_zone,
        omitsize=True,
        title=title,
        svgclass="qr",
        lineclass=None,
        dark="#000",
        light="#fff",
    )
    attributes = (
        f'<svg role="img" width="{width}" height="{height}" shape-rendering="crispEdges" '
        'preserveAspectRatio="xMidYMid meet" '
    )
    return svg.replace("<svg ", attributes, 1)

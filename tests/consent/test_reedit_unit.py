"""The re-edit's arithmetic and ffmpeg command, as data (no ffmpeg needed)."""

from __future__ import annotations

from webradio.reedit import Segment, kept_spans, on_new_timeline


def segment(start: float, end: float, cut: bool) -> Segment:
    """A chapter of the master."""
    return Segment("", start, end, None, cut)


def test_kept_spans_leave_out_cut_chapters_and_keep_gaps_and_jingles() -> None:
    segments = [segment(2.0, 5.0, False), segment(5.0, 9.0, True), segment(9.0, 12.0, False)]
    spans = kept_spans(segments, 14.0)  # 0-2: intro jingle; 12-14: outro
    assert spans == [(0.0, 5.0), (9.0, 14.0)]
    assert on_new_timeline(9.0, spans) == 5.0
    assert on_new_timeline(12.0, spans) == 8.0
    assert kept_spans([segment(0.0, 4.0, True), segment(4.0, 8.0, False)], 8.0) == [(4.0, 8.0)]

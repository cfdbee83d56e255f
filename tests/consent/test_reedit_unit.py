"""The re-edit's arithmetic and ffmpeg command, as data (no ffmpeg needed)."""

from __future__ import annotations

from pathlib import Path

from webradio.reedit import Segment, build_cut_command, kept_spans, on_new_timeline


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


def test_the_cut_command_trims_fades_and_joins_each_span() -> None:
    argv = build_cut_command(
        "ffmpeg", Path("in.mp3"), [(0.0, 5.0), (9.0, 14.0)], Path("o.mp3"), 96, 1
    )
    graph = argv[argv.index("-filter_complex") + 1]
    assert "atrim=start=0.000:end=5.000" in graph and "atrim=start=9.000:end=14.000" in graph
    assert graph.count("afade=t=in") == 2 and graph.count("afade=t=out:st=4.950:d=0.050") == 2
    assert graph.endswith("[s0][s1]concat=n=2:v=0:a=1[out]")
    assert argv[argv.index("-b:a") + 1] == "96k" and argv[argv.index("-ac") + 1] == "1"
    assert "-map_metadata" in argv and argv[-1] == "o.mp3"

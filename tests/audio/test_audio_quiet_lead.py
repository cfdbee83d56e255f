"""A very quiet take whose first sound is not speech: what the leading trim may cut (issue 11).

`en_male_very_quiet_long_pauses_16k.wav` (tests/audio/real/SOURCES.md) is 50 s at -47.5 LUFS:
room tone with clicks until 7.0 s, then a 5 s burst of tonal sound in the voice band that the
speech detector does not call speech, then speech from 26.5 s. The trim is judged here by a
measure the pipeline does not use: the level in the voice band (300-3400 Hz) every 0.1 s.
"""

from __future__ import annotations

import re
import statistics
import subprocess
from pathlib import Path

import pytest
from audio_judge import REAL, judge

from webradio.audio import span, vad
from webradio.audio.ffmpeg import FfmpegBinary
from webradio.audio.pipeline import ProcessReport, process
from webradio.audio.presets import PRESETS

PODCAST = PRESETS["podcast"]
TAKE = REAL / "en_male_very_quiet_long_pauses_16k.wav"
FRAME_S = 0.1
# Sound is a run of at least SOUND_MIN_S of frames SOUND_ABOVE_DB over the band's median level
# (more than half of this take is room tone); a click is shorter.
SOUND_ABOVE_DB = 6.0
SOUND_MIN_S = 0.3
LEAD_KEPT_S = 0.5


def band_levels(path: Path, ffmpeg_path: str) -> list[float]:
    """RMS level (dBFS) of the 300-3400 Hz band in every 0.1 s of the file (astats)."""
    done = subprocess.run(
        [ffmpeg_path, "-hide_banner", "-nostats", "-nostdin", "-i", str(path), "-af",
         "aformat=channel_layouts=mono:sample_rates=16000,highpass=f=300,lowpass=f=3400,"
         "asetnsamples=n=1600,astats=metadata=1:reset=1,"
         "ametadata=print:key=lavfi.astats.Overall.RMS_level:file=-", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    values = re.findall(r"RMS_level=(\S+)", done.stdout)
    return [-200.0 if v == "-inf" else float(v) for v in values]


def sound_runs(levels: list[float]) -> list[tuple[float, float]]:
    """Where the band holds sound: (start, end) in seconds of each run loud enough and long."""
    floor = statistics.median(levels)
    runs: list[tuple[float, float]] = []
    start = None
    for index, value in enumerate([*levels, -200.0]):
        if value >= floor + SOUND_ABOVE_DB and start is None:
            start = index
        elif value < floor + SOUND_ABOVE_DB and start is not None:
            if (index - start) * FRAME_S >= SOUND_MIN_S - 1e-9:
                runs.append((round(start * FRAME_S, 1), round(index * FRAME_S, 1)))
            start = None
    return runs


@pytest.fixture(scope="module")
def processed(
    tmp_path_factory: pytest.TempPathFactory, ffmpeg_bin: FfmpegBinary
) -> tuple[ProcessReport, Path, list[tuple[float, float]]]:
    """The take processed once, its master, and where its band holds sound."""
    out = tmp_path_factory.mktemp("quiet_lead") / "master.mp3"
    report = process(TAKE, out, PODCAST, ffmpeg_bin)
    return report, out, sound_runs(band_levels(TAKE, ffmpeg_bin.path))


def test_the_leading_trim_cuts_room_tone_only(processed) -> None:  # type: ignore[no-untyped-def]
    report, _, runs = processed
    first_sound = runs[0][0]
    assert first_sound == pytest.approx(7.0, abs=0.2)  # the measure itself, as found by hand
    # Nothing sounding is cut, and at most half a second of room tone is left before it.
    assert report.trimmed_start_s <= first_sound
    assert report.trimmed_start_s >= first_sound - LEAD_KEPT_S - FRAME_S
    last_sound = runs[-1][1]
    assert report.duration_s >= last_sound - report.trimmed_start_s - 0.1


def test_a_take_that_needs_more_than_the_cap_is_finished_at_it(  # type: ignore[no-untyped-def]
    processed, ffmpeg_bin: FfmpegBinary
) -> None:
    report, out, runs = processed
    # Its sound alone measures -44 LUFS (mono): -16 LUFS stereo needs +25 dB, past the +24 cap.
    codes = {w.code for w in report.warnings}
    assert report.input_lufs < -40.0
    assert "gain_capped" in codes and report.gain_db == PODCAST.max_gain_db
    judged = judge(out, ffmpeg_bin.path)
    # The whole cap is used (+24 dB, and +3 LU for a mono take on two channels).
    assert judged.integrated_lufs >= report.input_lufs + PODCAST.max_gain_db + 3.0 - 1.0
    assert judged.true_peak_dbtp <= -1.0


def test_a_kept_sound_is_kept_from_where_it_rises_out_of_the_room_tone() -> None:
    # Room tone at -57 LUFS, then a sound 4 LU over it for a second, then loud, then speech.
    momentary = [-57.0] * 70 + [-53.0] * 10 + [-44.0] * 20 + [-57.0] * 30 + [-40.0] * 40
    speech = [vad.Segment(13.0, 17.0)]
    mask = vad.frame_mask(speech, len(momentary), FRAME_S)
    found = span.sound_span(momentary, FRAME_S, speech, mask, "speech", -47.0, -40.0, 17.0)
    # The quiet rise (from 7.0 s) is kept whole, with no more than half a second before it.
    assert 6.6 <= found.lead <= 7.0
    # A frame of room tone 3 LU up, alone and far from any sound, is not sound.
    momentary[20] = -53.0
    again = span.sound_span(momentary, FRAME_S, speech, mask, "speech", -47.0, -40.0, 17.0)
    assert again.lead == found.lead

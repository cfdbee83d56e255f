"""Real recordings and classroom arrangements of them, judged on the MP3 (issue 11).

Every master is read back by ffmpeg's own ebur128 (true peak on), its duration says whether
anything was cut, and the loudness of each speaker's stretch whether the leveller did its work.
The arrangements are built here with ffmpeg from the short real clips in tests/audio/real
(SOURCES.md there), not committed.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from audio_judge import BASE, REAL, judge

from webradio.audio.analyse import Analysis, analyse, check_has_sound
from webradio.audio.ffmpeg import FfmpegBinary, FfmpegTimeout, run_ffmpeg
from webradio.audio.pipeline import ProcessReport, process
from webradio.audio.presets import PRESETS
from webradio.errors import AudioError

PODCAST = PRESETS["podcast"]
# Where the speech is in each file, read with silencedetect at -45 dBFS (quiet files at -50):
# (first word, last word) in seconds. The master must hold all of it and little more.
SPEECH_SPANS = {
    "fr_male_sentence_16k.wav": (1.06, 6.17),
    "en_3speakers_with_pauses_16k.wav": (1.74, 19.26),
    "fr_female_read_continuous_48k.opus": (3.05, 21.0),
    "en_child_boy6_16k.wav": (0.30, 3.60),
    "en_child_girl6_hesitant_quiet_16k.wav": (0.29, 6.9),
    "en_male_counting_clipped_16k.wav": (0.0, 10.5),
    "fr_bonjour_30s_pause_clipped_16k.mp3": (0.0, 36.3),
    # Breath and desk bumps at -52 LUFS before 2.55 s; his first word is at 2.6 s.
    "en_male_laptop_mic_quiet_16k.wav": (2.55, 16.0),
}
LEAD_KEPT_S = 0.5
TAIL_KEPT_S = 1.0


def ebur128(path: Path, ffmpeg_path: str, start: float = 0.0, length: float | None = None) -> float:
    """Integrated loudness of a stretch of a file, read by ffmpeg's ebur128 (its regex)."""
    window = ["-ss", f"{start:.3f}"] + ([] if length is None else ["-t", f"{length:.3f}"])
    done = subprocess.run(
        [ffmpeg_path, "-hide_banner", "-nostats", "-nostdin", *window, "-i", str(path)]
        + ["-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(re.findall(r"^\s+I:\s+(\S+) LUFS", done.stderr, re.M)[-1])


def ebur128_log(path: Path, ffmpeg_path: str, peak: str = "true") -> str:
    """ffmpeg's log of ebur128 over a whole file (its summary's I and Peak lines)."""
    return subprocess.run(
        [ffmpeg_path, "-hide_banner", "-nostats", "-i", str(path)]
        + ["-af", f"ebur128=peak={peak}", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr


def side_peak_db(path: Path, ffmpeg_path: str) -> float:
    """The sample peak of left minus right (-inf: the two channels are the same)."""
    done = subprocess.run(
        [ffmpeg_path, "-hide_banner", "-nostats", "-nostdin", "-i", str(path)]
        + ["-af", "pan=mono|c0=c0-c1,astats=measure_perchannel=none", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "stereo" in re.findall(r"Stream #0:0.*Audio: (.*)", done.stderr)[0]
    return float(re.findall(r"Peak level dB: (\S+)", done.stderr)[-1])


def stereo_graph(right: str | None) -> str:
    """A filter graph putting a mono input on two channels, the right one through `right`."""
    return (
        f"[0:a]asplit=2[l][r];[r]{right or 'anull'}[r2];[l][r2]join=inputs=2:channel_layout=stereo"
    )


def run(argv_tail: list[str], ffmpeg_bin: FfmpegBinary) -> None:
    """Run ffmpeg with the common options."""
    run_ffmpeg([ffmpeg_bin.path, *BASE, *argv_tail])


def check_master(report: ProcessReport, out: Path, ffmpeg_bin: FfmpegBinary, speech_s: float):  # type: ignore[no-untyped-def]
    """The promises every master keeps: target, true peak, nothing cut, little silence left."""
    judged = judge(out, ffmpeg_bin.path)
    codes = {w.code for w in report.warnings}
    assert judged.true_peak_dbtp <= -1.0
    if "gain_capped" not in codes:
        assert abs(judged.integrated_lufs - PODCAST.target_lufs) <= 1.0
    assert judged.duration_s >= speech_s - 0.1  # no word cut
    assert judged.duration_s <= speech_s + LEAD_KEPT_S + TAIL_KEPT_S + 0.3
    return judged


@pytest.mark.parametrize("name", sorted(SPEECH_SPANS))
def test_real_speech_is_kept_whole_at_target(
    name: str, ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    first, last = SPEECH_SPANS[name]
    out = tmp_path / "master.mp3"
    report = process(REAL / name, out, PODCAST, ffmpeg_bin)
    print(name, report.to_json())
    check_master(report, out, ffmpeg_bin, last - first)
    # Filtered in mono, doubled after the limiter: the podcast's two channels are the same.
    assert side_peak_db(out, ffmpeg_bin.path) == float("-inf")
    codes = {w.code for w in report.warnings}
    # Every one of these is between -40 and -10 LUFS: the target is reached within the cap (the
    # quieter ones below: -45 and -61 LUFS, finished at the cap and flagged).
    assert "gain_capped" not in codes
    assert report.trimmed_start_s <= first + 0.05
    if "clipped" in name:
        assert "clipping" in codes  # clipped at source, said so


def test_far_too_quiet_speech_is_kept_and_flagged(ffmpeg_bin: FfmpegBinary, tmp_path: Path) -> None:
    # Real speech at -61 LUFS (peak -47.7 dBFS): an absolute silence gate would delete it all.
    report = process(
        REAL / "fr_female_read_very_quiet_48k.opus", tmp_path / "m.mp3", PODCAST, ffmpeg_bin
    )
    codes = {w.code for w in report.warnings}
    assert {"too_quiet", "gain_capped"} <= codes
    assert report.duration_s > 6.0


@pytest.mark.parametrize(
    "name",
    [
        "noise_cafe_crowd_44k.wav",
        "noise_exercise_bike_16k_first12s.wav",
        "noise_kitchen_dishes_16k_first15s.wav",
    ],
)
def test_noise_only_is_refused(name: str, ffmpeg_bin: FfmpegBinary, tmp_path: Path) -> None:
    with pytest.raises(AudioError) as caught:
        process(REAL / name, tmp_path / "m.mp3", PODCAST, ffmpeg_bin)
    assert caught.value.code == "room_tone"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name", ["music_trumpet_solo_22k.ogg", "fr_short_phrase_44k.aiff", "zh_1s_quiet_48k.flac"]
)
def test_music_and_short_speech_are_never_refused(
    name: str, ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    out = tmp_path / "m.mp3"
    report = process(REAL / name, out, PODCAST, ffmpeg_bin)
    judged = judge(out, ffmpeg_bin.path)
    assert judged.true_peak_dbtp <= -1.0
    assert abs(judged.integrated_lufs - PODCAST.target_lufs) <= 1.0
    if name.startswith("music"):
        # The trumpet's 2 s decay rings on: most of it is kept.
        assert judged.duration_s >= 4.2
        assert "music" in {w.code for w in report.warnings}


# Classroom arrangements ----------------------------------------------------------------------

ROOM = "anoisesrc=c=pink:a=0.0008:r=48000:seed=5"


def voice(name: str, lufs: float, start: float, end: float, label: str) -> str:
    """A filter chain taking [start, end] of a real clip (input by name) to `lufs`."""
    gains = {
        "fr_male_sentence_16k.wav": -18.7,
        "en_child_girl6_hesitant_quiet_16k.wav": -29.5,
        "en_child_boy6_16k.wav": -19.9,
        "en_child_girl6_16k.wav": -19.6,
        "fr_female_read_continuous_48k.opus": -23.5,
    }
    return (
        f"atrim={start}:{end},asetpts=PTS-STARTPTS,aformat=sample_fmts=flt:channel_layouts=mono,"
        f"aresample=48000,volume={lufs - gains[name]:.2f}dB[{label}]"
    )


def arrange(
    ffmpeg_bin: FfmpegBinary,
    out: Path,
    pieces: list[tuple[str, float, float, float] | float],
    room: bool = True,
) -> list[tuple[float, float]]:
    """Concatenate voice pieces (name, LUFS, start, end) and pauses (seconds) over room tone.

    Pauses are room tone (or digital zeros when `room` is False). Returns where each voice
    piece lies in the arrangement.
    """
    inputs: list[str] = []
    chains: list[str] = []
    labels: list[str] = []
    where: list[tuple[float, float]] = []
    clock = 0.0
    for index, piece in enumerate(pieces):
        label = f"p{index}"
        if isinstance(piece, float):
            chains.append(f"anullsrc=r=48000:cl=mono,atrim=0:{piece}[{label}]")
            clock += piece
        else:
            name, lufs, start, end = piece
            inputs += ["-i", str(REAL / name)]
            chains.append(f"[{len(inputs) // 2 - 1}:a]" + voice(name, lufs, start, end, label))
            where.append((clock, clock + end - start))
            clock += end - start
        labels.append(f"[{label}]")
    chains.append("".join(labels) + f"concat=n={len(labels)}:v=0:a=1[talk]")
    if room:
        chains.append(f"{ROOM},atrim=0:{clock:.3f}[room]")
        chains.append("[talk][room]amix=inputs=2:normalize=0:duration=first[out]")
    else:
        chains.append("[talk]anull[out]")
    run(
        [*inputs, "-filter_complex", ";".join(chains), "-map", "[out]"]
        + ["-c:a", "pcm_s16le", "-f", "wav", str(out)],
        ffmpeg_bin,
    )
    return where


def stretches_lufs(
    report: ProcessReport, out: Path, where: list[tuple[float, float]], ffmpeg_bin: FfmpegBinary
) -> list[float]:
    """Loudness in the master of each voice piece (its place shifted by the leading trim)."""
    return [
        ebur128(out, ffmpeg_bin.path, max(0.0, a - report.trimmed_start_s), b - a) for a, b in where
    ]


@pytest.fixture(scope="module")
def arranged(
    tmp_path_factory: pytest.TempPathFactory, ffmpeg_bin: FfmpegBinary
) -> Callable[[str], tuple[Path, list[tuple[float, float]], ProcessReport, Path]]:
    """Build, process (once per module) and return an arrangement by name."""
    made: dict[str, tuple[Path, list[tuple[float, float]], ProcessReport, Path]] = {}
    girl = "en_child_girl6_hesitant_quiet_16k.wav"
    man = "fr_male_sentence_16k.wav"
    reader = "fr_female_read_continuous_48k.opus"
    recipes: dict[str, tuple[list[tuple[str, float, float, float] | float], bool]] = {
        # A shy pupil at -40 LUFS, then a confident one at -16.
        "shy_then_confident": (
            [1.0, (girl, -40.0, 0.25, 6.95), 2.0, (man, -16.0, 1.0, 6.2), 1.0],
            True,
        ),
        "loud_soft_loud": (
            [
                0.8,
                (man, -16.0, 1.0, 6.2),
                1.5,
                (man, -38.0, 1.0, 6.2),
                1.5,
                (man, -16.0, 1.0, 6.2),
                0.8,
            ],
            True,
        ),
        # A noise-suppressed browser recording: its pauses are digital zeros.
        "digital_zero_pauses": (
            [
                0.4,
                ("en_child_boy6_16k.wav", -22.0, 0.25, 3.65),
                2.0,
                ("en_child_girl6_16k.wav", -24.0, 0.3, 7.1),
                2.0,
                ("en_child_boy6_16k.wav", -22.0, 0.25, 3.65),
                0.3,
            ],
            False,
        ),
        # A minute of continuous talk, no pause at either end.
        "minute_of_talk": ([(reader, -24.0, 3.05, 21.0)] * 3 + [(reader, -24.0, 3.05, 9.0)], True),
    }

    def make(name: str) -> tuple[Path, list[tuple[float, float]], ProcessReport, Path]:
        if name not in made:
            folder = tmp_path_factory.mktemp(name)
            take = folder / "take.wav"
            pieces, room = recipes[name]
            where = arrange(ffmpeg_bin, take, pieces, room)
            out = folder / "master.mp3"
            report = process(take, out, PODCAST, ffmpeg_bin)
            made[name] = (take, where, report, out)
        return made[name]

    return make


def test_a_shy_voice_is_levelled_with_the_confident_one(arranged, ffmpeg_bin: FfmpegBinary) -> None:  # type: ignore[no-untyped-def]
    take, where, report, out = arranged("shy_then_confident")
    check_master(report, out, ffmpeg_bin, where[-1][1] - where[0][0])
    shy_in, bold_in = (ebur128(take, ffmpeg_bin.path, a, b - a) for a, b in where)
    shy, bold = stretches_lufs(report, out, where, ffmpeg_bin)
    print(report.to_json(), shy_in, bold_in, shy, bold)
    assert bold_in - shy_in > 20
    assert abs(shy - bold) <= 3.0
    # Nothing of the shy voice trimmed as "silence", and no "long silence" about it.
    assert report.trimmed_start_s <= where[0][0] + 0.05
    codes = {w.code: w.text for w in report.warnings}
    assert "long_pause" not in codes
    # The report says where the shy voice is (it starts at 1 s, the confident one at 9 s).
    assert "quiet_voice" in codes and "0:0" in codes["quiet_voice"]
    assert "0:09" not in codes["quiet_voice"] and "0:1" not in codes["quiet_voice"]
    # The 2 s pause between them is not raised relative to the confident voice.
    gap_in = ebur128(take, ffmpeg_bin.path, where[0][1] + 0.3, 1.4)
    gap_out = ebur128(out, ffmpeg_bin.path, where[0][1] + 0.3 - report.trimmed_start_s, 1.4)
    assert (bold - gap_out) >= (bold_in - gap_in) - 3.0


def test_loud_soft_loud_meets_in_the_middle(arranged, ffmpeg_bin: FfmpegBinary) -> None:  # type: ignore[no-untyped-def]
    take, where, report, out = arranged("loud_soft_loud")
    check_master(report, out, ffmpeg_bin, where[-1][1] - where[0][0])
    levels = stretches_lufs(report, out, where, ffmpeg_bin)
    print(report.to_json(), levels)
    assert max(levels) - min(levels) <= 3.0


def test_pauses_of_digital_zeros_are_kept(arranged, ffmpeg_bin: FfmpegBinary) -> None:  # type: ignore[no-untyped-def]
    take, where, report, out = arranged("digital_zero_pauses")
    judged = check_master(report, out, ffmpeg_bin, where[-1][1] - where[0][0])
    levels = stretches_lufs(report, out, where, ffmpeg_bin)
    assert max(levels) - min(levels) <= 3.0
    assert judged.duration_s >= where[-1][1] - where[0][0]


def test_a_minute_of_continuous_talk_loses_nothing(arranged, ffmpeg_bin: FfmpegBinary) -> None:  # type: ignore[no-untyped-def]
    take, where, report, out = arranged("minute_of_talk")
    total = where[-1][1]
    assert total > 59.0
    judged = check_master(report, out, ffmpeg_bin, total)
    assert report.trimmed_start_s <= 0.05 and judged.duration_s >= total - 0.1


def test_a_music_bed_is_kept_from_its_first_note(ffmpeg_bin: FfmpegBinary, tmp_path: Path) -> None:
    # Two seconds of trumpet, then a voice over it; the trumpet rings out after the voice.
    take = tmp_path / "bed.wav"
    run(
        ["-stream_loop", "3", "-i", str(REAL / "music_trumpet_solo_22k.ogg")]
        + ["-i", str(REAL / "fr_male_sentence_16k.wav"), "-filter_complex"]
        + [
            "[0:a]aresample=48000,aformat=channel_layouts=mono,volume=-10dB,atrim=0:12[bed];"
            "[1:a]aresample=48000,atrim=1.0:6.2,asetpts=PTS-STARTPTS,adelay=2000:all=1[v];"
            "[bed][v]amix=inputs=2:normalize=0:duration=first[out]",
            "-map",
            "[out]",
            "-c:a",
            "pcm_s16le",
            "-f",
            "wav",
            str(take),
        ],
        ffmpeg_bin,
    )
    out = tmp_path / "m.mp3"
    report = process(take, out, PODCAST, ffmpeg_bin)
    judged = judge(out, ffmpeg_bin.path)
    print(report.to_json())
    assert report.trimmed_start_s <= 0.1
    assert judged.true_peak_dbtp <= -1.0
    assert abs(judged.integrated_lufs - PODCAST.target_lufs) <= 1.0
    assert judged.duration_s >= 11.0


# Quiet takes, the report's truth, bounded work ------------------------------------------------


@pytest.mark.parametrize("lufs", [-39.0, -11.0])
def test_a_take_between_minus_40_and_minus_10_reaches_the_target(
    lufs: float, ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    take = tmp_path / "take.wav"
    arrange(ffmpeg_bin, take, [0.5, ("fr_male_sentence_16k.wav", lufs, 1.0, 6.2), 0.5], room=False)
    out = tmp_path / "m.mp3"
    report = process(take, out, PODCAST, ffmpeg_bin)
    judged = judge(out, ffmpeg_bin.path)
    print(lufs, report.to_json())
    assert "gain_capped" not in {w.code for w in report.warnings}
    assert abs(judged.integrated_lufs - PODCAST.target_lufs) <= 1.0
    assert judged.true_peak_dbtp <= -1.0


def test_a_sine_is_neither_clipping_nor_noisy(ffmpeg_bin: FfmpegBinary, tmp_path: Path) -> None:
    take = tmp_path / "sine.wav"
    # 1 kHz at full scale (peak 0 dBFS), then at -20 dBFS: a clean test tone.
    run(
        ["-f", "lavfi", "-i", "sine=f=1000:r=44100:d=8,volume=18.06dB"]
        + ["-c:a", "pcm_s16le", "-f", "wav", str(take)],
        ffmpeg_bin,
    )
    analysis = analyse(take, ffmpeg_bin)
    check_has_sound(analysis)  # not refused
    codes = {w.code for w in analysis.warnings}
    assert "clipping" not in codes and "noisy" not in codes
    assert analysis.kind == "music"


def test_a_long_pause_is_reported_by_what_the_detector_hears(
    ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    take = tmp_path / "take.wav"
    man = "fr_male_sentence_16k.wav"
    arrange(ffmpeg_bin, take, [0.5, (man, -20.0, 1.0, 6.2), 7.0, (man, -20.0, 1.0, 6.2), 0.5])
    analysis = analyse(take, ffmpeg_bin)
    pauses = [w for w in analysis.warnings if w.code == "long_pause"]
    assert len(pauses) == 1 and "7 s" in pauses[0].text
    assert analysis.longest_pause_s == pytest.approx(7.0, abs=0.6)
    # Stored as its sentence and its figure, filled where it is shown (in the reader's language).
    stored = Analysis.from_dict(json.loads(json.dumps(analysis.to_dict())))
    assert [w.to_dict() for w in stored.warnings] == [w.to_dict() for w in analysis.warnings]
    assert "%(seconds).0f s" in pauses[0].message and pauses[0].params["seconds"] >= 6.4


def test_a_take_longer_than_the_limit_is_refused_before_it_is_decoded(
    ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    # A FLAC written to a pipe has no length in its header: only the decode can tell, and it
    # stops just past the limit (a decompression bomb costs at most the limit's decode).
    bomb = tmp_path / "bomb.flac"
    with bomb.open("wb") as handle:
        subprocess.run(
            [ffmpeg_bin.path, *BASE, "-f", "lavfi", "-i", "sine=f=440:r=8000:d=40"]
            + ["-c:a", "flac", "-f", "flac", "pipe:1"],
            stdout=handle,
            check=True,
        )
    with pytest.raises(AudioError) as caught:
        analyse(bomb, ffmpeg_bin, max_seconds=20.0)
    assert caught.value.code == "too_long"
    # Its length is not known (the decode stopped at the limit): it goes on past the limit.
    assert str(caught.value).startswith("Cet enregistrement dure plus de 20 s : ")
    assert "au plus 20 s" in str(caught.value)
    announced = tmp_path / "announced.wav"
    run(["-f", "lavfi", "-i", "sine=f=440:r=8000:d=30", "-f", "wav", str(announced)], ffmpeg_bin)
    with pytest.raises(AudioError) as caught:
        analyse(announced, ffmpeg_bin, max_seconds=20.0)
    assert caught.value.code == "too_long"
    assert str(caught.value).startswith("Cet enregistrement est trop long (30 s) : ")


def test_durations_are_said_as_people_say_them() -> None:
    from webradio.audio.analyse import spoken_duration

    assert [spoken_duration(s) for s in (20, 600, 10800, 21900)] == [
        "20 s",
        "10 min",
        "3 h",
        "6 h 05",
    ]


def test_every_ffmpeg_run_can_be_stopped(ffmpeg_bin: FfmpegBinary) -> None:
    # -re reads in real time: 100 s of audio cannot finish within half a second.
    with pytest.raises(FfmpegTimeout):
        run_ffmpeg(
            [ffmpeg_bin.path, *BASE, "-re", "-f", "lavfi", "-i", "anullsrc=d=100"]
            + ["-f", "null", "-"],
            timeout=0.5,
        )


def test_noise_reduction_lowers_the_room_not_the_voice(
    ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    import dataclasses

    take = tmp_path / "noisy.wav"
    man = "fr_male_sentence_16k.wav"
    where = arrange(
        ffmpeg_bin, take, [0.5, (man, -30.0, 1.0, 6.2), 3.0, (man, -30.0, 1.0, 6.2), 0.5]
    )
    louder_room = tmp_path / "noisier.wav"
    run(
        ["-i", str(take), "-f", "lavfi", "-i", "anoisesrc=c=white:a=0.004:r=48000:seed=9"]
        + ["-filter_complex", "[0:a][1:a]amix=inputs=2:normalize=0:duration=first[o]"]
        + ["-map", "[o]", "-c:a", "pcm_s16le", "-f", "wav", str(louder_room)],
        ffmpeg_bin,
    )
    figures = {}
    for clean in (False, True):
        preset = dataclasses.replace(PODCAST, noise_reduction=clean)
        out = tmp_path / f"m{clean}.mp3"
        report = process(louder_room, out, preset, ffmpeg_bin)
        start = report.trimmed_start_s
        voice_lufs = ebur128(out, ffmpeg_bin.path, where[0][0] - start, where[0][1] - where[0][0])
        room_lufs = ebur128(out, ffmpeg_bin.path, where[0][1] - start + 1.0, 1.0)
        figures[clean] = voice_lufs - room_lufs
        assert abs(judge(out, ffmpeg_bin.path).integrated_lufs - PODCAST.target_lufs) <= 1.0
    print(figures)
    assert figures[True] >= figures[False] + 6.0


def test_the_analysis_measures_a_stereo_take_as_ebur128_alone_does(
    take: Callable[[str], Path], ffmpeg_bin: FfmpegBinary
) -> None:
    # The speech detector's mono branch once leaked into the measured one (ffmpeg negotiated
    # mono up through asplit): a stereo take read 3 dB hot in true peak.
    path = take("wav16_stereo_48k")
    analysis = analyse(path, ffmpeg_bin)
    log = ebur128_log(path, ffmpeg_bin.path)
    assert analysis.integrated_lufs == float(re.findall(r"I:\s+(\S+) LUFS", log)[-1])
    # The analysis reads the true peak only around the loudest frames: within 0.3 dB of
    # ebur128's over the whole take, and never under its loudest sample.
    whole = float(re.findall(r"Peak:\s+(\S+) dBFS", log)[-1])
    assert abs(analysis.true_peak_dbtp - whole) <= 0.3
    assert analysis.envelope is not None
    assert analysis.true_peak_dbtp >= round(max(analysis.envelope.peak_db), 1)
    assert analysis.channels == 2


@pytest.mark.parametrize(
    ("seconds", "right", "same"),
    [
        (None, None, True),  # a mono microphone recorded as stereo
        (None, "volume=-2dB:enable='gte(t,3)'", False),
        (130, None, True),  # long enough to be analysed in two halves at once
        (130, "volume=-2dB:enable='gte(t,100)'", False),  # differs in the second half only
        (None, "pan=mono|c0=-1*c0", False),  # the same voice, out of phase
    ],
)
def test_the_analysis_tells_one_voice_on_two_channels_from_stereo(
    seconds: int | None, right: str | None, same: bool, ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    path = tmp_path / "take.wav"
    loop = [] if seconds is None else ["-stream_loop", "-1", "-t", str(seconds)]
    graph = stereo_graph(right)
    run([*loop, "-i", str(REAL / "fr_male_sentence_16k.wav"), "-filter_complex", graph]
        + ["-c:a", "pcm_s16le", str(path)], ffmpeg_bin)  # fmt: skip
    analysis = analyse(path, ffmpeg_bin)
    assert (analysis.channels, analysis.identical_channels) == (2, same)
    log = ebur128_log(path, ffmpeg_bin.path, "none")
    assert analysis.integrated_lufs == float(re.findall(r"I:\s+(\S+) LUFS", log)[-1])


def test_a_mono_take_is_measured_as_it_is_beside_the_channel_check(
    ffmpeg_bin: FfmpegBinary,
) -> None:
    # The left-minus-right branch asks for two channels, and ffmpeg once negotiated such a
    # request up through asplit into the measured branch (see vad.build_vad_branch). The
    # aresample in front of it is a precaution: without it this take also measured right here.
    mono = analyse(REAL / "fr_male_sentence_16k.wav", ffmpeg_bin)
    assert (mono.channels, mono.identical_channels) == (1, False)
    log = ebur128_log(REAL / "fr_male_sentence_16k.wav", ffmpeg_bin.path, "none")
    assert mono.integrated_lufs == float(re.findall(r"I:\s+(\S+) LUFS", log)[-1])


def test_an_inter_sample_peak_at_an_odd_rate_is_read_as_a_true_peak(
    ffmpeg_bin: FfmpegBinary, tmp_path: Path
) -> None:
    # A quarter-rate tone a quarter turn off its samples: every sample is at 0.707 of its crest,
    # so its true peak is 3 dB over its sample peak. A minute after a sentence (a take over
    # clipping.WHOLE_PEAK_READ_S, read in windows), at 11025 Hz (whose ebur128 frame, 1102
    # samples, is not 0.1 s).
    take = tmp_path / "over.wav"
    speech = REAL / "fr_male_sentence_16k.wav"
    run(
        ["-i", str(speech), "-f", "lavfi"]
        + ["-i", "aevalsrc=0.9*sin(2*PI*(11025/4)*t+PI/4):s=11025:d=0.3"]
        + [
            "-filter_complex",
            "[0:a]aresample=11025,volume=0.5,apad=pad_dur=64[s];"
            "[1:a]adelay=68500:all=1[b];[s][b]amix=inputs=2:normalize=0:duration=first[o]",
        ]
        + ["-map", "[o]", "-c:a", "pcm_f32le", "-f", "wav", str(take)],
        ffmpeg_bin,
    )
    analysis = analyse(take, ffmpeg_bin)
    log = ebur128_log(take, ffmpeg_bin.path, "sample+true")
    sample, whole = (float(v) for v in re.findall(r"Peak:\s+(\S+) dBFS", log)[-2:])
    assert whole >= sample + 2.5  # the tone's crest is between its samples
    assert analysis.sample_rate_hz == 11025
    assert abs(analysis.true_peak_dbtp - whole) <= 0.3

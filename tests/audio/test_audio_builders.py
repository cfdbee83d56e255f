"""ffmpeg argv builders and gain arithmetic, without running ffmpeg."""

from __future__ import annotations

from pathlib import Path

import pytest

from webradio.audio.analyse import Analysis, build_analysis_command
from webradio.audio.ffmpeg import parse_version
from webradio.audio.presets import PRESETS, get_preset
from webradio.audio.render import PartSource, build_render_command, part_gain_db, trim_window
from webradio.errors import WebradioError


def analysis(channels: int = 1, lufs: float = -25.0, **extra: float) -> Analysis:
    """A plausible analysis of a 20-second take."""
    fields: dict[str, float] = {
        "leading_silence_s": 2.0,
        "trailing_silence_s": 3.0,
        "active_s": 12.0,
    }
    fields.update(extra)
    return Analysis(
        duration_s=fields.pop("duration_s", 20.0),
        sample_rate_hz=48000,
        channels=channels,
        codec="opus",
        integrated_lufs=lufs,
        true_peak_dbtp=-6.0,
        lra_lu=6.0,
        noise_floor_db=-65.0,
        **fields,  # type: ignore[arg-type]
    )


def test_analysis_command_decodes_first_audio_stream_once() -> None:
    argv = build_analysis_command("/bin/ffmpeg", Path("in.bin"))
    assert argv[0] == "/bin/ffmpeg"
    assert argv.count("-i") == 1
    graph = argv[argv.index("-filter_complex") + 1]
    # The first audio stream, split: ebur128 logs the loudness every 0.1 s and astats the same
    # frames' sample peaks (the envelope; no 4x-oversampled true peak over the whole take); the
    # third hears where left and right differ; the last feeds the speech detector.
    assert graph.startswith("[0:a:0]asplit=4[m][p][d][v];[m]ebur128=framelog=info,anullsink;")
    assert "[d]aresample,aformat=channel_layouts=stereo,pan=mono|c0=c0-c1,silencedetect" in graph
    assert "peak=true" not in graph
    assert "[p]asetnsamples=n=4800:p=0,astats=metadata=1:reset=1:" in graph
    # ebur128's frame is rate / 10 samples, rounded down: the peaks' frames are the same.
    odd = build_analysis_command("/bin/ffmpeg", Path("in.bin"), sample_rate_hz=11025)
    assert "[p]asetnsamples=n=1102:p=0," in odd[odd.index("-filter_complex") + 1]
    # aresample first, so that the mono 16 kHz of this branch is not negotiated up into the
    # measured one.
    assert "[v]aresample=16000,aformat=sample_fmts=flt:channel_layouts=mono" in graph
    assert argv[argv.index("-map") + 1] == "[vad]"
    assert argv[-3:] == ["-f", "f32le", "pipe:1"]
    assert argv[argv.index("-stats_period") + 1] == "60" and "-hide_banner" in argv
    assert "ffprobe" not in " ".join(argv)


def test_render_command_shape() -> None:
    parts = [
        PartSource(Path("a.webm"), analysis(channels=1)),
        PartSource(Path("b.wav"), analysis(channels=2), in_s=1.0, out_s=15.0),
    ]
    argv = build_render_command(
        "ffmpeg",
        parts,
        PRESETS["podcast"],
        Path("out.mp3"),
        [6.0, -1.5],
        level_curves=[Path("/tmp/p0.f32"), None],
    )
    graph = argv[argv.index("-filter_complex") + 1]
    assert argv.count("-i") == 3  # two takes, one leveling curve
    assert argv[argv.index("/tmp/p0.f32") - 7 :][:7] == [
        "-f",
        "f32le",
        "-ar",
        "10",
        "-ac",
        "1",
        "-i",
    ]
    assert "[0:a:0]atrim=start=1.75:end=17.5" in graph
    assert (
        "[2:a]aresample=44100:filter_size=4:phase_shift=0:linear_interp=1,atrim=start=1.75" in graph
    )
    assert "[a0][g0]amultiply[p0]" in graph
    assert "[1:a:0]atrim=start=1.75:end=15.0" in graph
    assert graph.count("bandreject=f=50:width_type=q:w=20") == 2
    assert "bandreject=f=100:" in graph and "bandreject=f=150:" in graph
    assert "pan=stereo|c0=c0|c1=c0" in graph
    assert "volume=6.00dB" in graph and "volume=-1.50dB" in graph
    assert "highpass=f=80:precision=f32" in graph
    assert "[p0][p1]acrossfade=d=0.3:c1=tri:c2=tri[x1]" in graph
    assert "[x1]afade=t=in:d=0.05,afade=t=out:st=" in graph
    assert "alimiter=limit=0.7943:level=0" in graph
    assert "aresample=44100[out]" in graph
    pairs = dict(zip(argv, argv[1:], strict=False))
    assert pairs["-c:a"] == "libmp3lame"
    assert pairs["-b:a"] == "128k"
    assert pairs["-ar"] == "44100"
    assert pairs["-ac"] == "2"
    assert pairs["-map_metadata"] == "-1"
    assert pairs["-write_xing"] == "1"
    assert pairs["-map"] == "[out]"
    assert "-vn" in argv
    assert argv[-1] == "out.mp3"
    # A short master is read whole once written; past a minute it is measured in the graph,
    # on what the encoder receives.
    short = build_render_command("ffmpeg", parts, PRESETS["podcast"], "o.mp3", [0, 0], meter=True)
    assert "[meter]" not in short[short.index("-filter_complex") + 1]
    long = [PartSource(Path("c.wav"), analysis(duration_s=90.0))]
    metered = build_render_command("ffmpeg", long, PRESETS["podcast"], "o.mp3", [0], meter=True)
    graph = metered[metered.index("-filter_complex") + 1]
    # A mono take: measured before it is doubled, as the two channels it is encoded with.
    assert "aresample=44100,asplit=2[work][meter];[work]pan=stereo|c0=c0|c1=c0[out]" in graph
    # Its frames logged at ffmpeg's default level: the follower reads how far the encode is.
    assert "[meter]asplit=2[m][p];[m]ebur128=framelog=info:dualmono=true,anullsink;" in graph
    assert "peak=true" not in graph
    assert metered[-1] == "o.mp3"


def test_a_mono_take_is_filtered_mono_and_doubled_after_the_limiter() -> None:
    argv = build_render_command(
        "ffmpeg",
        [PartSource(Path("a.wav"), analysis(channels=1))],
        PRESETS["podcast"],
        "o.mp3",
        [3.0],
        level_curves=[Path("/tmp/p0.f32")],
    )
    graph = argv[argv.index("-filter_complex") + 1]
    # One channel through the cleanup, the gain, the curve and the limiter; two after it.
    assert graph.count("pan=stereo") == 1
    assert "channel_layouts=stereo" not in graph
    assert "latency=1,pan=stereo|c0=c0|c1=c0,aresample=44100[out]" in graph
    assert dict(zip(argv, argv[1:], strict=False))["-ac"] == "2"  # the master's, after the curve's
    # Past a minute, a master kept in its channels is measured as it is.
    for channels, preset in ((2, "podcast"), (1, "voice")):
        long = PartSource(Path("a.wav"), analysis(channels=channels, duration_s=90.0))
        argv = build_render_command("ffmpeg", [long], PRESETS[preset], "o.mp3", [3.0], meter=True)
        graph = argv[argv.index("-filter_complex") + 1]
        assert "asplit=2[out][meter]" in graph and "dualmono" not in graph


def test_two_identical_channels_are_filtered_as_one() -> None:
    same = PartSource(Path("a.wav"), analysis(channels=2, identical_channels=True))
    argv = build_render_command("ffmpeg", [same], PRESETS["podcast"], "o.mp3", [3.0])
    graph = argv[argv.index("-filter_complex") + 1]
    # Mixed to one before the cleanup, doubled after the limiter.
    assert "aformat=sample_fmts=fltp,pan=mono|c0=0.5*c0+0.5*c1,highpass=f=80" in graph
    assert "channel_layouts=stereo" not in graph
    assert "latency=1,pan=stereo|c0=c0|c1=c0,aresample=44100[out]" in graph
    # Beside a stereo take, both are filtered in stereo.
    other = PartSource(Path("b.wav"), analysis(channels=2))
    argv = build_render_command("ffmpeg", [same, other], PRESETS["podcast"], "o.mp3", [3.0, 0.0])
    graph = argv[argv.index("-filter_complex") + 1]
    assert "pan=" not in graph and graph.count("channel_layouts=stereo,volume") == 2


def test_voice_preset_downmixes_stereo() -> None:
    argv = build_render_command(
        "ffmpeg", [PartSource(Path("a"), analysis(channels=2))], get_preset("voice"), "o", [0.0]
    )
    graph = argv[argv.index("-filter_complex") + 1]
    assert "pan=mono|c0=0.5*c0+0.5*c1" in graph
    assert argv[argv.index("-ac") + 1] == "1"
    assert argv[argv.index("-b:a") + 1] == "96k"


def test_gain_corrects_for_channel_count_and_caps() -> None:
    podcast, voice = PRESETS["podcast"], PRESETS["voice"]
    assert part_gain_db(-25.0, 2, podcast) == (9.0, False)
    assert part_gain_db(-25.0, 1, podcast) == (6.0, False)
    assert part_gain_db(-25.0, 2, voice) == (9.0, False)
    assert part_gain_db(-50.0, 1, voice) == (24.0, True)
    assert part_gain_db(-50.0, 1, get_preset("voice", max_gain_db=12)) == (12.0, True)


def test_gated_loudness_follows_bs1770() -> None:
    from webradio.audio.level import gated_loudness

    assert gated_loudness([-20.0] * 10) == pytest.approx(-20.0)
    # Blocks under the absolute gate and 10 LU under the mean do not count.
    assert gated_loudness([-20.0] * 10 + [-80.0] * 50) == pytest.approx(-20.0)
    assert gated_loudness([-20.0] * 10 + [-35.0] * 10) == pytest.approx(-20.0)
    assert gated_loudness([-20.0] * 10 + [-26.0] * 10) == pytest.approx(-22.04, abs=0.01)


def test_leveler_plan_lifts_the_whisper_and_holds_the_pauses() -> None:
    from array import array

    from webradio.audio.analyse import Envelope
    from webradio.audio.level import MAX_BOOST_DB, plan

    # 10 s whisper (-40), 2 s pause (room at -70), 10 s shout (-12), every 0.1 s.
    levels = [-40.0] * 100 + [-70.0] * 20 + [-12.0] * 100
    envelope = Envelope(array("f", levels), array("f", [v + 12 for v in levels]))
    levelled = plan(envelope, -70.0, 0.0, 22.0)
    whisper, pause, shout = levelled.gains_db[50], levelled.gains_db[110], levelled.gains_db[170]
    # All the way to the mean speech level (-26), within the bounds: within 3 LU of each other.
    assert whisper == pytest.approx(14.0) and shout == pytest.approx(-14.0)
    assert max(levelled.gains_db) <= MAX_BOOST_DB
    # A 2 s pause between them is not raised: it gets the lower of its neighbours' gains.
    assert pause == pytest.approx(-14.0)
    assert levelled.predicted_lufs < -12.0
    curve = levelled.curve(225)
    assert len(curve) == 225 and curve[0] == pytest.approx(5.0119, abs=1e-3)  # +14 dB
    assert curve[224] == pytest.approx(10 ** (levelled.gains_db[-1] / 20), abs=1e-4)
    assert plan(envelope, -70.0, 0.0, 22.0, enabled=False).gains_db == (0.0,) * 220


def test_trim_keeps_a_little_room_and_respects_points() -> None:
    assert trim_window(PartSource(Path("a"), analysis())) == (1.75, 17.5)
    assert trim_window(PartSource(Path("a"), analysis(), in_s=5.0, out_s=9.0)) == (5.0, 9.0)
    untouched = analysis(leading_silence_s=0.0, trailing_silence_s=0.0)
    assert trim_window(PartSource(Path("a"), untouched)) == (0.0, 20.0)


def test_presets_and_versions() -> None:
    assert get_preset("podcast").target_lufs == -16.0
    assert get_preset("voice").channels == 1
    with pytest.raises(WebradioError, match="podcast, voice"):
        get_preset("radio")
    assert parse_version("ffmpeg version n9.0.2-17-g2a571b6068-20260930 Copyright") == (9, 0, 2)
    assert parse_version("ffmpeg version 5.1.9-0+deb12u1 Copyright (c)") == (5, 1, 9)
    assert parse_version("ffmpeg version N-112233-gabcdef") == ()


def test_analysis_round_trips_through_json() -> None:
    import json

    from webradio.audio.analyse import AudioWarning

    original = analysis()
    original = Analysis(**{**original.__dict__, "warnings": (AudioWarning("noisy", "Bruit"),)})
    assert Analysis.from_dict(json.loads(json.dumps(original.to_dict()))) == original


def test_clipping_reads_only_a_few_windows_at_the_top() -> None:
    from webradio.audio.clipping import WINDOWS, at_the_top, build_flat_command, clipped

    peaks = [-20.0] * 50 + [0.0] * 30 + [-6.0] * 20
    starts = at_the_top(peaks, 0.1)
    assert len(starts) == WINDOWS and starts[0] == pytest.approx(4.95)
    assert all(4.9 <= s <= 8.0 for s in starts)
    argv = build_flat_command("ffmpeg", "t.wav", starts[:2])
    assert argv.count("-i") == 2 and argv[argv.index("-ss") + 1] == "4.950"
    assert "concat=n=2:v=0:a=1,astats=" in argv[argv.index("-filter_complex") + 1]
    # Well over full scale is clipping without a look; nothing at the top, no look either.
    assert clipped(peaks, 0.1, 0.8, None, None)
    assert not clipped([-3.0] * 10, 0.1, -2.5, "t.wav", None)


def test_the_true_peak_is_read_around_the_loudest_frames_each_window_apart() -> None:
    from webradio.audio.clipping import PEAK_WINDOWS, build_true_peak_command, loudest

    peaks = [-30.0] * 3000
    peaks[100], peaks[101], peaks[2000] = -1.0, -1.5, -2.0  # 101 is inside 100's window
    for index in range(500, 500 + 10 * 20, 10):
        peaks[index] = -6.0
    starts = loudest(peaks, 0.1)
    assert len(starts) == PEAK_WINDOWS
    assert starts[0] == 9.8 and 200.0 - 0.2 in starts and 10.1 - 0.2 not in starts
    argv = build_true_peak_command("/bin/ffmpeg", Path("in.wav"), starts)
    assert argv.count("-i") == PEAK_WINDOWS and argv[argv.index("-t") + 1] == "0.5"
    # Each window is measured alone: no join between two windows reaches the meter.
    graph = argv[argv.index("-filter_complex") + 1]
    assert graph.count("ebur128=peak=true") == PEAK_WINDOWS and graph.endswith("concat=n=8:v=0:a=1")

"""Generated take kinds, bad inputs, and an independent judge of masters."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from webradio.audio.ffmpeg import FfmpegBinary, run_ffmpeg

BASE = ("-hide_banner", "-nostats", "-nostdin", "-y")
WAV = ("-c:a", "pcm_s16le", "-f", "wav")
WAV24 = ("-c:a", "pcm_s24le", "-f", "wav")


@dataclass(frozen=True)
class Case:
    """One input of the table: how it is made, and what must come of it.

    `expect` is "ok" (a master meeting every promise), "capped" (finished at the gain cap and
    flagged) or the AudioError code of a refusal. `make` names a bad-input recipe when the
    input is not synthesised speech.
    """

    file_name: str
    options: dict[str, float] = field(default_factory=dict)
    output_args: tuple[str, ...] = WAV
    expect: str = "ok"
    make: str = ""
    warnings: frozenset[str] = frozenset()
    seconds: float = 12.0


# The take's extension is never trusted; the content decides.
CASES: dict[str, Case] = {
    "wav16_mono_44k": Case("take.wav", {"channels": 1}),
    "wav16_stereo_48k": Case("take.wav", {"channels": 2, "sample_rate_hz": 48000}),
    "wav24_mono_8k": Case("take.wav", {"channels": 1, "sample_rate_hz": 8000}, WAV24),
    "wav24_5.1_96k": Case("take.wav", {"channels": 6, "sample_rate_hz": 96000}, WAV24),
    "mp3_stereo": Case(
        "take.mp3", {"channels": 2}, ("-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3")
    ),
    "m4a_aac_mono": Case("take.m4a", {"channels": 1}, ("-c:a", "aac", "-b:a", "96k", "-f", "mp4")),
    "ogg_opus_stereo": Case(
        "take.ogg",
        {"channels": 2, "sample_rate_hz": 48000},
        ("-c:a", "libopus", "-b:a", "64k", "-f", "ogg"),
    ),
    "webm_opus_mono": Case(
        "take.webm",
        {"channels": 1, "sample_rate_hz": 48000},
        ("-c:a", "libopus", "-b:a", "48k", "-f", "webm"),
    ),
    "flac_stereo": Case("take.flac", {"channels": 2}, ("-c:a", "flac", "-f", "flac")),
    "amr_nb": Case(
        "take.amr",
        {"channels": 1, "sample_rate_hz": 8000},
        ("-c:a", "libopencore_amrnb", "-b:a", "12.2k", "-f", "amr"),
    ),
    "video_mp4": Case("clip.mp4", make="video"),
    "mp3_named_wav": Case(
        "take.wav", {"channels": 1}, ("-c:a", "libmp3lame", "-b:a", "96k", "-f", "mp3")
    ),
    "quiet_mono": Case("take.wav", {"channels": 1, "speech_db": -32.0, "noise_db": -70.0}),
    # Loud enough to clip when written as integers: the limiter must catch it.
    "shout_clipped": Case(
        "take.wav",
        {"channels": 2, "speech_db": -6.0, "noise_db": -55.0},
        warnings=frozenset({"clipping"}),
    ),
    # A wide loudness range: the leveler brings the whisper up, the limiter holds the shout.
    "whisper_then_shout": Case(
        "take.wav",
        {"channels": 1, "speech_db": -38.0, "shout_db": -7.0, "noise_db": -75.0},
        warnings=frozenset({"clipping"}),
        seconds=16.0,
    ),
    "very_quiet_mono": Case(
        "take.wav",
        {"channels": 1, "speech_db": -47.0, "noise_db": -85.0},
        expect="capped",
        warnings=frozenset({"too_quiet"}),
    ),
    "header_claims_more": Case("long.wav", make="header_claims_more"),
    "one_second_clip": Case("clip.wav", make="one_second", seconds=1.0),
    "empty": Case("empty.wav", make="empty", expect="empty"),
    "text_named_mp3": Case("notes.mp3", make="text", expect="not_audio"),
    "wav_cut_in_header": Case("cut.wav", make="cut_header", expect="not_audio"),
    "digital_silence": Case("silence.wav", make="digital_silence", expect="silence"),
    "room_tone": Case("room.wav", make="room_tone", expect="room_tone"),
}


@dataclass(frozen=True)
class Judged:
    """An independent reading of a master."""

    integrated_lufs: float
    true_peak_dbtp: float
    sample_rate_hz: int
    duration_s: float
    leading_quiet_s: float
    trailing_quiet_s: float


def judge(path: Path, ffmpeg_path: str) -> Judged:
    """Decode a master afresh and read ebur128 and silencedetect with their own regexes."""
    done = subprocess.run(
        [ffmpeg_path, "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:a:0", "-af"]
        + ["ebur128=peak=true:framelog=verbose,silencedetect=n=-35dB:d=0.15", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    err = done.stderr
    integrated = float(re.findall(r"^\s+I:\s+(\S+) LUFS", err, re.M)[-1])
    peak = float(re.findall(r"^\s+Peak:\s+(\S+) dBFS", err, re.M)[-1])
    rate = int(re.search(r"Stream #0:0.*Audio: mp3.*?, (\d+) Hz", err).group(1))  # type: ignore[union-attr]
    clock = re.findall(r"time=(\d+):(\d+):([\d.]+)", err)[-1]
    duration = int(clock[0]) * 3600 + int(clock[1]) * 60 + float(clock[2])
    starts = [float(s) for s in re.findall(r"silence_start: (\S+)", err)]
    ends = [float(e) for e in re.findall(r"silence_end: (\S+)", err)]
    leading = ends[0] if starts and starts[0] <= 0.01 else 0.0
    trailing = (
        duration - starts[-1]
        if starts and len(ends) >= len(starts) and ends[-1] >= duration - 0.05
        else 0.0
    )
    return Judged(integrated, peak, rate, duration, leading, trailing)


def mp3val_problems(path: Path) -> list[str] | None:
    """mp3val's WARNING/PROBLEM lines about the file; None when mp3val is not installed."""
    tool = shutil.which("mp3val")
    if tool is None:
        return None
    done = subprocess.run([tool, str(path)], capture_output=True, text=True, check=False)
    return [
        line
        for line in done.stdout.splitlines()
        if line.startswith(("WARNING", "PROBLEM")) and "No supported tags" not in line
    ]


REAL = Path(__file__).parent / "real"
# A French woman reading continuously (FLEURS, CC BY 4.0): the voice of every generated take.
# Her speech runs from 2.9 s to 21 s at -23.5 LUFS; the takes read it from VOICE_FROM_S on,
# looped when they are longer (the loop brings her 5 s pause between readings).
VOICE = REAL / "fr_female_read_continuous_48k.opus"
VOICE_FROM_S = 3.0
VOICE_LUFS = -23.5


def speech(ffmpeg_bin: FfmpegBinary, path: Path, case: Case, **extra: object) -> None:
    """Write the case's take: a real voice at speech_db LUFS between room tone at noise_db.

    With shout_db, the second half of the talk is at that level (a whisper, then a shout),
    written as integers so that a loud enough shout clips as a real one does.
    """
    options = case.options
    seconds = float(extra.get("seconds", case.seconds))  # type: ignore[arg-type]
    lead = max(0.0, float(extra.get("lead_s", 2.5)))  # type: ignore[arg-type]
    tail = max(0.0, float(extra.get("tail_s", 2.5)))  # type: ignore[arg-type]
    talk = seconds - lead - tail
    rate = int(options.get("sample_rate_hz", 44100))
    gain = 10 ** ((options.get("speech_db", -22.0) - VOICE_LUFS) / 20)
    shout = options.get("shout_db")
    if shout is None:
        level = f"volume={gain:.6f}"
    else:
        loud = 10 ** ((shout - VOICE_LUFS) / 20)
        level = f"volume='if(lt(t,{talk / 2:.3f}),{gain:.6f},{loud:.6f})':eval=frame"
    noise = 10 ** (options.get("noise_db", -62.0) / 20) * 2
    graph = (
        f"[0:a]atrim=start={VOICE_FROM_S}:duration={talk:.3f},asetpts=PTS-STARTPTS,"
        f"aformat=sample_fmts=flt:channel_layouts=mono,aresample={rate},{level},"
        f"adelay={round(lead * 1000)}:all=1,apad=whole_dur={seconds}[v];"
        f"anoisesrc=c=pink:a={noise:.6f}:r={rate}:d={seconds}:seed=7[n];"
        "[v][n]amix=inputs=2:normalize=0:duration=shortest,asetpts=N/SR/TB[out]"
    )
    run_ffmpeg(
        [ffmpeg_bin.path, *BASE, "-stream_loop", "-1", "-i", str(VOICE)]
        + ["-filter_complex", graph, "-map", "[out]", "-t", f"{seconds}"]
        + ["-ac", str(int(options.get("channels", 1))), *case.output_args, str(path)]
    )


def make_input(case: Case, path: Path, ffmpeg_bin: FfmpegBinary) -> None:
    """Write the case's input file."""
    recipe = case.make
    if not recipe:
        speech(ffmpeg_bin, path, case)
    elif recipe == "video":
        voice = path.with_name("voice.wav")
        speech(ffmpeg_bin, voice, Case("voice.wav"), seconds=10.0, lead_s=2.0, tail_s=2.0)
        run_ffmpeg(
            [ffmpeg_bin.path, *BASE, "-f", "lavfi", "-i", "color=c=blue:s=64x64:r=10:d=10"]
            + ["-i", str(voice), "-map", "0:v", "-map", "1:a", "-c:v", "mpeg4", "-c:a", "aac"]
            + ["-f", "mp4", str(path)]
        )
    elif recipe == "header_claims_more":
        whole = path.with_name("whole.wav")
        speech(ffmpeg_bin, whole, Case("whole.wav"), seconds=12.0, lead_s=1.0, tail_s=0.5)
        data = whole.read_bytes()
        # The header still announces 12 s; only the first 7 s of samples are there.
        path.write_bytes(data[: 44 + 44100 * 2 * 7])
    elif recipe == "one_second":
        # lead_s=-0.6 puts the first syllable at t=0: one second of voice, no room tone.
        speech(ffmpeg_bin, path, Case("clip.wav"), seconds=1.0, lead_s=-0.6, tail_s=0.0)
    elif recipe == "empty":
        path.write_bytes(b"")
    elif recipe == "text":
        path.write_text("Ceci n'est pas un son.\n" * 40, encoding="utf-8")
    elif recipe == "cut_header":
        whole = path.with_name("whole.wav")
        speech(ffmpeg_bin, whole, Case("whole.wav"), seconds=6.0)
        path.write_bytes(whole.read_bytes()[:30])
    elif recipe == "digital_silence":
        _lavfi(ffmpeg_bin, "anullsrc=r=44100:cl=mono", 6.0, path)
    elif recipe == "room_tone":
        _lavfi(ffmpeg_bin, "anoisesrc=c=pink:a=0.003:r=44100:seed=3", 8.0, path)
    else:
        raise ValueError(recipe)


def _lavfi(ffmpeg_bin: FfmpegBinary, source: str, seconds: float, path: Path) -> None:
    """Write `seconds` of a lavfi source to a 16-bit WAV."""
    run_ffmpeg(
        [ffmpeg_bin.path, *BASE, "-f", "lavfi", "-i", source, "-t", str(seconds)]
        + ["-c:a", "pcm_s16le", "-f", "wav", str(path)]
    )

"""Fixtures: every input of the table (generated with ffmpeg), and the chosen ffmpeg."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from audio_judge import CASES, Case

from webradio.audio.clips import build_speechlike_command
from webradio.audio.ffmpeg import FfmpegBinary, find_ffmpeg, run_ffmpeg

BASE = ("-hide_banner", "-nostats", "-nostdin", "-y")


@pytest.fixture(scope="session")
def ffmpeg_bin() -> FfmpegBinary:
    """The ffmpeg the app would choose."""
    return find_ffmpeg()


@pytest.fixture(scope="session")
def take(
    tmp_path_factory: pytest.TempPathFactory, ffmpeg_bin: FfmpegBinary
) -> Callable[[str], Path]:
    """Generate (once per session) the input of a given case of the table; returns its path."""
    made: dict[str, Path] = {}

    def make(kind: str) -> Path:
        if kind not in made:
            case = CASES[kind]
            path = tmp_path_factory.mktemp(kind.replace(".", "_")) / case.file_name
            make_input(case, path, ffmpeg_bin)
            made[kind] = path
        return made[kind]

    return make


def speech(ffmpeg_bin: FfmpegBinary, path: Path, case: Case, **extra: object) -> None:
    """Synthesise the case's speech-like take to path."""
    options = case.options
    shout = options.get("shout_db")
    argv = build_speechlike_command(
        ffmpeg_bin.path,
        path,
        seconds=float(extra.get("seconds", case.seconds)),  # type: ignore[arg-type]
        channels=int(options.get("channels", 1)),
        speech_db=options.get("speech_db", -22.0),
        noise_db=options.get("noise_db", -62.0),
        lead_s=float(extra.get("lead_s", 2.5)),  # type: ignore[arg-type]
        tail_s=float(extra.get("tail_s", 2.5)),  # type: ignore[arg-type]
        sample_rate_hz=int(options.get("sample_rate_hz", 44100)),
        output_args=case.output_args,
        shout_db=shout,
    )
    run_ffmpeg(argv)


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

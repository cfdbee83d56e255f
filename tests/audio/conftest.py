"""Fixtures: generated takes of every kind, bad inputs, and the chosen ffmpeg."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from audio_judge import TAKES

from webradio.audio.clips import build_speechlike_command
from webradio.audio.ffmpeg import FfmpegBinary, find_ffmpeg, run_ffmpeg


@pytest.fixture(scope="session")
def ffmpeg_bin() -> FfmpegBinary:
    """The ffmpeg the app would choose."""
    return find_ffmpeg()


@pytest.fixture(scope="session")
def take(
    tmp_path_factory: pytest.TempPathFactory, ffmpeg_bin: FfmpegBinary
) -> Callable[[str], Path]:
    """Generate (once per session) the take of a given kind; returns its path."""
    made: dict[str, Path] = {}

    def make(kind: str) -> Path:
        if kind not in made:
            name, options, output_args = TAKES[kind]
            path = tmp_path_factory.mktemp(kind) / name
            run_ffmpeg(
                build_speechlike_command(
                    ffmpeg_bin.path,
                    path,
                    seconds=12.0,
                    channels=int(options.get("channels", 1)),
                    speech_db=options.get("speech_db", -22.0),
                    noise_db=options.get("noise_db", -62.0),
                    lead_s=2.5,
                    tail_s=2.5,
                    sample_rate_hz=int(options.get("sample_rate_hz", 44100)),
                    output_args=output_args,
                )
            )
            made[kind] = path
        return made[kind]

    return make


@pytest.fixture(scope="session")
def video_take(tmp_path_factory: pytest.TempPathFactory, ffmpeg_bin: FfmpegBinary) -> Path:
    """A small MP4 whose first stream is video, with a speech-like AAC track second."""
    base = tmp_path_factory.mktemp("video")
    voice = base / "voice.wav"
    run_ffmpeg(build_speechlike_command(ffmpeg_bin.path, voice, seconds=10.0, lead_s=2.0))
    out = base / "clip.mp4"
    run_ffmpeg(
        [ffmpeg_bin.path, "-hide_banner", "-nostats", "-nostdin", "-y"]
        + ["-f", "lavfi", "-i", "color=c=blue:s=64x64:r=10:d=10", "-i", str(voice)]
        + ["-map", "0:v", "-map", "1:a", "-c:v", "mpeg4", "-c:a", "aac", "-f", "mp4", str(out)]
    )
    return out


@pytest.fixture
def bad_input(tmp_path: Path, ffmpeg_bin: FfmpegBinary) -> Callable[[str], Path]:
    """Make a bad input of a kind: empty, text, cut_header, digital_silence, room_tone."""

    def make(kind: str) -> Path:
        if kind == "empty":
            path = tmp_path / "empty.wav"
            path.write_bytes(b"")
        elif kind == "text":
            path = tmp_path / "notes.mp3"
            path.write_text("Ceci n'est pas un son.\n" * 40, encoding="utf-8")
        elif kind == "cut_header":
            whole = tmp_path / "whole.wav"
            run_ffmpeg(build_speechlike_command(ffmpeg_bin.path, whole, seconds=6.0))
            path = tmp_path / "cut.wav"
            path.write_bytes(whole.read_bytes()[:30])
        elif kind == "digital_silence":
            path = tmp_path / "silence.wav"
            _lavfi(ffmpeg_bin, "anullsrc=r=44100:cl=mono", 6.0, path)
        elif kind == "room_tone":
            path = tmp_path / "room.wav"
            _lavfi(ffmpeg_bin, "anoisesrc=c=pink:a=0.003:r=44100:seed=3", 8.0, path)
        else:
            raise ValueError(kind)
        return path

    return make


def _lavfi(ffmpeg_bin: FfmpegBinary, source: str, seconds: float, path: Path) -> None:
    """Write `seconds` of a lavfi source to a 16-bit WAV."""
    run_ffmpeg(
        [ffmpeg_bin.path, "-hide_banner", "-nostats", "-nostdin", "-y", "-f", "lavfi"]
        + ["-i", source, "-t", str(seconds), "-c:a", "pcm_s16le", "-f", "wav", str(path)]
    )

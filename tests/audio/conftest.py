"""Fixtures: every input of the table (generated with ffmpeg), and the chosen ffmpeg."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from audio_judge import CASES, make_input

from webradio.audio.ffmpeg import FfmpegBinary, find_ffmpeg


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

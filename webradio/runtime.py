"""Access, from domain code, to what `create_app` wired: storage, ffmpeg and the queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app

from webradio.audio.ffmpeg import FfmpegBinary, find_ffmpeg
from webradio.storage import Storage


def storage() -> Storage:
    """The configured storage backend."""
    store: Storage = current_app.extensions["webradio.storage"]
    return store


def ffmpeg() -> FfmpegBinary:
    """The ffmpeg binary in use (WEBRADIO_FFMPEG, or the newest found)."""
    return find_ffmpeg(current_app.config.get("FFMPEG"))


def feeds_root() -> Path:
    """The folder the static feeds are written to."""
    return Path(current_app.config["FEEDS_ROOT"])


def enqueue(task_name: str, *args: Any) -> None:
    """Put a registered task on the queue (in immediate mode it runs now)."""
    current_app.extensions["webradio.tasks"][task_name](*args)

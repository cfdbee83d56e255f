"""Independent judges for every feed the tests produce: feedparser, podcastparser, partytime."""

from __future__ import annotations

import fcntl
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import feedparser
import podcastparser
import pytest

NODE_DIR = Path(__file__).resolve().parents[1] / "node"


def judge_feed(data: bytes, url: str = "http://radio.test/feed.xml") -> dict[str, Any]:
    """feedparser reads it without complaint and podcastparser keeps every episode whole."""
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    podcast = podcastparser.parse(url, io.BytesIO(data))
    assert len(podcast["episodes"]) == len(parsed.entries)
    for episode in podcast["episodes"]:
        assert episode["guid"], episode
        (enclosure,) = episode["enclosures"]
        assert enclosure["url"].endswith(".mp3") and enclosure["file_size"] > 0
        assert enclosure["mime_type"] == "audio/mpeg"
    return podcast


def node_judges() -> Path:
    """The tests/node folder with its packages installed (`npm ci` once when missing)."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the podcast-partytime and axe-core judges need it")
    installed = NODE_DIR / "node_modules" / ".webradio-installed"
    if installed.exists():
        return NODE_DIR
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: cannot install tests/node")
    # The suite runs on two workers: one installs while the other waits for it.
    with (NODE_DIR / ".install.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not installed.exists():
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(NODE_DIR)],
                check=True,
                capture_output=True,
                timeout=600,
            )
            installed.touch()
    return NODE_DIR


def partytime(paths: list[Path]) -> list[dict[str, Any]]:
    """What podcast-partytime (Podcasting 2.0 reader, run with node) sees in each feed file."""
    folder = node_judges()
    done = subprocess.run(
        ["node", str(folder / "partytime.js"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout.rsplit("@@partytime@@", 1)[1])
    return results

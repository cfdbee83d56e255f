"""Helpers for the browser test: run `webradio` as a user does, and find a chromium to drive."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from waitress.server import create_server

if TYPE_CHECKING:
    from flask import Flask
    from playwright.sync_api import Page

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
PASSWORD_LINE = re.compile(r"mot de passe \(affiché une seule fois / shown once\) : (\S+)")


@dataclass(frozen=True)
class Demo:
    """A running demo server: its address, the sign-in, and where it keeps its files."""

    base_url: str
    teacher: str
    head: str
    password: str
    city: str
    root: Path


def chromium_path() -> str | None:
    """The Debian chromium binary, if this machine has one."""
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def webradio_script() -> Path:
    """The `webradio` entry point installed next to the running Python."""
    return Path(sys.executable).parent / "webradio"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_environment(root: Path, port: int) -> dict[str, str]:
    """The process environment with every WEBRADIO_* setting under `root`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEBRADIO_")}
    env.update(
        WEBRADIO_INSTANCE_PATH=str(root / "instance"),
        WEBRADIO_DATABASE_URL=f"sqlite:///{root / 'db.sqlite3'}",
        WEBRADIO_MEDIA_ROOT=str(root / "media"),
        WEBRADIO_FEEDS_ROOT=str(root / "feeds"),
        WEBRADIO_QUEUE_URL=f"sqlite:///{root / 'queue.sqlite3'}",
        WEBRADIO_BASE_URL=f"http://127.0.0.1:{port}",
    )
    return env


def run_webradio(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `webradio ARGS` to completion; fail with its output if it fails."""
    done = subprocess.run(
        [str(webradio_script()), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"webradio {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    """Poll `url` until it answers 200; fail early if the server died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"webradio run exited:\n{log.read_text()}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl+C the server as a person would; kill it if it does not stop in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@contextmanager
def demo_server(root: Path) -> Iterator[Demo]:
    """Migrate, seed the demo, and serve it with `webradio run` until the block ends."""
    port = free_port()
    env = demo_environment(root, port)
    run_webradio(env, root, "db", "upgrade")
    seeded = run_webradio(env, root, "demo")
    found = PASSWORD_LINE.search(seeded.stderr)
    assert found, f"no password in the demo's output:\n{seeded.stderr}"
    emails = dict(
        re.findall(r"^\s+(direction|enseignant|ville)\s+: (\S+@\S+)$", seeded.stderr, re.M)
    )
    base_url = f"http://127.0.0.1:{port}"
    log = root / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(webradio_script()), "run", "--port", str(port)],
            env=env,
            cwd=root,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(f"{base_url}/connexion", process, log, seconds=60)
            teacher, head, city = emails["enseignant"], emails["direction"], emails["ville"]
            yield Demo(base_url, teacher, head, found.group(1), city, root)
        finally:
            stop(process)


def sign_in(page: Page, demo: Demo, email: str) -> None:
    """Sign in at /connexion and land on the dashboard."""
    page.goto(f"{demo.base_url}/connexion")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", demo.password)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{demo.base_url}/")


@contextmanager
def live(app: Flask) -> Iterator[str]:
    """Serve the test app from a thread on 127.0.0.1 (a secure context for the clipboard), by
    waitress as `webradio run` does: it closes a file a browser stops reading halfway (the
    media element's ranges), where werkzeug's server can leave it open."""
    server: Any = create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def stop() -> None:  # in the server's own loop: every socket closed, so the loop ends
        for channel in list(server._map.values()):
            channel.close()

    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.trigger.pull_trigger(stop)
        server.task_dispatcher.shutdown()
        thread.join(timeout=10)

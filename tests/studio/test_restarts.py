"""The app restarted under a class at work (issue 14): a real `webradio run` stopped in the middle
of a resumable upload and started again, and its worker killed in the middle of an analysis.
The upload resumes from the offset the server kept and lands as one take; the take is analysed
again, never left « analyse en cours »."""

from __future__ import annotations

import base64
import http.client
import os
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_support import (
    demo_environment,
    free_port,
    run_webradio,
    stop,
    wait_until_up,
    webradio_script,
)
from test_run_processes import children

from webradio import create_app, schools
from webradio.audio.clips import make_speechlike_take
from webradio.audio.ffmpeg import find_ffmpeg
from webradio.extensions import db

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"
SLUG = "ecole-redemarrage"


@dataclass
class Site:
    """A `webradio run` that the test stops and starts again on the same folders."""

    root: Path
    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                [str(webradio_script()), "run", "--port", str(self.port)],
                env=self.env,
                cwd=self.root,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        wait_until_up(f"http://127.0.0.1:{self.port}/connexion", self.process, self.log, 60)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            assert self.process.returncode == 0, self.log.read_text()

    def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request(method, path, body=body or None, headers=headers)
        answer = connection.getresponse()
        answer.read()
        connection.close()
        return answer

    def takes(self) -> list[tuple[str, str]]:
        """(id, state) of every take, read-only from the database the server writes."""
        uri = f"file:{self.root / 'db.sqlite3'}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, timeout=30)
        try:
            return [(str(a), str(b)) for a, b in connection.execute("SELECT id, state FROM take")]
        finally:
            connection.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    port = free_port()
    env = demo_environment(tmp_path, port) | {"WEBRADIO_WEB_PROCESSES": "1"}
    run_webradio(env, tmp_path, "db", "upgrade")
    run_webradio(env, tmp_path, "school", "create", SLUG, "--name", "École du Redémarrage")
    found = Site(tmp_path, env, port, tmp_path / "server.log")
    try:
        yield found
    finally:
        found.stop()


def _open_studio(site: Site) -> str:
    """A class whose studio is open, written to the server's database: its code."""
    settings = {k.removeprefix("WEBRADIO_"): v for k, v in site.env.items() if "WEBRADIO_" in k}
    app = create_app(settings | {"QUEUE_URL": "immediate"})
    with app.app_context():
        school_class = schools.get_or_create_class(schools.get_school(SLUG), "CM2")
        db.session.commit()
        code = schools.open_studio(school_class)
        db.session.remove()
        db.engine.dispose()
    return code


def _cut_patch(site: Site, path: str, offset: int, body: bytes) -> None:
    """A PATCH whose body stops half-way (the app stops while it goes up)."""
    with socket.create_connection(("127.0.0.1", site.port), timeout=10) as sock:
        head = (
            f"PATCH {path} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n"
            f"Upload-Offset: {offset}\r\nContent-Type: {OCTETS}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body[: len(body) // 2])
        site.stop()


def test_an_upload_resumes_after_a_restart_and_a_killed_worker_leaves_no_take_analysing(
    site: Site, tmp_path: Path
) -> None:
    wav = make_speechlike_take(tmp_path / "prise.wav", find_ffmpeg(), seconds=150.0)
    data = wav.read_bytes()
    site.start()
    code = _open_studio(site)
    label = base64.b64encode("Après la coupure".encode()).decode()
    created = site.request(
        "POST",
        f"/studio/{code}/envois/",
        {**TUS, "Upload-Length": str(len(data)), "Upload-Metadata": f"label {label}"},
    )
    assert created.status == 201
    location = created.headers["Location"].removeprefix(f"http://127.0.0.1:{site.port}")
    first = len(data) // 3
    patched = site.request(
        "PATCH", location, {**TUS, "Upload-Offset": "0", "Content-Type": OCTETS}, data[:first]
    )
    assert patched.status == 204 and patched.headers["Upload-Offset"] == str(first)

    _cut_patch(site, location, first, data[first:])  # the app stops during the second chunk
    site.start()
    head = site.request("HEAD", location, TUS)
    assert head.status == 200
    assert head.headers["Upload-Offset"] == str(first)  # resumes there, not from 0
    done = site.request(
        "PATCH",
        location,
        {**TUS, "Upload-Offset": str(first), "Content-Type": OCTETS},
        data[first:],
    )
    assert done.status == 204
    take_id = done.headers["Webradio-Take"]
    again = site.request("HEAD", location, TUS)  # a page asking again is told the same take
    assert again.headers["Webradio-Take"] == take_id
    assert [t for t, _ in site.takes()] == [take_id]

    # The worker dies while it analyses the take: the one started again analyses it.
    assert site.process is not None
    deadline = time.monotonic() + 60
    while dict(site.takes())[take_id] != "analysing":
        assert time.monotonic() < deadline, site.log.read_text()
        time.sleep(0.01)
    worker = next(
        pid
        for pid, command in children(site.process.pid).items()
        if "webradio.serve worker" in command
    )
    os.killpg(worker, signal.SIGKILL)  # the worker and the ffmpeg it runs
    assert dict(site.takes())[take_id] == "analysing", "killed too late: the analysis was over"
    deadline = time.monotonic() + 90
    while (state := dict(site.takes())[take_id]) != "ready":
        assert state == "analysing" or state == "uploaded", state
        assert time.monotonic() < deadline, f"still {state}\n{site.log.read_text()}"
        time.sleep(0.1)
    assert [t for t, _ in site.takes()] == [take_id]

"""`webradio run` (issue 12): the web server and the job worker as supervised processes.

One real `webradio run` serves the whole module (behind a pretend proxy: WEBRADIO_PROXY_FIX=1,
the proxy being 127.0.0.1; two web processes on its socket, as on a 2-core machine); the last
test stops it with Ctrl+C.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    demo_environment,
    free_port,
    run_webradio,
    stop,
    wait_until_up,
    webradio_script,
)

from webradio.audio.clips import make_speechlike_take
from webradio.audio.ffmpeg import find_ffmpeg

SLUG = "ecole-des-processus"
UPLOAD_MB = 8


@dataclass
class Running:
    """The `webradio run` under test."""

    process: subprocess.Popen[bytes]
    root: Path
    env: dict[str, str]
    port: int
    log: Path


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("run-processes")
    port = free_port()
    env = demo_environment(root, port) | {
        "WEBRADIO_PROXY_FIX": "1",
        "WEBRADIO_WEB_PROCESSES": "2",
        "WEBRADIO_MAX_UPLOAD_MB": str(UPLOAD_MB),
    }
    run_webradio(env, root, "db", "upgrade")
    run_webradio(env, root, "school", "create", SLUG, "--name", "École des processus")
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
            wait_until_up(f"http://127.0.0.1:{port}/connexion", process, log, seconds=60)
            yield Running(process, root, env, port, log)
        finally:
            stop(process)


# What /proc says about a process ---------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name: [state, ppid, ...]; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def nice_of(pid: int) -> int:
    """The niceness of a process (field 19 of /proc/PID/stat)."""
    fields = _stat(pid)
    assert fields is not None, f"process {pid} is gone"
    return int(fields[16])


def alive(pid: int) -> bool:
    """Whether a process still exists (a zombie counts as gone)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def children(pid: int) -> dict[int, str]:
    """Every process below `pid`: its command line."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            found[child] = command.decode("utf-8", "replace")
            todo.append(child)
    return found


def supervised(running: Running) -> dict[str, int]:
    """The direct children of `webradio run`, by kind (web, worker)."""
    kinds: dict[str, int] = {}
    for pid, command in children(running.process.pid).items():
        fields = _stat(pid)
        if fields is not None and int(fields[1]) == running.process.pid:
            for kind in ("web", "worker"):
                if f"webradio.serve {kind} " in command:
                    kinds[kind] = pid
    return kinds


def web_processes(running: Running) -> list[int]:
    """The web children of `webradio run`."""
    found = children(running.process.pid).items()
    return sorted(pid for pid, command in found if "webradio.serve web " in command)


def io_priority(pid: int) -> tuple[int, int] | None:
    """(class, level) of a process's disk priority; None where this test cannot ask."""
    number = {"x86_64": 252, "aarch64": 31}.get(platform.machine())
    if number is None:
        return None
    value = ctypes.CDLL(None, use_errno=True).syscall(number, 1, pid)
    return None if value < 0 else (value >> 13, value & 0xFF)


# The tests -------------------------------------------------------------------------------------


def test_run_starts_the_web_server_and_the_worker_as_two_children(running: Running) -> None:
    kinds = supervised(running)
    assert set(kinds) == {"web", "worker"}
    parent_nice = nice_of(running.process.pid)
    assert nice_of(kinds["web"]) == parent_nice  # the web keeps its priority
    assert nice_of(kinds["worker"]) >= max(10, parent_nice)
    if (found := io_priority(kinds["worker"])) is not None:
        assert found in {(2, 7), (3, 0)}  # best-effort, lowest level (or idle)
    log = running.log.read_bytes().decode("utf-8", "replace")
    assert "Traceback" not in log, log


def test_web_processes_share_the_socket_and_a_killed_one_is_restarted(running: Running) -> None:
    first, second = web_processes(running)
    os.kill(first, signal.SIGKILL)
    # The other one answers at once, each request on a new connection.
    assert all(_get(running, "/connexion").status == 200 for _ in range(20))
    deadline = time.monotonic() + 20
    while len(now := web_processes(running)) < 2 or first in now:
        assert time.monotonic() < deadline, running.log.read_text()
        time.sleep(0.1)
    assert second in now
    assert all(_get(running, "/connexion").status == 200 for _ in range(10))


def _get(
    running: Running, path: str, source: str = "127.0.0.1", **headers: str
) -> http.client.HTTPResponse:
    """GET `path` from the address `source` (127.0.0.1 is the trusted proxy)."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", running.port, timeout=10, source_address=(source, 0)
    )
    connection.request("GET", path, headers=headers)
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return answer


def test_proxy_headers_are_honoured_from_the_proxy_only(running: Running) -> None:
    # HTTPS said by the proxy is seen (secure cookie); said by anyone else, it is not.
    https = {"X-Forwarded-Proto": "https"}
    assert "Secure" in _get(running, "/connexion", **https).headers["Set-Cookie"]
    direct = _get(running, "/connexion", source="127.0.0.2", **https)
    assert "Secure" not in direct.headers["Set-Cookie"]
    # Wrong studio codes are limited per client address, counted across the web processes (each
    # request is a new connection): the one the proxy forwards ...
    guesses = [
        _get(running, f"/studio/zz{n:04d}", **{"X-Forwarded-For": "203.0.113.7"}).status
        for n in range(21)
    ]
    assert guesses[0] == 404 and guesses[-1] == 429
    # ... so another family behind the same proxy has its own bucket,
    other = _get(running, "/studio/zz9999", **{"X-Forwarded-For": "203.0.113.8"})
    assert other.status == 404
    # and a client reaching the server directly cannot pick its address.
    spoofed = [
        _get(running, f"/studio/yy{n:04d}", "127.0.0.2", **{"X-Forwarded-For": f"198.51.100.{n}"})
        for n in range(21)
    ]
    assert spoofed[0].status == 404 and spoofed[-1].status == 429


def _state(running: Running, episode_id: str, column: str = "state") -> str:
    """The episode's state (or another column), read-only from the database the server writes
    ("" if unreadable)."""
    uri = f"file:{running.root / 'db.sqlite3'}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=30)
        try:
            query = f"SELECT {column} FROM episode WHERE id = ?"
            row = connection.execute(query, (episode_id,)).fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        return ""
    return str(row[0]) if row else ""


def test_a_killed_worker_is_restarted_and_renders_at_low_priority(running: Running) -> None:
    before = supervised(running)
    before_web = before["web"]
    os.kill(before["worker"], signal.SIGKILL)
    deadline = time.monotonic() + 20
    while (now := supervised(running)).get("worker") in (None, before["worker"]):
        assert time.monotonic() < deadline, running.log.read_text()
        time.sleep(0.1)
    assert now["web"] == before_web  # the web server went on serving
    assert "redémarrage" in running.log.read_text(encoding="utf-8")
    worker = now["worker"]

    take = running.root / "prise.wav"
    make_speechlike_take(take, find_ffmpeg(), seconds=20.0)
    episode_id = run_webradio(
        running.env,
        running.root,
        "episode",
        "create",
        "--school",
        SLUG,
        "--title",
        "Après le redémarrage",
        "--take",
        str(take),
        "--audience",
        "class",
        "--no-pupil-voices",
    ).stdout.strip()
    seen: dict[int, int] = {}  # ffmpeg (or speech detector) pid -> niceness
    deadline = time.monotonic() + 90
    while (state := _state(running, episode_id)) not in ("ready", "failed"):
        assert time.monotonic() < deadline, f"still {state!r}\n{running.log.read_text()}"
        for pid, command in children(worker).items():
            program = Path(command.split(" ", 1)[0]).name
            helper = program.startswith("ffmpeg") or "webradio.audio.vad" in command
            if helper and pid not in seen and alive(pid):
                try:
                    seen[pid] = nice_of(pid)
                except AssertionError:
                    continue
        time.sleep(0.02)
    reason = _state(running, episode_id, "failure_reason")
    assert state == "ready", f"{state}: {reason}\n{running.log.read_text()}"
    assert seen, f"no ffmpeg seen under the worker\n{running.log.read_text()}"
    assert min(seen.values()) >= 10, seen


def _send(running: Running, head: bytes, body: Sequence[bytes] = ()) -> tuple[float, bytes]:
    """Send a request's head then its body, as far as the server lets it; the seconds until the
    first byte of the answer (from the end of the head), and the answer."""
    with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
        sock.sendall(head)
        sent = time.monotonic()
        with contextlib.suppress(OSError):  # the server may close while the body goes
            for chunk in body:
                sock.sendall(chunk)
        answer = sock.recv(65536)
        waited = time.monotonic() - sent
        with contextlib.suppress(OSError):
            while data := sock.recv(65536):
                answer += data
    return waited, answer


def _is_french_413(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    return (
        head.startswith(b"HTTP/1.1 413")
        and b"x-content-type-options: nosniff" in head.lower()
        and b"content-type: text/html; charset=utf-8" in head.lower()
        and f"trop gros (au plus {UPLOAD_MB} Mo)" in body.decode()
    )


def test_a_body_over_the_limit_is_refused_at_once_in_french(running: Running) -> None:
    # Refused from its Content-Length, before a byte of the body arrives ...
    waited, answer = _send(
        running,
        b"POST /prises/ HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        + f"Content-Length: {(UPLOAD_MB + 1) << 20}\r\n\r\n".encode(),
    )
    assert waited < 2 and _is_french_413(answer), answer[:600]
    # ... and a chunked body once past the limit, in French too.
    chunk = b"%x\r\n" % (1 << 20) + b"\0" * (1 << 20) + b"\r\n"
    _, answer = _send(
        running,
        b"POST /prises/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        [chunk] * (UPLOAD_MB + 2),
    )
    assert _is_french_413(answer), answer[:600]


def test_hundreds_of_idle_connections_leave_the_server_reachable(running: Running) -> None:
    # A slowloris: more half-open connections than waitress's default limit (100 a process).
    idle = [socket.create_connection(("127.0.0.1", running.port)) for _ in range(300)]
    try:
        for sock in idle:
            sock.sendall(b"GET /connexion HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.5)
        assert _get(running, "/connexion").status == 200
    finally:
        for sock in idle:
            sock.close()


def test_ctrl_c_stops_every_child_and_exits_0(running: Running) -> None:
    below = children(running.process.pid)
    assert len(below) >= 2  # the web server, the job worker (and what they started)
    running.process.send_signal(signal.SIGINT)
    assert running.process.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while left := [pid for pid in below if alive(pid)]:
        assert time.monotonic() < deadline, f"still running: {[below[p] for p in left]}"
        time.sleep(0.1)


def test_under_gunicorn_forwarded_headers_count_from_the_proxy_only() -> None:
    # `webradio run --server gunicorn`: gunicorn keeps every X-Forwarded-* header, and ProxyFix
    # (in the app) believes them; the layer in front keeps only the trusted proxy's.
    from werkzeug.test import Client

    from webradio.serve import ForwardedOnlyFromProxy

    seen: list[dict[str, str]] = []

    def echo(environ: dict[str, str], start_response: Any) -> list[bytes]:
        seen.append({k: v for k, v in environ.items() if k.startswith("HTTP_X_FORWARDED_")})
        start_response("204 No Content", [])
        return []

    client = Client(ForwardedOnlyFromProxy(echo, "127.0.0.1"))
    said = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    client.get("/", headers=said, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    client.get("/", headers=said, environ_base={"REMOTE_ADDR": "192.0.2.50"})
    assert seen[0] == {"HTTP_X_FORWARDED_FOR": "203.0.113.7", "HTTP_X_FORWARDED_PROTO": "https"}
    assert seen[1] == {}

"""`webradio run` and `webradio worker`: the web server and the job worker, as processes.

`webradio run` prepares the instance once, opens the listening socket itself, then supervises
its children: the web servers (waitress, WEB_PROCESSES of them on that one socket, by default
one per core; `--server gunicorn` for gunicorn gthread, whose arbiter runs as many) and the job
worker (huey's consumer in its main thread, at a lower CPU and disk priority, as every ffmpeg it
starts). One Ctrl+C (or SIGTERM) stops them all: each gets SIGTERM, then SIGKILL after a grace
period. A child that dies is started again after a short, growing pause, while the others go
on. The children are `python -m webradio.serve web|worker` (see main()). With more than one web
process, the rate limits count in a file they share (webradio.shared_limits) unless
RATELIMIT_STORAGE_URI names a server.

One Python process serves the public mix with about one core whatever its threads (the GIL):
two of them on the 2-core reference machine serve about twice as much (bench/serve.py).

A render that takes both cores used to take the web's latency with it (issue 12): the worker
shared the web's process, GIL and priority. `webradio run --one-process` keeps that old layout
(waitress in a thread beside the consumer) for the benchmark's reference.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from flask import Flask
from waitress.server import create_server

from webradio import jobs, outputs, shared_limits
from webradio.audio import ffmpeg
from webradio.audio.ffmpeg import low_priority_preexec, lower_priority

SERVERS = ("waitress", "gunicorn")
# Measured by bench/serve.py on the 2-core reference machine (see the README's Benchmarks):
# waitress served the public mix 10-40 % faster than gunicorn gthread (one process, 8 threads
# each), and buffers a request whole before a thread takes it (slow clients hold no thread).
# With several processes on one socket, waitress's spread the connections evenly; gunicorn
# gthread's first worker took most of them.
DEFAULT_SERVER = "waitress"
WEB_THREADS = 8
# A stopped child gets SIGTERM, and SIGKILL if it is still there this many seconds later.
GRACE_S = 10.0
# Pauses before a dead child is started again; back to the first once it ran long enough.
BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
HEALTHY_AFTER_S = 30.0
# Connections the kernel holds for the web server while it starts or restarts.
BACKLOG = 2048
# Connections one waitress process keeps open (each an idle socket at most), and how long one
# may stay silent (a tablet's upload on a weak Wi-Fi resumes if cut).
CONNECTION_LIMIT = 4000
CHANNEL_TIMEOUT_S = 60
NOSNIFF = ("X-Content-Type-Options", "nosniff")
LOG_FORMAT = "%(asctime)s %(name)s %(message)s"


def _prepare(app: Flask, *, recover: bool = True) -> None:
    """Requeue work a stopped process left half-done (unless a worker child will), and make
    sure every feed file exists."""
    with app.app_context():
        if recover:
            jobs.recover_interrupted()
        outputs.refresh({outputs.EVERY_SCHOOL})


# What a reverse proxy says about the request it forwards (nginx: proxy_set_header lines).
FORWARDED_HEADERS = frozenset(
    {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"}
)


def waitress_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """waitress's settings from the app's config.

    waitress drops every X-Forwarded-* header unless told which proxy sends them; behind one
    (PROXY_FIX) it trusts that address alone, so the client address and HTTPS reach the app,
    and a client connecting directly cannot pick its address.
    """
    options: dict[str, Any] = {
        "threads": WEB_THREADS,
        # A body past the upload limit is refused from its Content-Length (or, chunked, once it
        # goes past), before waitress buffers it; the answer is the app's (serve.refuse_in_french).
        "max_request_body_size": int(config["MAX_CONTENT_LENGTH"]) + 1,
        # Idle or half-open connections cost a socket each, no thread: hundreds of them (a
        # slowloris) must not reach waitress's default limit of 100, which stops all accepting.
        "connection_limit": CONNECTION_LIMIT,
        "asyncore_use_poll": True,  # select() stops at file descriptor 1024
        "channel_timeout": CHANNEL_TIMEOUT_S,
    }
    if config["PROXY_FIX"]:
        options["trusted_proxy"] = str(config["PROXY_ADDRESS"])
        options["trusted_proxy_count"] = 1
        options["trusted_proxy_headers"] = set(FORWARDED_HEADERS)
        options["clear_untrusted_proxy_headers"] = True
    return options


def refuse_in_french(app: Flask) -> None:
    """Have waitress answer a body past the upload limit with the app's own 413 page (French,
    with its security headers) instead of its English text, at once."""
    from waitress import parser, utilities
    from werkzeug.exceptions import RequestEntityTooLarge

    with app.test_request_context("/", method="POST"):
        response = app.make_response(app.handle_user_exception(RequestEntityTooLarge()))
        response = app.process_response(response)
    status = f"413 {response.status.split(' ', 1)[1].title()}"
    skipped = {"content-length", "set-cookie", "vary"}
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in skipped]
    headers.append(NOSNIFF)  # added by a WSGI layer around the app, not by the app's hooks
    body = response.get_data()

    class TooLarge(utilities.RequestEntityTooLarge):
        def to_response(self, ident: str | None = None) -> Any:
            return status, list(headers), body

    setattr(parser, "RequestEntityTooLarge", TooLarge)  # noqa: B010 (its parser raises this name)
    # waitress's other answers (a malformed request, headers too long) say nosniff too.
    english = utilities.Error.to_response
    if not getattr(english, "nosniff", False):

        def to_response(self: Any, ident: str | None = None) -> Any:
            said, fields, text = english(self, ident)
            return said, [*fields, NOSNIFF], text

        setattr(to_response, "nosniff", True)  # noqa: B010 (patched once per process)
        setattr(utilities.Error, "to_response", to_response)  # noqa: B010


def allow_many_connections() -> None:
    """Raise this process's open-file limit to its ceiling, for CONNECTION_LIMIT sockets."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = CONNECTION_LIMIT + 256 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def gunicorn_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """gunicorn's settings from the app's config (the listening socket is given apart).

    Its arbiter runs the web processes (`workers`, set by supervise()). gunicorn reads
    X-Forwarded-Proto only from `forwarded_allow_ips`: the configured proxy, or nobody.
    """
    return {
        "worker_class": "gthread",
        "workers": 1,
        "threads": WEB_THREADS,
        "keepalive": 5,
        # An upload of a long take may last minutes: the worker's heartbeat is its own thread's,
        # so this bounds only a worker that stopped answering altogether.
        "timeout": 120,
        "graceful_timeout": int(GRACE_S) - 2,
        "forwarded_allow_ips": str(config["PROXY_ADDRESS"]) if config["PROXY_FIX"] else "",
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "webradio-web",
        "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
    }


class ForwardedOnlyFromProxy:
    """Drops X-Forwarded-* headers that do not come from the trusted proxy's address.

    ProxyFix (in the app, WEBRADIO_PROXY_FIX) believes them whoever sends them; waitress clears
    untrusted ones itself, gunicorn does not: without this, a client reaching the server directly
    could pick its address, and so its rate-limit bucket, with X-Forwarded-For.
    """

    def __init__(self, app: Callable[..., Any], proxy: str) -> None:
        self.app = app
        self.proxy = proxy

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("REMOTE_ADDR") != self.proxy:
            for name in FORWARDED_HEADERS:
                environ.pop("HTTP_" + name.upper().replace("-", "_"), None)
        return self.app(environ, start_response)


def run_worker(app: Flask, workers: int) -> None:
    """Run huey's consumer in this (main) thread until SIGINT or SIGTERM."""
    huey = app.extensions["webradio.huey"]
    if huey.immediate:
        return
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    # huey installs its signal handlers here, which only the main thread may do.
    consumer.run()


def _hint(host: str, port: int) -> None:
    """The line `make run` shows: where to go, how to stop."""
    hint = "(Ctrl+C pour arrêter / to stop)"
    print(f"webradio : http://{host}:{port}/  {hint}", file=sys.stderr, flush=True)


def run_all(app: Flask, host: str, port: int) -> None:
    """The old layout, one process: waitress in a thread beside the worker threads.

    Kept for the benchmark's reference (`webradio run --one-process`): ffmpeg at the web's
    priority too, as it was.
    """
    ffmpeg.LOWER_CHILDREN = False
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    _prepare(app)
    refuse_in_french(app)
    allow_many_connections()
    server = create_server(app, host=host, port=port, **waitress_options(app.config))
    web = threading.Thread(target=server.run, name="web", daemon=True)
    web.start()
    _hint(host, port)
    try:
        if app.extensions["webradio.huey"].immediate:
            web.join()
        else:
            run_worker(app, int(app.config["QUEUE_WORKERS"]))
    finally:
        server.close()


def worker_only(app: Flask) -> None:
    """Run a worker alone (scale path: as many as needed, on any machine), at low priority."""
    lower_priority()
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    _prepare(app)
    run_worker(app, int(app.config["QUEUE_WORKERS"]))


# The supervisor -------------------------------------------------------------------------------

# French first, then English: what stderr says about a child.
CHILD_NAMES = {"web": "le serveur web / the web server", "worker": "le worker / the job worker"}


@dataclass
class Child:
    """One supervised process: how to start it, and what became of it."""

    kind: str
    argv: list[str]
    pass_fds: tuple[int, ...] = ()
    env: dict[str, str] | None = None  # None: the supervisor's own
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None

    def start(self) -> None:
        """Start it in a process group of its own (a terminal's Ctrl+C reaches the parent only,
        which stops each child in order; a killed group takes its ffmpegs with it)."""
        self.process = subprocess.Popen(
            self.argv,
            pass_fds=self.pass_fds,
            env=self.env,
            process_group=0,
            # The worker is low priority from its first instruction (lowered before exec).
            preexec_fn=low_priority_preexec() if self.kind == "worker" else None,
        )
        self.started_at = time.monotonic()
        self.restart_at = None

    def signal(self, signum: int, *, group: bool = False) -> None:
        """Send `signum` to the child (and to its process group with `group`), if still there."""
        if self.process is None:
            return
        try:
            if group:
                os.killpg(self.process.pid, signum)
            elif self.process.poll() is None:
                self.process.send_signal(signum)
        except (ProcessLookupError, PermissionError):
            pass


@dataclass
class Supervisor:
    """Starts the children, restarts the one that dies, stops them all on SIGINT or SIGTERM."""

    children: list[Child]
    grace_s: float = GRACE_S
    stop_signal: int | None = field(default=None, init=False)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stop_signal = signum

    def run(self, ready: Callable[[], None] = lambda: None) -> int:
        """Supervise until asked to stop; 0 (Ctrl+C or SIGTERM is the way to stop it)."""
        previous = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        }
        try:
            for child in self.children:
                child.start()
            ready()
            while self.stop_signal is None:
                self._watch(time.monotonic())
                time.sleep(0.2)
        finally:
            self.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return 0

    def _watch(self, now: float) -> None:
        """Restart a child that died, after its pause."""
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.start()
                continue
            assert child.process is not None
            code = child.process.poll()
            if code is None:
                continue
            child.signal(signal.SIGKILL, group=True)  # what it started goes with it
            lived = now - child.started_at
            if lived >= HEALTHY_AFTER_S:
                child.failures = 0
            pause = BACKOFF_S[min(child.failures, len(BACKOFF_S) - 1)]
            child.failures += 1
            child.restart_at = now + pause
            name = CHILD_NAMES[child.kind]
            print(
                f"webradio : {name} s'est arrêté (code {code}) ; redémarrage dans {pause:.0f} s"
                f" / stopped (exit {code}); restarting in {pause:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    def stop(self) -> None:
        """SIGTERM to every child, SIGKILL to what remains after the grace period."""
        running = [c for c in self.children if c.process is not None and c.restart_at is None]
        for child in running:
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace_s
        for child in running:
            assert child.process is not None
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        for child in self.children:
            child.signal(signal.SIGKILL, group=True)
            if child.process is not None:
                child.process.wait()


def listen(host: str, port: int) -> socket.socket:
    """The server's listening socket, opened by the supervisor: a port already taken is said at
    once, and connections wait in the backlog while the web child (re)starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise SystemExit(
            f"webradio : impossible d'écouter sur {host}:{port} ({error.strerror}) / "
            f"cannot listen on {host}:{port}"
        ) from error
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def child_argv(kind: str, *extra: str) -> list[str]:
    """How the supervisor starts a child: this Python, this module."""
    return [sys.executable, "-m", "webradio.serve", kind, "--parent", str(os.getpid()), *extra]


def web_processes(config: Mapping[str, Any]) -> int:
    """How many web processes serve the socket: WEB_PROCESSES, or one per core this process may
    run on when unset."""
    wanted = config.get("WEB_PROCESSES")
    if wanted not in (None, ""):
        return max(1, int(wanted))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def supervise(app: Flask, host: str, port: int, server: str = DEFAULT_SERVER) -> int:
    """`webradio run`: prepare once, then the web server and the worker as children."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    # The worker child requeues what was left half-done each time it starts (a killed worker
    # is started again by the supervisor, and its take must not stay « analyse en cours »).
    _prepare(app, recover=app.extensions["webradio.huey"].immediate)
    with app.app_context():
        from webradio.extensions import db

        db.engine.dispose()
    sock = listen(host, port)
    fd = sock.fileno()
    processes = web_processes(app.config)
    env = None
    if processes > 1 and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        # Counters one process keeps would give a client a try per process: share them.
        counters = Path(app.instance_path) / "ratelimits.sqlite3"
        shared_limits.create(counters)
        env = os.environ | {"WEBRADIO_RATELIMIT_STORAGE_URI": shared_limits.uri_for(counters)}
    if server == "gunicorn":  # gunicorn's arbiter runs the processes itself
        argv = child_argv("web", "--fd", str(fd), "--server", server, "--processes", str(processes))
        children = [Child("web", argv, (fd,), env)]
    else:
        argv = child_argv("web", "--fd", str(fd), "--server", server)
        children = [Child("web", argv, (fd,), env) for _ in range(processes)]
    if not app.extensions["webradio.huey"].immediate:
        children.append(Child("worker", child_argv("worker")))
    try:
        return Supervisor(children).run(ready=lambda: _hint(host, port))
    finally:
        sock.close()


# The children ---------------------------------------------------------------------------------

PR_SET_PDEATHSIG = 1


def _follow_parent(parent: int | None) -> None:
    """Get SIGTERM when the supervisor dies (even by SIGKILL), so no child outlives it."""
    if parent is None:
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before we could ask
        sys.exit(0)


def serve_web(fd: int, server: str, processes: int = 1) -> None:
    """The web child: the app on the supervisor's socket, with gunicorn or waitress."""
    from webradio import create_app

    if server == "waitress":
        app = create_app()
        refuse_in_french(app)
        allow_many_connections()
        sock = socket.socket(fileno=fd)
        served = create_server(app, sockets=[sock], **waitress_options(app.config))

        def stop(_signum: int, _frame: FrameType | None) -> None:
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, stop)
        try:
            served.run()
        finally:
            served.close()
        return
    from gunicorn.app.base import BaseApplication

    class Gunicorn(BaseApplication):
        """gunicorn run from here, with our settings and this app."""

        def __init__(self, options: Mapping[str, Any]) -> None:
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self) -> Callable[..., Any]:
            # In the gunicorn worker, after the fork: nothing of the arbiter's is shared.
            return create_app()  # behind the proxy check when proxied (factory)

    # The settings as the app reads them (instance/config.py included); the worker builds its own.
    options = gunicorn_options(create_app().config) | {"bind": [f"fd://{fd}"], "workers": processes}
    Gunicorn(options).run()


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m webradio.serve web --fd N [--server S]` or `... worker` (started by `run`)."""
    parser = argparse.ArgumentParser(prog="python -m webradio.serve")
    parser.add_argument("kind", choices=("web", "worker"))
    parser.add_argument("--parent", type=int)
    parser.add_argument("--fd", type=int)
    parser.add_argument("--server", choices=SERVERS, default=DEFAULT_SERVER)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args(argv)
    _follow_parent(args.parent)
    if args.kind == "worker":
        # Before any thread starts: threads (and the ffmpegs they run) inherit it.
        lower_priority()
        from webradio import create_app

        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
        app = create_app()
        with app.app_context():
            jobs.recover_interrupted()
        run_worker(app, int(app.config["QUEUE_WORKERS"]))
        return
    if args.fd is None:
        parser.error("--fd")
    serve_web(args.fd, args.server, args.processes)


if __name__ == "__main__":
    main()

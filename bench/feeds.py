"""Feed serving benchmark: the app under gunicorn (2 workers) against nginx serving the same file.

Seeds a school with 500 published episodes in a scratch instance, writes its feed with the
app's own code, then serves `/feeds/SLUG.xml`

- through the app as deployed: `gunicorn -w 2` (worker class `gthread` by default, so keep-alive
  works as behind a proxy; `--worker-class sync` to compare), access log off;
- through nginx serving the very same static file from `feeds/` (2 worker processes,
  `gzip_static on`, its own ETag);

and measures with `wrk` on loopback a full GET and a conditional GET answered 304
(`If-None-Match` with the ETag each server gave). Prints requests per second and the app's
ratio to nginx, and the targets (>= 2,400/s full, >= 4,700/s for 304).

Usage:  .venv/bin/python bench/feeds.py [--episodes 500] [--seconds 10] [--connections 16]
        [--worker-class gthread|sync] [--workdir DIR] [--keep] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

SLUG = "ecole-bench"
TARGETS = {"full": 2400.0, "not_modified": 4700.0}
NGINX_CONF = """
worker_processes 2;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {root}/nginx-tmp;
    proxy_temp_path {root}/nginx-tmp;
    fastcgi_temp_path {root}/nginx-tmp;
    uwsgi_temp_path {root}/nginx-tmp;
    scgi_temp_path {root}/nginx-tmp;
    types {{ application/rss+xml xml; }}
    server {{
        listen 127.0.0.1:{port};
        location /feeds/ {{
            alias {feeds}/;
            gzip_static on;
            add_header Cache-Control "public, max-age=60";
            add_header Vary "Accept-Encoding";
        }}
    }}
}}
"""


@dataclass(frozen=True)
class Figures:
    """Requests per second for one server."""

    full: float
    not_modified: float


def free_ports(count: int) -> list[int]:
    """Distinct TCP ports nobody listens on right now (held together, so never the same)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def environment(root: Path, port: int) -> dict[str, str]:
    """WEBRADIO_* settings for a scratch instance under `root`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEBRADIO_")}
    env.update(
        WEBRADIO_INSTANCE_PATH=str(root / "instance"),
        WEBRADIO_DATABASE_URL=f"sqlite:///{root / 'db.sqlite3'}",
        WEBRADIO_MEDIA_ROOT=str(root / "media"),
        WEBRADIO_FEEDS_ROOT=str(root / "feeds"),
        WEBRADIO_QUEUE_URL="immediate",
        WEBRADIO_BASE_URL=f"http://127.0.0.1:{port}",
    )
    return env


def seed(root: Path, port: int, count: int) -> Path:
    """Create the school, `count` published episodes without pupil voices, and its feed file."""
    os.environ.update(environment(root, port))
    from flask_migrate import upgrade

    from webradio import create_app, feeds, outputs, schools
    from webradio.clock import now_utc
    from webradio.extensions import db
    from webradio.models import Episode, EpisodePart, Take

    app = create_app()
    with app.app_context():
        upgrade()
        school = schools.create_school(SLUG, "École du banc d'essai")
        start = now_utc() - timedelta(days=count)
        # One music bed attested voice-free: every episode plays it (voices come from the sound).
        bed = Take(
            school_id=school.id,
            sha256="0" * 64,
            storage_key="takes/bench-bed",
            size_bytes=1,
            state="ready",
            voice_free=True,
        )
        db.session.add(bed)
        db.session.flush()
        for number in range(count):
            db.session.add(
                Episode(
                    parts=[EpisodePart(position=0, take_id=bed.id)],
                    guid=f"urn:uuid:bench-{number:05d}",
                    school_id=school.id,
                    title=f"Le journal de la semaine n° {number + 1}",
                    description=(
                        "Les élèves de CM1 et CM2 racontent la semaine de l'école : le potager, "
                        "la chorale, le match de samedi et les livres du mois. " * 2
                    ).strip(),
                    requested_audience="public",
                    state="published",
                    published_audiences="class,families,public",
                    media_key=f"masters/bench{number:05d}/{number:012x}.mp3",
                    media_size=4_000_000 + number,
                    duration_s=600.0 + number,
                    published_at=start + timedelta(days=number),
                )
            )
        db.session.commit()
        outputs.refresh({outputs.EVERY_SCHOOL})
        path = feeds.feed_path(school)
        db.engine.dispose()
    return path


def wait_until_up(url: str, server: str, seconds: float = 90.0) -> None:
    """Poll `url` until `server` (its Server header) answers 200 there."""
    deadline = time.monotonic() + seconds
    last: object = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200 and server in response.headers.get("Server", ""):
                    return
                last = f"answered by {response.headers.get('Server')}"
        except urllib.error.HTTPError as error:
            last = f"{error}: {error.read()[:300]!r}"
            time.sleep(0.2)
        except OSError as error:
            last = error
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds} s ({last})")


def etag_of(url: str) -> str:
    """The ETag a server gives for its identity representation."""
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.headers["ETag"])


def wrk(url: str, seconds: int, connections: int, header: str | None = None) -> float:
    """Requests per second measured by wrk; refuses a run with errors or non-2xx/3xx answers."""
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if header:
        argv[1:1] = ["-H", header]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    if "Non-2xx or 3xx responses" in done.stdout or "Socket errors" in done.stdout:
        raise SystemExit(f"wrk saw errors:\n{done.stdout}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    assert found, done.stdout
    return float(found.group(1))


def measure(url: str, seconds: int, connections: int) -> Figures:
    """Full GET, then a conditional GET with the server's own ETag (304)."""
    etag = etag_of(url)
    full = wrk(url, seconds, connections)
    not_modified = wrk(url, seconds, connections, f"If-None-Match: {etag}")
    return Figures(full, not_modified)


def check_304(url: str) -> None:
    """Make sure the conditional GET really answers 304, so the figure means what it says."""
    request = urllib.request.Request(url, headers={"If-None-Match": etag_of(url)})
    try:
        urllib.request.urlopen(request, timeout=5)
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return
        raise
    raise SystemExit(f"{url}: the conditional GET did not answer 304")


def serve_app(root: Path, port: int, worker_class: str) -> subprocess.Popen[bytes]:
    """gunicorn with 2 workers on the scratch instance (access log off: it is off by default)."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    argv = [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "--worker-class", worker_class]
    if worker_class == "gthread":
        argv += ["--threads", "4"]
    argv.append("webradio:create_app()")
    log = (root / "gunicorn.log").open("wb")
    return subprocess.Popen(argv, env=environment(root, port), stdout=log, stderr=log)


def serve_nginx(root: Path, port: int) -> subprocess.Popen[bytes]:
    """nginx serving the feeds folder as is."""
    (root / "nginx-tmp").mkdir(exist_ok=True)
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(root=root, port=port, feeds=root / "feeds"))
    return subprocess.Popen(
        ["nginx", "-p", str(root), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server we started (by its own pid), killing it if it lingers."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def main() -> None:
    """Seed, serve twice, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--worker-class", default="gthread", choices=("gthread", "sync"))
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed")

    root = (args.workdir or Path(tempfile.mkdtemp(prefix="webradio-bench-feeds-"))).resolve()
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)  # nginx's workers drop to an unprivileged user and must read feeds/
    app_port, nginx_port = free_ports(2)
    try:
        path = seed(root, app_port, args.episodes)
        size = path.stat().st_size
        app_url = f"http://127.0.0.1:{app_port}/feeds/{SLUG}.xml"
        nginx_url = f"http://127.0.0.1:{nginx_port}/feeds/{SLUG}.xml"
        results: dict[str, Figures] = {}
        for name, url, start in (
            ("gunicorn", app_url, lambda: serve_app(root, app_port, args.worker_class)),
            ("nginx", nginx_url, lambda: serve_nginx(root, nginx_port)),
        ):
            server = start()
            try:
                wait_until_up(url, name)
                check_304(url)
                wrk(url, 2, args.connections)  # warm-up
                results[name] = measure(url, args.seconds, args.connections)
            finally:
                stop(server)
        report(results, args, size)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def report(results: dict[str, Figures], args: argparse.Namespace, size: int) -> None:
    """Print the figures, the ratio to nginx and the targets."""
    app, nginx = results["gunicorn"], results["nginx"]
    if args.json:
        print(json.dumps({k: asdict(v) for k, v in results.items()} | {"feed_bytes": size}))
        return
    print(f"feed: {args.episodes} episodes, {size / 1024:.0f} KiB; wrk -t2 -c{args.connections} "
          f"-d{args.seconds}s; gunicorn -w 2 ({args.worker_class})")  # fmt: skip
    print(f"{'':12}{'gunicorn':>12}{'nginx':>12}{'ratio':>8}{'target':>10}")
    for field, label in (("full", "full GET"), ("not_modified", "304")):
        ours, theirs = getattr(app, field), getattr(nginx, field)
        verdict = "ok" if ours >= TARGETS[field] else "below"
        print(
            f"{label:12}{ours:>12,.0f}{theirs:>12,.0f}{ours / theirs:>8.2f}"
            f"{TARGETS[field]:>10,.0f} {verdict}"
        )


if __name__ == "__main__":
    main()

"""Serving benchmark: a public traffic mix, idle and while a 15-minute take renders.

Starts the app as `make run` does (a scratch instance, `webradio db upgrade`, `webradio demo`),
then gives the demo school N public episodes (clones of the demo episode's rows, same master
file: no rendering), and for each N (50 and 500) and each layout:

- `run`: `webradio run` as shipped (web servers and job worker as supervised processes, the
  worker and its ffmpegs at low CPU and disk priority; waitress, 8 threads, one web process per
  core sharing the listening socket: WEB_PROCESSES unset);
- `run-1`: the same with one web process (WEBRADIO_WEB_PROCESSES=1), the layout before, for
  reference in the same run;
- `run-gunicorn`: gunicorn gthread (as many processes, 8 threads each) as the web server
  (`webradio run --server gunicorn`), the comparison that chose waitress;
- `one-process`: `webradio run --one-process`, the old layout (waitress in a thread beside the
  worker, one process, one priority), for reference;
- `nginx`: nginx (2 workers, bench/nginx-serve.conf) serving the public files from the feeds
  root by URL, and passing everything else to `webradio run` (WEBRADIO_PROXY_FIX=1);

measures with `wrk -t2 -c16` on loopback the mix in bench/serve_mix.lua (half conditional feed
polls with If-None-Match; full feeds, the school page, episode pages, media byte ranges and
embeds for the rest), idle, then while the worker renders a 15-minute take submitted with
`webradio episode create ... --take FILE` (espeak-ng speech looped over pink noise). Prints
req/s, p50, p99, socket errors and answers that are neither 2xx nor 3xx, for a busy run the
share of the measurement during which ffmpeg was running for the worker (`busy`), and the
resident memory of every process `webradio run` started (supervisor, web, worker, ffmpeg;
nginx's own not counted) at the end of the measurement, and `others`: the cores that processes
foreign to the run (neither wrk, the app nor nginx) used meanwhile. On a shared machine a row
with `others` above 0.2 measured less than the machine can do: compare rows of the same run,
or run again when it is quiet.

Targets (issue 12), on `run`: >= 3,000 req/s idle; >= 1,000 req/s with p99 < 100 ms and no
error while the take renders.

With `--bomb`, the take is a decompression bomb instead (issue 11): six hours of FLAC written
to a pipe, so that its header says no length: 14 MB that decode past the three-hour limit.
The `bomb` row is measured while the worker decodes it; then how long the worker was busy
with it, and the episode's end (it must fail, with a reason in French).

Usage:  .venv/bin/python bench/serve.py [--quick] [--episodes 50,500] [--seconds 10]
        [--connections 16] [--take-minutes 15]
        [--layouts run,run-1,run-gunicorn,one-process,nginx]
        [--workdir DIR] [--keep] [--json] [--bomb]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
WEBRADIO = Path(sys.executable).parent / "webradio"
SLUG = "ecole-jules-ferry"  # the demo school (webradio.demo.SLUG)
LAYOUTS = ("run", "run-1", "run-gunicorn", "one-process", "nginx")
TARGETS = {"idle_rps": 3000.0, "busy_rps": 1000.0, "busy_p99_ms": 100.0}
SENTENCES = (
    "Bonjour à tous, aujourd'hui la classe de CM2 vous raconte la sortie au jardin partagé.",
    "Nous avons planté des radis, des salades et des fleurs pour les abeilles.",
    "Ensuite nous avons interviewé le jardinier de la ville, qui nous a montré le compost.",
)


@dataclass(frozen=True)
class Figures:
    """One wrk run."""

    episodes: int
    layout: str
    load: str  # idle or render
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    bad_status: int
    busy: float | None  # share of the run with a worker ffmpeg running (render runs only)
    rss_mb: int = 0  # resident memory of the app's processes at the end of the run
    others: float = 0.0  # cores used meanwhile by processes neither the bench nor the app's


# Setting up ------------------------------------------------------------------------------------


def free_ports(count: int) -> list[int]:
    """Distinct TCP ports nobody listens on right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def environment(root: Path, port: int, **extra: str) -> dict[str, str]:
    """WEBRADIO_* settings for the scratch instance, as tests/browser_support.py sets them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEBRADIO_")}
    env.update(
        WEBRADIO_INSTANCE_PATH=str(root / "instance"),
        WEBRADIO_DATABASE_URL=f"sqlite:///{root / 'db.sqlite3'}",
        WEBRADIO_MEDIA_ROOT=str(root / "media"),
        WEBRADIO_FEEDS_ROOT=str(root / "feeds"),
        WEBRADIO_QUEUE_URL=f"sqlite:///{root / 'queue.sqlite3'}",
        WEBRADIO_BASE_URL=f"http://127.0.0.1:{port}",
        **extra,
    )
    return env


def webradio(env: dict[str, str], root: Path, *args: str) -> str:
    """Run `webradio ARGS` to completion; its stdout."""
    done = subprocess.run(
        [str(WEBRADIO), *args], env=env, cwd=root, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"webradio {' '.join(args)}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def make_take(path: Path, minutes: float) -> None:
    """A classroom-like take: espeak-ng speech looped over pink room noise, mono 44.1 kHz."""
    voice = path.with_name("voice.wav")
    subprocess.run(
        ["espeak-ng", "-v", "fr", "-s", "150", "-w", str(voice), " ".join(SENTENCES)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-stream_loop", "-1"]
        + ["-i", str(voice), "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.02"]
        + [
            "-filter_complex",
            "[0:a]aresample=44100[v];[1:a]aresample=44100[n];"
            "[v][n]amix=inputs=2:duration=first:normalize=0",
        ]  # fmt: skip
        + ["-t", str(minutes * 60), "-ac", "1", "-ar", "44100", str(path)],
        check=True,
    )


def make_bomb(path: Path, hours: float = 6.0) -> None:
    """Digital silence as FLAC written to a pipe: no length in its header, 14 MB for 6 h."""
    with path.open("wb") as out:
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono"]
            + ["-t", f"{hours * 3600:.0f}", "-c:a", "flac", "-f", "flac", "pipe:1"],
            stdout=out,
            check=True,
        )


def add_episodes(root: Path, port: int, count: int) -> list[tuple[str, str]]:
    """Clone the demo episode's rows until the school has `count` public episodes (same master
    file, same parts and participants, so the gate answers alike); (episode id, media path)."""
    os.environ.update(environment(root, port))
    from sqlalchemy import select

    from webradio import create_app, outputs, schools, urls
    from webradio.clock import now_utc
    from webradio.extensions import db
    from webradio.models import Episode, EpisodePart

    app = create_app()
    with app.app_context():
        school = schools.get_school(SLUG)
        public = list(
            db.session.scalars(select(Episode).filter_by(school_id=school.id, state="published"))
        )
        model = public[0]
        skip = {"id", "guid", "created_at", "updated_at"}
        columns = [c.key for c in Episode.__table__.columns if c.key not in skip]
        start = now_utc() - timedelta(days=count)
        for number in range(len(public), count):
            clone = Episode(**{key: getattr(model, key) for key in columns})
            clone.guid = f"urn:uuid:bench-{number:05d}"
            clone.title = f"Le journal de la semaine n° {number + 1}"
            clone.published_at = start + timedelta(hours=number)
            clone.parts = [
                EpisodePart(
                    position=p.position,
                    take_id=p.take_id,
                    in_s=p.in_s,
                    out_s=p.out_s,
                    title=p.title,
                )
                for p in model.parts
            ]
            clone.participants = list(model.participants)
            db.session.add(clone)
        db.session.commit()
        outputs.refresh({outputs.EVERY_SCHOOL})
        shown = db.session.scalars(
            select(Episode)
            .filter_by(school_id=school.id, state="published")
            .order_by(Episode.published_at.desc())
        ).all()
        found = [(e.id, urls.media(e.id, e.media_key or "").split("/", 3)[-1]) for e in shown]
        db.engine.dispose()
    return [(episode_id, "/" + path) for episode_id, path in found]


def mix(episodes: list[tuple[str, str]], etag: str) -> list[str]:
    """The request list (20 lines, bench/serve_mix.lua's format): 10 conditional feed polls,
    2 full feeds, 2 school pages, 2 episode pages, 2 media ranges, 2 embeds."""
    gzip = "Accept-Encoding: gzip"
    feed = f"/feeds/{SLUG}.xml"
    first, later = episodes[0], episodes[min(len(episodes) - 1, len(episodes) // 2)]
    lines = [f"{feed}\t{gzip}\tIf-None-Match: {etag}"] * 10
    lines += [f"{feed}\t{gzip}"] * 2
    lines += [f"/radio/{SLUG}/\t{gzip}"] * 2
    lines += [f"/radio/{SLUG}/episodes/{e[0]}\t{gzip}" for e in (first, later)]
    lines += [f"{first[1]}\tRange: bytes=0-65535", f"{later[1]}\tRange: bytes=131072-196607"]
    lines += [f"/embed/{e[0]}\t{gzip}" for e in (first, later)]
    order = [0, 12, 1, 14, 2, 16, 3, 18, 4, 10, 5, 13, 6, 15, 7, 17, 8, 19, 9, 11]
    return [lines[i] for i in order]


def check_mix(base: str, lines: list[str]) -> None:
    """Each request of the mix answers 200, 206 or 304 once, so the figures mean what they say."""
    for line in dict.fromkeys(lines):
        path, *headers = line.split("\t")
        request = urllib.request.Request(
            base + path, headers=dict(h.split(": ", 1) for h in headers)
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                status = answer.status
        except urllib.error.HTTPError as error:
            status = error.code
        if status not in (200, 206, 304):
            raise SystemExit(f"{base}{path} answered {status}")


def feed_etag(base: str) -> str:
    """The ETag a server gives for the gzip feed (what a podcast app polls with)."""
    request = urllib.request.Request(
        f"{base}/feeds/{SLUG}.xml", headers={"Accept-Encoding": "gzip"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return str(answer.headers["ETag"])


# Servers ---------------------------------------------------------------------------------------


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 90.0) -> None:
    """Poll `url` until it answers 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped (exit {process.returncode}) before {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def start_app(root: Path, port: int, layout: str) -> subprocess.Popen[bytes]:
    """`webradio run --port P` as `make run` starts it, in the layout asked."""
    extra = {"run-gunicorn": ["--server", "gunicorn"], "one-process": ["--one-process"]}
    settings = {"nginx": {"WEBRADIO_PROXY_FIX": "1"}, "run-1": {"WEBRADIO_WEB_PROCESSES": "1"}}
    env = environment(root, port, **settings.get(layout, {}))
    log = (root / f"run-{layout}.log").open("ab")
    process = subprocess.Popen(
        [str(WEBRADIO), "run", "--port", str(port), *extra.get(layout, [])],
        env=env,
        cwd=root,
        stdout=log,
        stderr=log,
    )
    wait_until_up(f"http://127.0.0.1:{port}/connexion", process)
    return process


def start_nginx(root: Path, port: int, app_port: int) -> subprocess.Popen[bytes]:
    """nginx in front of the app, from bench/nginx-serve.conf."""
    (root / "nginx-tmp").mkdir(exist_ok=True)
    conf = (BENCH / "nginx-serve.conf").read_text()
    for name, value in (
        ("@ROOT@", str(root)),
        ("@FEEDS@", str(root / "feeds")),
        ("@PORT@", str(port)),
        ("@APP_PORT@", str(app_port)),
    ):
        conf = conf.replace(name, value)
    path = root / "nginx.conf"
    path.write_text(conf)
    process = subprocess.Popen(
        ["nginx", "-p", str(root), "-c", str(path), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_up(f"http://127.0.0.1:{port}/connexion", process)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl+C a server we started (by its own pid), killing it if it lingers."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


# Measuring -------------------------------------------------------------------------------------


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process below `pid`."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[tuple[int, str]] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            try:
                command = (Path("/proc") / str(child) / "cmdline").read_bytes()
            except OSError:
                continue
            found.append((child, command.replace(b"\0", b" ").decode("utf-8", "replace")))
            todo.append(child)
    return found


def cpu_s(pids: list[int]) -> float:
    """CPU seconds used by these processes and the children they reaped."""
    total = 0
    for process in pids:
        for pid in [process] + [child for child, _ in descendants(process)]:
            try:
                stat = (Path("/proc") / str(pid) / "stat").read_text()
            except OSError:
                continue
            total += sum(int(n) for n in stat[stat.rindex(")") + 2 :].split()[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU seconds the whole machine spent busy since it started (every core)."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def measured(
    base: str, requests: Path, args: argparse.Namespace, servers: list[int]
) -> tuple[dict[str, Any], float]:
    """One wrk run, and the cores other processes of the machine used meanwhile (neither wrk
    nor `servers`): what makes two runs hard to compare on a shared machine."""
    before = (machine_busy_s(), cpu_s(servers), resource.getrusage(resource.RUSAGE_CHILDREN))
    figures = wrk(base, requests, args.seconds, args.connections)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    used_by_wrk = children.ru_utime + children.ru_stime - before[2].ru_utime - before[2].ru_stime
    others = machine_busy_s() - before[0] - (cpu_s(servers) - before[1]) - used_by_wrk
    return figures, max(0.0, others / args.seconds)


def rss_mb(pid: int) -> int:
    """Resident memory of `pid` and every process below it, in MB."""
    total_kb = 0
    for process in [pid] + [child for child, _ in descendants(pid)]:
        try:
            status = (Path("/proc") / str(process) / "status").read_text()
        except OSError:
            continue
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        total_kb += int(found.group(1)) if found else 0
    return total_kb // 1024


def rendering(server: int) -> bool:
    """Whether the server's worker runs ffmpeg (the wheel's is ffmpeg-linux-...) or the speech
    detector's child now."""
    return any(
        Path(command.split(" ", 1)[0]).name.startswith("ffmpeg") or "webradio.audio.vad" in command
        for _, command in descendants(server)
    )


_DURATION = re.compile(r"([\d.]+)(us|ms|s|m)\b")
_SCALE = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    found = _DURATION.fullmatch(text.strip())
    assert found, text
    return float(found.group(1)) * _SCALE[found.group(2)]


def wrk(base: str, requests: Path, seconds: int, connections: int) -> dict[str, Any]:
    """One wrk run of the mix; req/s, p50/p99 in ms, socket errors, non-2xx/3xx answers."""
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    argv += ["-s", str(BENCH / "serve_mix.lua"), base + "/", "--", str(requests)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    assert rps and p50 and p99, out
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(rps.group(1)),
        "p50_ms": _ms(p50.group(1)),
        "p99_ms": _ms(p99.group(1)),
        "errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
        "bad_status": int(bad.group(1)) if bad else 0,
    }


def episode_shown(root: Path, port: int, episode_id: str) -> dict[str, Any]:
    """`webradio episode show --json`."""
    out = webradio(environment(root, port), root, "episode", "show", episode_id, "--json")
    return json.loads(out[out.index("{") :])  # type: ignore[no-any-return]


def episode_state(root: Path, port: int, episode_id: str) -> str:
    """The episode's state, as `webradio episode show --json` says it."""
    return str(episode_shown(root, port, episode_id)["state"])


def episode_error(root: Path, port: int, episode_id: str) -> str:
    """What the episode (or its take) says went wrong, as the command line shows it."""
    shown = episode_shown(root, port, episode_id)
    return str(shown.get("failure_reason") or "no reason given")


class Render:
    """A 15-minute take submitted as `webradio episode create ... --take FILE`, followed."""

    def __init__(self, root: Path, port: int, take: Path, server: int) -> None:
        self.root, self.port, self.server = root, port, server
        argv = [str(WEBRADIO), "episode", "create", "--school", SLUG, "--title", "Banc d'essai"]
        argv += ["--take", str(take), "--audience", "class", "--no-pupil-voices"]
        self.cli = subprocess.Popen(
            argv, env=environment(root, port), cwd=root, stdout=subprocess.PIPE
        )

    def wait_started(self, seconds: float = 300.0) -> str:
        """Wait until the command returned and the worker runs ffmpeg; the episode's id."""
        out, _ = self.cli.communicate(timeout=seconds)
        if self.cli.returncode != 0:
            raise SystemExit("webradio episode create failed")
        episode_id = re.findall(r"^([0-9a-z]{10})$", out.decode(), re.M)[-1]
        deadline = time.monotonic() + seconds
        while not rendering(self.server):
            if time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start rendering {episode_id}")
            time.sleep(0.1)
        return episode_id

    def wait_done(self, episode_id: str, seconds: float = 900.0) -> str:
        """Wait until the render ended; its state."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            state = episode_state(self.root, self.port, episode_id)
            if state not in ("draft", "rendering"):
                while rendering(self.server) and time.monotonic() < deadline:
                    time.sleep(0.2)
                return state
            time.sleep(0.5)
        raise SystemExit(f"{episode_id} still rendering after {seconds} s")


def sample_busy(server: int, stop: threading.Event, samples: list[bool]) -> None:
    """Note every 0.2 s whether the worker runs ffmpeg."""
    while not stop.wait(0.2):
        samples.append(rendering(server))


def measure_layout(
    root: Path, count: int, layout: str, episodes: list[tuple[str, str]], take: Path,
    args: argparse.Namespace,
) -> list[Figures]:  # fmt: skip
    """Start the layout, measure idle then while a take renders, stop it."""
    app_port, nginx_port = free_ports(2)
    app = start_app(root, app_port, layout)
    front = start_nginx(root, nginx_port, app_port) if layout == "nginx" else None
    base = f"http://127.0.0.1:{nginx_port if front else app_port}"
    results: list[Figures] = []
    try:
        lines = mix(episodes, feed_etag(base))
        check_mix(base, lines)
        requests = root / f"mix-{layout}.txt"
        requests.write_text("\n".join(lines) + "\n")
        wrk(base, requests, 2, args.connections)  # warm-up
        servers = [app.pid] + ([front.pid] if front else [])
        idle, others = measured(base, requests, args, servers)
        memory = rss_mb(app.pid)
        results.append(
            Figures(count, layout, "idle", busy=None, rss_mb=memory, others=others, **idle)
        )
        show(results[-1])
        render = Render(root, app_port, take, app.pid)
        submitted = time.monotonic()
        episode_id = render.wait_started()
        samples: list[bool] = []
        done = threading.Event()
        sampler = threading.Thread(target=sample_busy, args=(app.pid, done, samples))
        sampler.start()
        try:
            busy, others = measured(base, requests, args, servers)
            memory = rss_mb(app.pid)
        finally:
            done.set()
            sampler.join()
        share = sum(samples) / max(1, len(samples))
        load = "bomb" if args.bomb else "render"
        results.append(
            Figures(count, layout, load, busy=share, rss_mb=memory, others=others, **busy)
        )
        show(results[-1])
        state = render.wait_done(episode_id)
        if args.bomb:
            print(
                f"  the bomb: the worker busy {time.monotonic() - submitted:.0f} s, the episode "
                f"{state}: {episode_error(root, app_port, episode_id)}",
                flush=True,
            )
        elif state != "ready":
            print(f"  (the render ended {state})", file=sys.stderr)
    finally:
        if front is not None:
            stop(front)
        stop(app)
    return results


HEADER = (
    f"{'episodes':>8} {'layout':<13}{'load':<7}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}"
    f"{'errors':>8}{'non-2xx/3xx':>13}{'busy':>6}{'RSS MB':>8}{'others':>8}"
)


def show(row: Figures) -> None:
    """One line of the table, as soon as it is measured."""
    busy = "" if row.busy is None else f"{row.busy:.0%}"
    print(
        f"{row.episodes:>8} {row.layout:<13}{row.load:<7}{row.rps:>8,.0f}{row.p50_ms:>9.1f}"
        f"{row.p99_ms:>9.1f}{row.errors:>8}{row.bad_status:>13}{busy:>6}{row.rss_mb:>8}"
        f"{row.others:>8.1f}",
        flush=True,
    )


def verdict(rows: list[Figures]) -> None:
    """The targets, on the shipped layout."""
    for row in rows:
        if row.layout != "run":
            continue
        if row.load == "idle":
            ok = row.rps >= TARGETS["idle_rps"]
            goal = f">= {TARGETS['idle_rps']:,.0f} req/s"
        else:
            ok = (
                row.rps >= TARGETS["busy_rps"]
                and row.p99_ms < TARGETS["busy_p99_ms"]
                and row.errors + row.bad_status == 0
            )
            goal = f">= {TARGETS['busy_rps']:,.0f} req/s, p99 < {TARGETS['busy_p99_ms']:.0f} ms"
        print(f"target {row.episodes} episodes {row.load}: {goal}: {'ok' if ok else 'below'}")


def main() -> None:
    """Set up once, then measure each size and layout."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 episodes, 5 s runs, 5-min take")
    parser.add_argument("--episodes", default="50,500")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--take-minutes", type=float, default=15.0)
    parser.add_argument("--layouts", default=",".join(LAYOUTS))
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--bomb", action="store_true", help="a decompression bomb as the take")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers on the way out
    if args.quick:
        args.episodes, args.seconds, args.take_minutes = "50", 5, 5.0
    layouts = [name for name in args.layouts.split(",") if name]
    unknown = set(layouts) - set(LAYOUTS)
    if unknown:
        raise SystemExit(f"unknown layouts: {', '.join(sorted(unknown))}")
    for tool in ("wrk", "nginx", "ffmpeg", "espeak-ng"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed")

    root = (args.workdir or Path(tempfile.mkdtemp(prefix="webradio-bench-serve-"))).resolve()
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)  # nginx's workers drop to an unprivileged user and must read feeds/
    rows: list[Figures] = []
    try:
        (port,) = free_ports(1)
        env = environment(root, port)
        webradio(env, root, "db", "upgrade")
        webradio(env, root, "demo")
        take = root / ("bomb.flac" if args.bomb else "take.wav")
        if args.bomb:
            make_bomb(take)
        else:
            make_take(take, args.take_minutes)
        print(
            f"wrk -t2 -c{args.connections} -d{args.seconds}s, bench/serve_mix.lua; "
            + (
                f"the take: a decompression bomb ({take.stat().st_size / 1e6:.0f} MB of FLAC "
                "that decodes to 6 h, no length in its header); "
                if args.bomb
                else f"render: a {args.take_minutes:g}-minute take; "
            )
            + f"{os.cpu_count()} cores "
            f"(run: {os.cpu_count()} web processes)",
            flush=True,
        )
        print(HEADER, flush=True)
        for count in (int(n) for n in args.episodes.split(",")):
            episodes = add_episodes(root, port, count)
            for layout in layouts:
                rows += measure_layout(root, count, layout, episodes, take, args)
        verdict(rows)
        if args.json:
            print(json.dumps([asdict(row) for row in rows]))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

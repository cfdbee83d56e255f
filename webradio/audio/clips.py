"""Short generated clips (jingle, demo take); the only module that imports pydub."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

from webradio.audio.ffmpeg import FfmpegBinary, run_ffmpeg
from webradio.errors import N_, AudioError

with warnings.catch_warnings():
    # pydub looks for ffmpeg/ffprobe on PATH at import; we set AudioSegment.converter instead.
    warnings.filterwarnings("ignore", "Couldn't find ffmpeg or avconv", RuntimeWarning)
    warnings.filterwarnings("ignore", "Couldn't find ffprobe or avprobe", RuntimeWarning)
    # Python 3.11-3.12 deprecate audioop, which pydub imports; `pytest -W error` would
    # otherwise override the same filter in pyproject.toml (CONTRACT 4).
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    from pydub import AudioSegment
    from pydub.generators import Sine

SAMPLE_RATE_HZ = 44100
SENTENCES = (
    "Bonjour, ici la radio de l'école.",
    "Aujourd'hui, la classe vous raconte sa sortie au jardin.",
    "Nous avons planté des tomates et observé les abeilles.",
    "Merci de nous avoir écoutés, et à bientôt !",
)


def make_jingle(out_path: Path, ffmpeg: FfmpegBinary, seconds: float = 3.0) -> Path:
    """A short bright chime (an arpeggio of sines with soft decays), written as WAV."""
    AudioSegment.converter = ffmpeg.path
    total_ms = int(seconds * 1000)
    chime = AudioSegment.silent(duration=total_ms, frame_rate=SAMPLE_RATE_HZ)
    notes_hz = (523.25, 659.25, 783.99, 1046.5)
    step_ms = max(1, total_ms // 8)
    for index, freq in enumerate(notes_hz):
        length = max(1, total_ms - index * step_ms)
        tone = Sine(freq, sample_rate=SAMPLE_RATE_HZ).to_audio_segment(length, volume=-20.0)
        shine = Sine(freq * 2, sample_rate=SAMPLE_RATE_HZ).to_audio_segment(length, volume=-32.0)
        note = tone.overlay(shine).fade_in(10).fade_out(max(1, length - 40))
        chime = chime.overlay(note, position=index * step_ms)
    with open(out_path, "wb") as out:
        chime.set_channels(2).export(out, format="wav")
    return out_path


def build_speechlike_command(
    ffmpeg_path: str,
    out_path: Path | str,
    *,
    seconds: float = 12.0,
    channels: int = 1,
    speech_db: float = -20.0,
    noise_db: float = -62.0,
    lead_s: float = 2.0,
    tail_s: float = 2.0,
    sample_rate_hz: int = SAMPLE_RATE_HZ,
    output_args: tuple[str, ...] = ("-c:a", "pcm_s16le", "-f", "wav"),
    shout_db: float | None = None,
    shout_after_s: float | None = None,
) -> list[str]:
    """argv synthesising voice-like audio: gliding harmonics in syllables, on room noise.

    With `shout_db`, the voice jumps to that level after `shout_after_s` (a whisper, then a
    shout); levels above about -8 LUFS clip when written as integers, as a real shout does.
    """
    amp = 10 ** ((speech_db + 16.3) / 20) / 2.5  # calibrated: about speech_db LUFS
    if shout_db is not None:
        loud = 10 ** ((shout_db + 16.3) / 20) / 2.5
        turn = seconds / 2 if shout_after_s is None else shout_after_s
        level = f"if(lt(t,{turn}),{amp:.6f},{loud:.6f})"
    else:
        level = f"{amp:.6f}"
    noise = 10 ** (noise_db / 20) * 2
    end = seconds - tail_s
    phase = "2*PI*(125*t+4*sin(2*PI*0.9*t))"
    harmonics = "+".join(
        f"{weight}*sin({k}*{phase}+{k * k * 0.7:.1f})"
        for k, weight in ((1, 1), (2, 0.7), (3, 0.5), (4, 0.3), (6, 0.15))
    )
    envelope = (
        "(0.6+0.4*sin(2*PI*4.3*t))*(0.75+0.25*sin(2*PI*0.23*t))"
        f"*gt(mod(t-{lead_s},2.3),0.6)*between(t,{lead_s},{end})"
    )
    voice = f"aevalsrc=exprs='{level}*({harmonics})*{envelope}':s={sample_rate_hz}:d={seconds}"
    room = f"anoisesrc=c=pink:a={noise:.6f}:r={sample_rate_hz}:d={seconds}:seed=7"
    return [
        ffmpeg_path,
        "-hide_banner",
        "-nostats",
        "-nostdin",
        "-y",
        "-f",
        "lavfi",
        "-i",
        voice,
        "-f",
        "lavfi",
        "-i",
        room,
        "-filter_complex",
        "[0:a][1:a]amix=inputs=2:normalize=0:duration=first[out]",
        "-map",
        "[out]",
        "-ac",
        str(channels),
        *output_args,
        str(out_path),
    ]


def build_pad_command(
    ffmpeg_path: str,
    voice_path: Path | str,
    out_path: Path | str,
    channels: int,
    pad_s: float = 2.0,
) -> list[str]:
    """argv putting quiet room noise for pad_s seconds before and after a recorded voice."""
    delay_ms = int(pad_s * 1000)
    graph = (
        f"[0:a]aresample={SAMPLE_RATE_HZ},adelay={delay_ms}:all=1,apad=pad_dur={pad_s}[v];"
        f"anoisesrc=c=pink:a=0.0016:r={SAMPLE_RATE_HZ}:seed=7[n];"
        "[v][n]amix=inputs=2:normalize=0:duration=first[out]"
    )
    return [
        ffmpeg_path,
        "-hide_banner",
        "-nostats",
        "-nostdin",
        "-y",
        "-i",
        str(voice_path),
        "-filter_complex",
        graph,
        "-map",
        "[out]",
        "-ac",
        str(channels),
        "-c:a",
        "pcm_s16le",
        "-f",
        "wav",
        str(out_path),
    ]


def make_speechlike_take(
    out_path: Path, ffmpeg: FfmpegBinary, seconds: float = 12.0, channels: int = 1
) -> Path:
    """A demo take as WAV, with no download: espeak-ng in French if installed, else synthesis."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        run_ffmpeg(
            build_speechlike_command(ffmpeg.path, out_path, seconds=seconds, channels=channels)
        )
        return out_path
    # espeak-ng says about one sentence per three seconds; the rest is room noise.
    count = max(1, min(len(SENTENCES), round((seconds - 4.0) / 3.0)))
    with tempfile.TemporaryDirectory() as scratch:
        voice = Path(scratch) / "voice.wav"
        try:
            subprocess.run(
                [espeak, "-v", "fr", "-s", "150", "-w", str(voice), " ".join(SENTENCES[:count])],
                check=True,
                capture_output=True,
                timeout=60,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise AudioError(
                "demo_failed",
                N_("La voix de démonstration n'a pas pu être créée."),
                detail=str(exc),
            ) from exc
        run_ffmpeg(build_pad_command(ffmpeg.path, voice, out_path, channels), timeout=120)
    return out_path

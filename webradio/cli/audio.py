"""`webradio process`: clean one take from the command line.

It needs no database: it reads the settings (standalone.py) and never builds the app.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from webradio.cli.common import refusals
from webradio.errors import N_, WebradioError


@click.command()
@click.argument("in_path", type=click.Path(path_type=Path))
@click.argument("out_path", type=click.Path(path_type=Path))
@click.option("--preset", default="podcast", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--denoise", is_flag=True, help="Broadband noise reduction (afftdn).")
@refusals
def process(in_path: Path, out_path: Path, preset: str, as_json: bool, denoise: bool) -> None:
    """Clean one take: loudness, true peak, silences; write an MP3."""
    from webradio.audio.ffmpeg import find_ffmpeg
    from webradio.audio.pipeline import process as run_pipeline
    from webradio.audio.presets import configured_max_take_s, configured_preset
    from webradio.cli.standalone import settings

    if not in_path.is_file():
        raise WebradioError(N_("Fichier introuvable : %(path)s"), path=str(in_path))
    config = settings()
    report = run_pipeline(
        in_path,
        out_path,
        configured_preset(preset, noise_reduction=denoise, config=config),
        find_ffmpeg(config.get("FFMPEG")),
        max_take_s=configured_max_take_s(config),
    )
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        for key, value in report.to_json().items():
            click.echo(f"{key}: {value}", err=True)
        click.echo(str(out_path))

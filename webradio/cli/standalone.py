"""What a command that needs no database reads, without building the app: its settings and
its language.

`webradio process` works on files alone. Building the app (database, queue, web, mail) cost it
two seconds before its first ffmpeg; the settings it reads are the same layers create_app
stacks: defaults, the instance's config.py, then the WEBRADIO_* variables.
"""

from __future__ import annotations

import gettext
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from webradio import config as config_layers

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def settings() -> Mapping[str, Any]:
    """The running app's config when there is one (tests), else the layers create_app reads
    (without Flask, when nothing has imported it: then no app runs)."""
    if "flask" in sys.modules:
        from flask import current_app, has_app_context

        if has_app_context():
            return current_app.config
    return config_layers.layered_settings()


def translate(message: str, **params: object) -> str:
    """A French message in the configured LANGUAGE (the catalogue the app uses), fields filled."""
    language = str(settings().get("LANGUAGE") or "fr")
    text = message
    if language != "fr":
        catalogue = gettext.translation(
            "messages", str(TRANSLATIONS), languages=[language], fallback=True
        )
        text = catalogue.gettext(message)
    return text % params if params else text

"""The `webradio` command line for the city IT team: ids on stdout, messages on stderr.

The command group is Flask's (group.py): the app's commands run in its context. `webradio
process` needs neither the app nor Flask: it reads a take and writes an MP3. So the installed
command (`entry`) runs it without importing Flask, which cost 0.16 s of its 0.74 s on a
one-second take; `webradio.cli.main` is the whole group, imported when first asked for.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any


def entry() -> None:
    """The installed `webradio` command: `process` straight away, the rest through the group;
    a setting that cannot be read is said in words (exit 1), not as a traceback."""
    from webradio.config import SettingError

    try:
        if sys.argv[1:2] == ["process"]:
            from webradio.cli.audio import process

            process.main(sys.argv[2:], prog_name="webradio process")
        else:
            from webradio.cli.group import main

            main()
    except SettingError as exc:
        sys.exit(f"webradio : {exc}")


def __getattr__(name: str) -> Any:
    """`main` (the command group) and the other names of group.py, imported when asked for."""
    group = importlib.import_module("webradio.cli.group")
    try:
        return getattr(group, name)
    except AttributeError:
        raise AttributeError(f"module 'webradio.cli' has no attribute {name!r}") from None

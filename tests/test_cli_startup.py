"""`webradio process` works on files alone: it never builds the app nor imports its database,
queue or web layers, and reads its settings (instance config.py, WEBRADIO_*) all the same."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from browser_support import demo_environment, free_port

# Run the command line as its entry point does, then list what got imported.
PROBE = """
import json, sys
from webradio.cli import main
try:
    main(sys.argv[1:], prog_name="webradio")
except SystemExit as done:
    code = done.code
heavy = ("sqlalchemy", "flask_sqlalchemy", "alembic", "huey", "flask_babel", "flask_login",
         "webradio.factory", "webradio.models", "webradio.web")
print(json.dumps({"code": code, "heavy": sorted(m for m in sys.modules if m.startswith(heavy))}))
"""


def probe(env: dict[str, str], root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `webradio ARGS` in a fresh Python that reports what it imported."""
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env, cwd=root, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_process_imports_no_database_queue_or_web(tmp_path: Path, take_wav: Path) -> None:
    env = demo_environment(tmp_path, free_port())
    done = probe(env, tmp_path, "process", str(take_wav), "out.mp3", "--json")
    lines = done.stdout.strip().splitlines()
    assert json.loads(lines[-1]) == {"code": 0, "heavy": []}, done.stderr
    assert json.loads(lines[-2])["output_lufs"] is not None
    assert not (tmp_path / "instance" / "webradio.sqlite3").exists()


def test_process_reads_the_instance_settings_and_language(tmp_path: Path, take_wav: Path) -> None:
    env = demo_environment(tmp_path, free_port())
    instance = tmp_path / "instance"
    instance.mkdir()
    # A one-second limit in the instance's config.py: the take (longer) is refused by it.
    (instance / "config.py").write_text("MAX_TAKE_SECONDS = 1.0\n")
    refused = probe(env, tmp_path, "process", str(take_wav), "out.mp3")
    assert json.loads(refused.stdout.strip().splitlines()[-1]) == {"code": 1, "heavy": []}
    assert "trop long" in refused.stderr and "Traceback" not in refused.stderr
    env["WEBRADIO_LANGUAGE"] = "en"
    in_english = probe(env, tmp_path, "process", str(take_wav), "out.mp3")
    assert "too long" in in_english.stderr
    assert not (tmp_path / "out.mp3").exists()


# The installed command (`webradio.cli:entry`), then what of Flask got imported.
ENTRY_PROBE = """
import json, sys
from webradio.cli import entry
sys.argv = ["webradio", *sys.argv[1:]]
code = 0
try:
    entry()
except SystemExit as done:
    code = done.code
web = ("flask", "werkzeug", "jinja2", "webradio.cli.group")
print(json.dumps({"code": code, "web": sorted(m for m in sys.modules if m.startswith(web))}))
"""


def test_the_installed_command_processes_without_importing_flask(
    tmp_path: Path, take_wav: Path
) -> None:
    """Importing Flask was a fifth of `webradio process`'s start-up on a one-second take."""
    env = demo_environment(tmp_path, free_port())
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("LANGUAGE = 'en'\n")
    run = [sys.executable, "-c", ENTRY_PROBE]
    done = subprocess.run(
        [*run, "process", str(take_wav), "out.mp3", "--json"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    assert json.loads(lines[-1]) == {"code": 0, "web": []}, done.stderr
    assert json.loads(lines[-2])["output_lufs"] is not None
    missing = subprocess.run(
        [*run, "process", "absent.wav", "out.mp3"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert json.loads(missing.stdout) == {"code": 1, "web": []}
    assert "not found" in missing.stderr.lower() and "Traceback" not in missing.stderr
    others = subprocess.run(
        [*run, "--help"], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert "process" in others.stdout and "school" in others.stdout  # the whole group

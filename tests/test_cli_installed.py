"""The installed `webradio` command in its own process, as the city IT team's scripts run it.

The other CLI tests invoke the click group inside the test app's context; only a real process
shows that every group pushes the app context itself (a plain click group does not).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from browser_support import demo_environment, free_port, webradio_script


def run(env: dict[str, str], root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `webradio ARGS` in its own process and return what it printed."""
    return subprocess.run(
        [str(webradio_script()), *args],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def ok(env: dict[str, str], root: Path, *args: str) -> str:
    """Run a command that must succeed; return its last stdout line."""
    done = run(env, root, *args)
    assert done.returncode == 0, f"webradio {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def test_every_group_runs_in_its_own_process(tmp_path: Path, take_wav: Path) -> None:
    env = demo_environment(tmp_path, free_port())
    ok(env, tmp_path, "db", "upgrade")
    assert ok(env, tmp_path, "user", "list") == ""  # no account yet, and no traceback
    assert ok(env, tmp_path, "school", "create", "ecole-a", "--name", "École A") == "ecole-a"
    summary = json.loads(ok(env, tmp_path, "school", "show", "ecole-a", "--json"))
    assert ok(env, tmp_path, "school", "set", "ecole-a", "--noise-reduction", "on") == "ecole-a"
    assert summary["city_feed_url"].endswith("/feeds/ville/flux.xml")
    pupil = ok(env, tmp_path, "pupil", "add", "--school", "ecole-a", "--class", "CM2",
               "--first-name", "Léa")  # fmt: skip
    ok(env, tmp_path, "consent", "grant", pupil, "--audiences", "class,families")
    shown = json.loads(ok(env, tmp_path, "consent", "show", pupil, "--json"))
    assert shown["audiences"] == ["class", "families"]
    ok(env, tmp_path, "consent", "sweep")
    assert ok(env, tmp_path, "family-token", "create", "--school", "ecole-a", "--label", "F1")
    token_id = ok(env, tmp_path, "family-token", "list", "--school", "ecole-a").split("\t")[0]
    ok(env, tmp_path, "family-token", "revoke", token_id)
    assert ok(env, tmp_path, "family-token", "list", "--school", "ecole-a").endswith("revoked")
    ok(env, tmp_path, "feeds", "rebuild")
    report = json.loads(ok(env, tmp_path, "process", str(take_wav), "out.mp3", "--json"))
    assert report["output_lufs"] is not None and (tmp_path / "out.mp3").stat().st_size > 0
    refused = run(env, tmp_path, "consent", "show", "inconnu")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr

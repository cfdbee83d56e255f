"""The command line of CONTRACT.md section 1, end to end with real ffmpeg and SQLite."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import podcastparser
from click.testing import Result
from flask.testing import FlaskCliRunner

from webradio.cli import main


def cli(runner: FlaskCliRunner, *args: str, input: str | None = None) -> Result:
    """Run `webradio ARGS` against the test app."""
    return runner.invoke(main, list(args), input=input)


def last_line(result: Result) -> str:
    """The id a creating command prints alone on its last stdout line."""
    return result.stdout.strip().splitlines()[-1]


def make_school(runner: FlaskCliRunner) -> dict[str, str]:
    """A school with two pupils: Léa allows public, Inès families only."""
    assert last_line(cli(runner, "school", "create", "ecole-a", "--name", "École A")) == "ecole-a"
    ids = {}
    for name, audiences in (("Léa", "class,families,public"), ("Inès", "class,families")):
        result = cli(
            runner, "pupil", "add", "--school", "ecole-a", "--class", "CM2", "--first-name", name
        )
        assert result.exit_code == 0, result.output
        ids[name] = last_line(result)
        granted = cli(runner, "consent", "grant", ids[name], "--audiences", audiences)
        assert granted.exit_code == 0, granted.output
    return ids


def test_school_show_json(runner: FlaskCliRunner) -> None:
    cli(runner, "school", "create", "ecole-b", "--name", "École B")
    shown = json.loads(cli(runner, "school", "show", "ecole-b", "--json").stdout)
    assert shown["slug"] == "ecole-b"
    assert shown["page_url"] == "http://radio.test/radio/ecole-b/"
    assert shown["feed_url"] == "http://radio.test/feeds/ecole-b.xml"


def test_user_create_reads_password_from_stdin_and_refuses_unknown_roles(
    runner: FlaskCliRunner,
) -> None:
    cli(runner, "school", "create", "ecole-c", "--name", "École C")
    ok = cli(
        runner,
        "user",
        "create",
        "prof@c.fr",
        "--role",
        "teacher",
        "--school",
        "ecole-c",
        "--password-stdin",
        input="un-bon-mot-de-passe\n",
    )
    assert ok.exit_code == 0 and last_line(ok)
    bad = cli(
        runner,
        "user",
        "create",
        "x@c.fr",
        "--role",
        "pupil",
        "--password-stdin",
        input="un-bon-mot-de-passe\n",
    )
    assert bad.exit_code == 1
    assert "city-admin, head, teacher" in bad.stderr
    usage = cli(runner, "user", "create")
    assert usage.exit_code == 2


def test_episode_from_take_to_feed(runner: FlaskCliRunner, take_wav: Path, app) -> None:  # type: ignore[no-untyped-def]
    pupils = make_school(runner)
    created = cli(
        runner,
        "episode",
        "create",
        "--school",
        "ecole-a",
        "--title",
        "Le journal",
        "--take",
        str(take_wav),
        "--participant",
        pupils["Léa"],
        "--audience",
        "public",
        "--wait",
    )
    assert created.exit_code == 0, created.output
    episode_id = last_line(created)
    before = json.loads(cli(runner, "episode", "show", episode_id, "--json").stdout)
    assert before["state"] == "ready" and before["audiences"] == [] and before["page_url"] is None

    published = cli(runner, "episode", "publish", episode_id)
    assert published.exit_code == 0, published.output
    shown = json.loads(cli(runner, "episode", "show", episode_id, "--json").stdout)
    assert shown["state"] == "published"
    assert shown["audiences"] == ["class", "families", "public"]
    assert shown["media_url"].endswith(".mp3") and shown["embed_url"]

    feed = Path(app.config["FEEDS_ROOT"]) / "ecole-a.xml"
    parsed = podcastparser.parse("http://radio.test/feeds/ecole-a.xml", BytesIO(feed.read_bytes()))
    (item,) = parsed["episodes"]
    master = (
        Path(app.config["MEDIA_ROOT"])
        / "masters"
        / episode_id
        / shown["media_url"].rsplit("/", 1)[-1]
    )
    assert item["enclosures"][0]["file_size"] == master.stat().st_size

    # A withdrawal reaches the feed before the command returns.
    assert cli(runner, "consent", "withdraw", pupils["Léa"]).exit_code == 0
    after = json.loads(cli(runner, "episode", "show", episode_id, "--json").stdout)
    assert after["state"] == "withdrawn" and after["audiences"] == [] and after["media_url"] is None
    assert (
        podcastparser.parse("http://radio.test/feeds/ecole-a.xml", BytesIO(feed.read_bytes()))[
            "episodes"
        ]
        == []
    )


def test_publish_exit_codes(runner: FlaskCliRunner, take_wav: Path) -> None:
    pupils = make_school(runner)

    def episode(*participants: str) -> str:
        args = [
            "episode",
            "create",
            "--school",
            "ecole-a",
            "--title",
            "T",
            "--take",
            str(take_wav),
            "--audience",
            "public",
            "--wait",
        ]
        for pupil in participants:
            args += ["--participant", pupil]
        return last_line(cli(runner, *args))

    narrower = cli(runner, "episode", "publish", episode(pupils["Léa"], pupils["Inès"]))
    assert narrower.exit_code == 3
    assert "Inès" in narrower.stderr
    no_grant = last_line(
        cli(
            runner, "pupil", "add", "--school", "ecole-a", "--class", "CM2", "--first-name", "Sacha"
        )
    )
    refused = cli(runner, "episode", "publish", episode(no_grant))
    assert refused.exit_code == 1
    assert "Sacha" in refused.stderr


def test_bad_take_fails_with_a_reason(runner: FlaskCliRunner, tmp_path: Path) -> None:
    cli(runner, "school", "create", "ecole-d", "--name", "École D")
    fake = tmp_path / "fake.mp3"
    fake.write_text("ceci n'est pas du son")
    result = cli(
        runner,
        "episode",
        "create",
        "--school",
        "ecole-d",
        "--title",
        "T",
        "--take",
        str(fake),
        "--no-pupil-voices",
        "--audience",
        "class",
        "--wait",
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    episode_id = last_line(result)
    shown = json.loads(cli(runner, "episode", "show", episode_id, "--json").stdout)
    assert shown["state"] == "failed" and shown["failure_reason"]


def test_process_json(runner: FlaskCliRunner, take_wav: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mp3"
    result = cli(runner, "process", str(take_wav), str(out), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert abs(report["output_lufs"] + 16) <= 1 and report["output_true_peak_dbtp"] <= -1.0
    assert out.exists()
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF")
    failed = cli(runner, "process", str(bad), str(tmp_path / "bad.mp3"))
    assert failed.exit_code == 1 and not (tmp_path / "bad.mp3").exists()

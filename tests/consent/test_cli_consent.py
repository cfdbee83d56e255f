"""`consent show`, `consent sweep`, `pupil export`, `pupil erase` (CONTRACT.md section 1)."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import feedparser
from click.testing import Result
from flask.testing import FlaskCliRunner

from webradio import episodes, feeds, publication, pupils, runtime, takes
from webradio.cli import main
from webradio.clock import now_utc, today_paris
from webradio.extensions import db
from webradio.models import AuditEvent, Episode, Pupil, Take

from .conftest import World


def cli(runner: FlaskCliRunner, *args: str) -> Result:
    """Run `webradio ARGS` against the test app."""
    return runner.invoke(main, list(args))


def feed_guids(world: World) -> list[str]:
    """The GUIDs in the school's public feed file as it is on disk."""
    parsed = feedparser.parse(feeds.feed_path(world.school).read_bytes())
    return [entry.id for entry in parsed.entries]


def test_consent_show_json_gives_audiences_until_and_history(
    runner: FlaskCliRunner, world: World
) -> None:
    assert cli(runner, "consent", "withdraw", world.ines.id, "--audiences", "public").exit_code == 0
    result = cli(runner, "consent", "show", world.ines.id, "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["audiences"] == ["class", "families"]
    assert shown["until"] == f"{today_paris().year + (today_paris().month >= 9)}-08-31"
    assert [e["kind"] for e in shown["history"]] == ["granted", "withdrawn"]
    plain = cli(runner, "consent", "show", world.ines.id)
    assert "withdrawn class,families,public -> class,families" in plain.stdout
    assert cli(runner, "consent", "show", "nobody").exit_code == 1


def test_pupil_export_holds_json_and_their_takes(
    runner: FlaskCliRunner, world: World, tmp_path: Path
) -> None:
    out = tmp_path / "lea.zip"
    result = cli(runner, "pupil", "export", world.lea.id, str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(out)
    with zipfile.ZipFile(out) as archive:
        data = json.loads(archive.read("eleve.json"))
        names = archive.namelist()
    (lea_take,) = [p.take for p in world.episode.parts if world.lea in p.take.speakers]
    assert names == ["eleve.json", f"prises/{lea_take.id}.flac"]  # never Inès's take
    assert data["pupil"]["first_name"] == "Léa"
    assert [e["id"] for e in data["episodes"]] == [world.episode.id]
    assert data["authorisations"][0]["history"][0]["kind"] == "granted"
    missing = cli(runner, "pupil", "export", world.lea.id, str(tmp_path / "no" / "x.zip"))
    assert missing.exit_code == 1 and "n'existe pas" in missing.stderr


def test_pupil_erase_deletes_takes_withdraws_and_rebuilds_feeds(
    runner: FlaskCliRunner, world: World
) -> None:
    publication.publish(world.episode, approved_by=None)
    assert feed_guids(world) == [world.episode.guid]
    (ines_take,) = [p.take for p in world.episode.parts if world.ines in p.take.speakers]
    result = cli(runner, "pupil", "erase", world.ines.id)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == world.ines.id
    db.session.expire_all()
    assert feed_guids(world) == []
    assert world.episode.state == "withdrawn" and world.episode.withdrawn_reason == "erasure"
    assert world.ines.first_name != "Inès" and world.ines.erased_at is not None
    assert all(g.withdrawn_at is not None for g in world.ines.grants)
    assert [world.lea in p.take.speakers for p in world.episode.parts] == [True]  # Inès cut
    assert ines_take.deleted_at is not None
    assert not runtime.storage().exists(ines_take.storage_key)
    assert cli(runner, "pupil", "erase", world.ines.id).exit_code == 1
    for row in AuditEvent.query.all():
        assert "Inès" not in row.detail_json
    take_path = runtime.storage().local_path(world.episode.parts[0].take.storage_key)
    again = cli(
        runner,
        "episode",
        "create",
        "--school",
        world.school.slug,
        "--title",
        "Encore",
        "--take",
        str(take_path),
        "--participant",
        world.ines.id,
        "--audience",
        "class",
    )
    assert again.exit_code == 1  # an erased pupil can no longer be named as a participant


def test_sweep_records_expiries_and_withdraws(runner: FlaskCliRunner, world: World) -> None:
    publication.publish(world.episode, approved_by=None)
    (grant,) = world.ines.grants
    grant.valid_until = today_paris() - timedelta(days=1)  # as if midnight had passed
    db.session.commit()
    result = cli(runner, "consent", "sweep")
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == [world.episode.id]
    db.session.expire_all()
    assert world.episode.withdrawn_reason == "expiry"
    assert [e.kind for e in grant.events] == ["granted", "expired"]
    assert feed_guids(world) == []
    assert cli(runner, "consent", "sweep").stdout == ""  # an expiry is recorded once


def test_sweep_deletes_raw_takes_after_retention(runner: FlaskCliRunner, world: World) -> None:
    publication.publish(world.episode, approved_by=None)
    keys = [p.take.storage_key for p in world.episode.parts]
    cli(runner, "consent", "sweep")
    assert all(runtime.storage().exists(k) for k in keys)  # not yet
    world.episode.published_at = now_utc() - timedelta(days=31)
    db.session.commit()
    assert cli(runner, "consent", "sweep").exit_code == 0
    db.session.expire_all()
    assert not any(runtime.storage().exists(k) for k in keys)
    assert all(t.deleted_at is not None for t in Take.query.all())
    assert world.episode.state == "published"  # the master stays


def test_consent_grant_records_the_signature_facts(runner: FlaskCliRunner, world: World) -> None:
    signed = today_paris().isoformat()
    args = ("--audiences", "class", "--signed-on", signed, "--guardians", "2", "--pupil-assent")
    result = cli(runner, "consent", "grant", world.lea.id, *args)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    (grant,) = world.lea.grants
    assert (grant.signed_on, grant.guardians_signed, grant.pupil_assent) == (
        today_paris(),
        2,
        True,
    )
    assert cli(runner, "consent", "grant", world.lea.id, "--audiences", "class",
               "--guardians", "3").exit_code == 2  # fmt: skip


def test_export_leaves_out_undeclared_takes_that_may_hold_another_child(
    world: World, take_wav: Path
) -> None:
    def undeclared_episode(speakers: list[Pupil], salt: bytes) -> Episode:
        take = takes.ingest(world.school, BytesIO(take_wav.read_bytes() + salt), label="x")
        draft = episodes.EpisodeDraft(
            title="Sans voix déclarées",
            take_ids=[take.id],
            audience="class",
            participant_ids=[p.id for p in speakers],
        )
        return episodes.create(world.school, draft)

    alone = undeclared_episode([world.lea], b"\x01")
    shared = undeclared_episode([world.lea, world.ines], b"\x02")
    exported = {t.id for t in pupils.export_takes(world.lea)}
    assert alone.parts[0].take_id in exported  # only Léa can be heard there
    assert shared.parts[0].take_id not in exported  # Inès may be heard there

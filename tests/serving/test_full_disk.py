"""A withdrawal on a full disk: nothing public keeps showing the withdrawn voice while the disk
is full, and the files are rewritten as soon as space returns (the worker's catch-up)."""

from __future__ import annotations

import errno
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path

import pytest
from app_support import IsolatedClient, app_settings
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from web_support import PASSWORD, fetch, sign_in

from webradio import (
    authorisations,
    clock,
    create_app,
    feeds,
    outputs,
    runtime,
    schools,
    sharing,
    urls,
)
from webradio.clock import now_utc, today_paris
from webradio.extensions import db
from webradio.models import OutputsDue

from .conftest import Radio, SetClock, next_day, publish_radio
from .test_public_files import addresses, episode_files


@dataclass
class Disk:
    """The feeds' disk: after `fill()` every new file under it fails with ENOSPC (as on a
    full disk, where removing files is all that still works); `free()` gives the space back."""

    root: Path
    monkeypatch: pytest.MonkeyPatch

    def fill(self) -> None:
        real = os.fdopen

        def full(fd: int, *args: object, **kwargs: object) -> object:
            if os.readlink(f"/proc/self/fd/{fd}").startswith(str(self.root)):
                os.close(fd)
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(fd, *args, **kwargs)  # type: ignore[call-overload]

        self.monkeypatch.setattr(os, "fdopen", full)

    def free(self) -> None:
        self.monkeypatch.undo()


@pytest.fixture
def disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Disk:
    return Disk(tmp_path / "feeds", monkeypatch)


@pytest.fixture
def app(tmp_path: Path, migrated_db: Path, disk: Disk) -> Iterator[Flask]:
    database = tmp_path / "webradio.sqlite3"
    shutil.copyfile(migrated_db, database)
    application = create_app(app_settings(tmp_path, database))
    application.test_client_class = IsolatedClient
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def _due() -> set[str]:
    db.session.rollback()
    found = {due.school_id for due in db.session.scalars(db.select(OutputsDue))}
    db.session.rollback()
    return found


def test_a_withdrawal_on_a_full_disk_publishes_less_and_completes_once_space_returns(
    app: Flask, client: FlaskClient, take_wav: Path, disk: Disk
) -> None:
    radio: Radio = publish_radio(take_wav)
    family = sharing.create_token(radio.school, "CM2 famille 1")
    at = addresses(radio)
    at["family feed"] = f"/familles/{family.token}/flux.xml"
    at["media"] = urls.media(radio.episode.id, radio.episode.media_key or "").removeprefix(
        urls.base()
    )
    guid = radio.episode.guid
    assert guid in fetch(client, at["feed"]).text and guid in fetch(client, at["family feed"]).text
    assert _due() == set()  # every rewrite so far landed
    files = episode_files(radio)

    disk.fill()
    head = app.test_client()
    sign_in(head, "head@fichiers.fr")
    answer = head.post(
        f"/autorisations/eleves/{radio.lea.id}/retrait", data={"total": "1"}, follow_redirects=True
    )
    assert answer.status_code == 200
    assert "n’ont pas pu être réécrits" in answer.text  # the head is told, in French
    assert radio.school.id in _due()
    for name, path in files.items():  # the withdrawn episode's own files are gone at once
        assert not path.exists(), name

    # While the disk is full, no address shows the withdrawn voice; none answers a bare 500.
    seen = {name: fetch(client, path) for name, path in at.items()}
    for name, response in seen.items():
        assert response.status_code in (200, 404, 410, 503), name
        assert guid not in response.text and "Le potager" not in response.text, name
        # (the language links of an error page repeat the address asked, nothing more)
        shown = re.sub(r'href="\?[^"]*"', "", response.text)
        assert radio.episode.id not in shown or response.status_code == 410, name
    assert seen["media"].status_code == 410  # the voice is not heard
    for name in ("feed", "family feed"):  # the stale feed was removed, not served
        assert seen[name].status_code == 503, name
        assert seen[name].headers["Retry-After"] and "Réessayez" in seen[name].text
    assert outputs.catch_up(now_utc() + timedelta(minutes=1)) == []  # still full: still due
    assert radio.school.id in _due()
    # The city's IT team sees which school waits, and since when, on its page.
    db.session.execute(update(OutputsDue).values(since=now_utc() - timedelta(minutes=5)))
    db.session.commit()
    schools.create_user("it@ville.fr", "city-admin", PASSWORD, None)
    city = app.test_client()
    sign_in(city, "it@ville.fr")
    assert "École des Fichiers, depuis le" in fetch(city, "/ville/ecoles").text
    assert "pas encore à jour" in fetch(head, "/").text  # and the head, on the dashboard

    disk.free()
    assert outputs.catch_up(now_utc() + timedelta(minutes=1)) == [radio.school.slug]
    assert _due() == set()
    feed = fetch(client, at["feed"])
    family_feed = fetch(client, at["family feed"])
    assert (feed.status_code, family_feed.status_code) == (200, 200)
    assert guid not in feed.text and guid not in family_feed.text
    assert fetch(client, at["page"]).status_code == 410  # the 410 record is written now
    assert "attendent d’être réécrits" not in fetch(city, "/ville/ecoles").text
    assert "pas encore à jour" not in fetch(head, "/").text
    assert (runtime.feeds_root() / "site" / "gone").is_dir()


def test_a_rewrite_that_never_ran_is_caught_up_by_the_worker(
    app: Flask, take_wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    radio = publish_radio(take_wav)
    files = episode_files(radio)
    with monkeypatch.context() as crash:  # the process dies between the commit and the rewrite
        crash.setattr(outputs, "rewrite_after_commit", lambda _session, _ids: [])
        authorisations.withdraw(radio.lea)
    assert all(path.exists() for path in files.values())  # stale: what the crash left
    assert radio.school.id in _due()
    assert outputs.catch_up() == []  # a mark this young may be a rewrite still running
    assert outputs.catch_up(clock.now_utc() + outputs.RETRY_AFTER) == [radio.school.slug]
    assert not any(path.exists() for path in files.values())
    assert _due() == set()


def test_the_worker_removes_expired_files_in_the_first_minute_after_midnight(
    app: Flask, take_wav: Path, set_clock: SetClock
) -> None:
    day = today_paris()
    set_clock(day, time(12, 0))
    radio = publish_radio(take_wav, until=day)
    files = episode_files(radio)
    set_clock(day, time(23, 59))
    assert outputs.catch_up() == []  # nothing expired: nothing rewritten
    assert all(path.exists() for path in files.values())
    set_clock(next_day(day), time(0, 0, 30))
    # No request needed: a proxy serving the files straight from disk stops at midnight too.
    assert outputs.catch_up() == [radio.school.slug]
    assert not any(path.exists() for path in files.values())
    assert radio.episode.guid not in feeds.feed_path(radio.school).read_text("utf-8")

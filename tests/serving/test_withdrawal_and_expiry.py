"""Withdrawal removes the public files before its answer returns and leaves 410 records; a
file is never served past the midnight that ends its authorisation."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from web_support import fetch, sign_in

from webradio import clock, jobs, runtime, site, urls
from webradio.clock import PARIS, today_paris
from webradio.web.delivery import EMBED_CSP

from .conftest import Radio, SetClock, counted, next_day, publish_radio
from .test_public_files import WITHDRAWN, addresses, episode_files


def test_withdrawal_removes_the_files_before_its_answer_and_leaves_410_records(
    app: Flask, client: FlaskClient, radio: Radio
) -> None:
    files = episode_files(radio)
    media = urls.media(radio.episode.id, radio.episode.media_key or "").removeprefix(urls.base())
    with counted() as queries:  # the sound is heard on the after-commit step's pass
        heard = fetch(client, media, headers={"Range": "bytes=0-99"})
    assert (heard.status_code, len(heard.data), queries) == (206, 100, [])
    head = app.test_client()
    sign_in(head, "head@fichiers.fr")
    answer = head.post(f"/autorisations/eleves/{radio.lea.id}/retrait", data={"total": "1"})
    assert answer.status_code == 302
    for name, path in files.items():  # gone when the withdrawing request answered
        assert not path.exists() and not path.with_name(path.name + ".gz").exists(), name
    name = Path(radio.episode.media_key or "").stem
    assert not (runtime.feeds_root() / site.media_pass_path(radio.episode.id, name)).exists()

    at = addresses(radio)
    with counted() as queries:
        page = fetch(client, at["page"])
        embed = fetch(client, at["embed"])
        chapters = fetch(client, at["chapters"])
        transcript = fetch(client, at["transcript"])
        sound = fetch(client, media)
    assert queries == []  # the 410 records answer, as a proxy can
    assert page.status_code == 410 and WITHDRAWN in page.text
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert embed.status_code == 410 and 'class="gone"' in embed.text and WITHDRAWN in embed.text
    assert embed.headers["Content-Security-Policy"] == EMBED_CSP
    assert (chapters.status_code, transcript.status_code, sound.status_code) == (410, 410, 410)
    assert fetch(client, media, headers={"Range": "bytes=0-1"}).status_code == 410
    assert fetch(client, at["oembed"]).status_code == 404
    assert radio.episode.id not in fetch(client, at["school"]).text
    assert radio.episode.guid not in fetch(client, at["feed"]).text
    assert "Le potager" not in fetch(client, at["widget"]).text
    # The app's own route answers the same 410 (another rendering asked).
    assert fetch(client, at["page"] + "?lang=fr").status_code == 410


def test_an_episode_authorised_until_today_is_served_today_and_not_after_midnight(
    app: Flask, client: FlaskClient, take_wav: Path, set_clock: SetClock
) -> None:
    day = today_paris()
    set_clock(day, time(12, 0))
    radio = publish_radio(take_wav, until=day)
    at = addresses(radio)
    media = urls.media(radio.episode.id, radio.episode.media_key or "").removeprefix(urls.base())
    set_clock(day, time(23, 59, 59))
    for name in ("school", "page", "embed", "oembed", "chapters", "widget"):
        assert fetch(client, at[name]).status_code == 200, name
    assert fetch(client, media).status_code == 200
    assert radio.episode.guid in fetch(client, at["feed"]).text
    assert radio.episode.guid in fetch(client, at["city feed"]).text

    set_clock(next_day(day), time(0, 0, 1))
    assert fetch(client, media).status_code == 410  # the first request after midnight
    page = fetch(client, at["page"])
    assert page.status_code == 410 and WITHDRAWN in page.text
    for name, path in episode_files(radio).items():  # the app rewrote at once
        assert not path.exists(), name
    assert fetch(client, at["embed"]).status_code == 410
    assert fetch(client, at["oembed"]).status_code == 404
    assert fetch(client, at["chapters"]).status_code == 410
    assert radio.episode.guid not in fetch(client, at["feed"]).text
    assert radio.episode.guid not in fetch(client, at["city feed"]).text
    assert "Le potager" not in fetch(client, at["school"]).text
    assert "Le potager" not in fetch(client, at["widget"]).text


def test_the_worker_removes_the_files_at_the_midnight_second(
    app: Flask, take_wav: Path, set_clock: SetClock
) -> None:
    # nginx serves a file as long as it is on disk: the worker must remove it at the second.
    day = today_paris()
    set_clock(day, time(12, 0))
    radio = publish_radio(take_wav, until=day)
    files = episode_files(radio)
    midnight = datetime.combine(next_day(day), time(0), tzinfo=PARIS).astimezone(UTC)
    huey = app.extensions["webradio.huey"]
    expire = app.extensions["webradio.expire_at"]

    set_clock(day, time(23, 58, 0))  # the minute task looks ahead ...
    assert jobs.watch_expiry(expire, clock.now_utc()) is None and huey.scheduled() == []
    set_clock(day, time(23, 59, 0))  # ... and in the last minute plans one task, once,
    assert jobs.watch_expiry(expire, clock.now_utc()) == midnight.replace(tzinfo=None)
    assert jobs.watch_expiry(expire, clock.now_utc()) is None
    (planned,) = huey.scheduled()
    assert planned.eta == (midnight - jobs.EXPIRY_EARLY).replace(tzinfo=None)  # huey's UTC

    set_clock(day, time(23, 59, 40))  # which starts early, and waits for the second
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        assert all(path.exists() for path in files.values())  # served until midnight
        waited.append(seconds)
        set_clock(next_day(day), time(0, 0, 0))

    jobs.expire_at(midnight.replace(tzinfo=None), sleep=sleep)
    assert waited and waited[0] <= 20
    for name, path in files.items():  # gone at 00:00:00, nginx finds nothing to serve
        assert not path.exists(), name
    feed = (runtime.feeds_root() / f"{radio.school.slug}.xml").read_text()
    assert radio.episode.guid not in feed  # and the rewrite followed

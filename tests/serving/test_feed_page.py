"""A feed's address opened in a browser answers the feed's readable page; podcast apps still get
the feed. Both come from the same after-commit step, so the page never shows more."""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time as clock_time
from pathlib import Path
from xml.etree import ElementTree

import pytest
from browser_support import free_port
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect
from test_family_letters import axe, browser_on, shoot
from web_support import fetch, sign_in
from werkzeug.serving import make_server

from webradio import runtime, sharing, urls
from webradio.clock import today_paris
from webradio.feeds import page_beside
from webradio.web.delivery import prefers_page

from .conftest import Radio, Served, SetClock, counted, next_day, publish_radio
from .test_public_files import addresses

CHROMIUM = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/jxl,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# What podcast apps and feed readers send: Apple Podcasts `*/*`, AntennaPod (OkHttp) nothing,
# feedparser-based clients (gPodder and others) the feed types, a few HTML after a wildcard.
APPS = (
    "*/*",
    None,
    "application/rss+xml, application/rdf+xml;q=0.8, application/atom+xml;q=0.6, "
    "application/xml;q=0.4, text/xml;q=0.4",
    "application/rss+xml",
    "text/html, */*",
    "text/html;q=0.5, application/xml",
)
LEAD = "Ceci est l’adresse d’un podcast : copiez-la dans votre application de podcasts."


def fits(page: Page) -> bool:
    """No sideways scrolling: the page is no wider than the window."""
    return bool(page.evaluate("document.scrollingElement.scrollWidth <= innerWidth"))


def items_of(feed: str) -> list[str]:
    """The titles of the feed's items, in its order."""
    channel = ElementTree.fromstring(feed.encode()).find("channel")
    assert channel is not None
    return [item.findtext("title") or "" for item in channel.iter("item")]


@pytest.mark.parametrize("accept", [CHROMIUM, FIREFOX, "text/html"])
def test_browsers_prefer_the_page(accept: str) -> None:
    assert prefers_page(accept)


@pytest.mark.parametrize("accept", [a for a in APPS if a is not None] + [""])
def test_podcast_apps_get_the_feed(accept: str) -> None:
    assert not prefers_page(accept)


@pytest.mark.parametrize("name", ["feed", "city feed"])
def test_a_browser_gets_the_page_from_the_fast_path_and_apps_the_feed(
    served: Served, name: str
) -> None:
    address = addresses(served.radio)[name]
    with counted() as queries:
        page = fetch(served.client, address, headers={"Accept": CHROMIUM})
        feeds = [
            fetch(served.client, address, headers={"Accept": accept} if accept else {})
            for accept in APPS
        ]
    assert queries == []  # files, as a proxy serves them
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Vary"] == "Accept, Accept-Encoding"
    assert page.headers["Cache-Control"] == "public, max-age=60"
    assert "Content-Security-Policy" in page.headers
    assert LEAD in page.text and "Copier l’adresse" in page.text
    assert 'name="robots"' not in page.text  # a public feed's page may be found
    for feed in feeds:
        assert feed.status_code == 200
        assert feed.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
        assert feed.headers["Vary"] == "Accept, Accept-Encoding"
        assert feed.data == feeds[0].data
    # The page lists what the feed lists, in its order, and plays the same files.
    titles = items_of(feeds[0].text)
    assert titles == ["Le potager"]
    assert [t for t in titles if f">{t}</a></h3>" in page.text] == titles
    episode = served.radio.episode
    assert urls.media(episode.id, episode.media_key or "") in page.text
    assert urls.transcript(episode.id, "vtt") in page.text
    # Its own validators: a cache never answers a browser with the feed, nor an app with the page.
    assert page.headers["ETag"] != feeds[0].headers["ETag"]
    again = fetch(
        served.client,
        address,
        headers={"Accept": CHROMIUM, "If-None-Match": page.headers["ETag"]},
    )
    assert again.status_code == 304
    packed = fetch(served.client, address, headers={"Accept": CHROMIUM, "Accept-Encoding": "gzip"})
    assert gzip.decompress(packed.data) == page.data


def test_the_page_is_written_beside_the_feed(served: Served) -> None:
    root = runtime.feeds_root()
    slug = served.radio.school.slug
    assert (root / page_beside(f"{slug}.xml")).is_file()
    assert (root / "ville" / "flux.html").is_file()
    family = root / "private" / "familles" / f"{slug}.html"
    assert "__jeton__" in family.read_text()  # each family's token goes in when served
    assert 'name="robots" content="noindex, nofollow"' in family.read_text()


def test_a_withdrawn_episode_leaves_the_page_with_the_feed(
    app: Flask, client: FlaskClient, radio: Radio
) -> None:
    at = addresses(radio)
    assert "Le potager" in fetch(client, at["feed"], headers={"Accept": CHROMIUM}).text
    head = app.test_client()
    sign_in(head, "head@fichiers.fr")
    answer = head.post(f"/autorisations/eleves/{radio.lea.id}/retrait", data={"total": "1"})
    assert answer.status_code == 302
    for name in ("feed", "city feed"):
        page = fetch(client, at[name], headers={"Accept": CHROMIUM})
        feed = fetch(client, at[name], headers={"Accept": "*/*"})
        assert page.headers["Content-Type"].startswith("text/html"), name
        assert items_of(feed.text) == [], name
        assert "Le potager" not in page.text and radio.episode.id not in page.text, name
        assert "Aucune émission pour le moment." in page.text


def test_the_page_is_not_served_past_the_midnight_that_ends_an_authorisation(
    app: Flask, client: FlaskClient, take_wav: object, set_clock: SetClock
) -> None:
    day = today_paris()
    set_clock(day, clock_time(12, 0))
    radio = publish_radio(take_wav, until=day)  # type: ignore[arg-type]
    at = addresses(radio)
    set_clock(day, clock_time(23, 59, 59))
    assert "Le potager" in fetch(client, at["feed"], headers={"Accept": CHROMIUM}).text
    set_clock(next_day(day), clock_time(0, 0, 1))
    for _ in range(2):  # the first request after midnight, then the rewritten file
        assert "Le potager" not in fetch(client, at["feed"], headers={"Accept": CHROMIUM}).text
    page = fetch(client, at["feed"], headers={"Accept": CHROMIUM})
    assert page.headers["Content-Type"].startswith("text/html")


def test_a_family_feed_opened_in_a_browser_is_its_private_page(served: Served) -> None:
    token = sharing.create_token(served.radio.school, "CM2 — famille du navigateur")
    address = urls.family_feed(token.token).removeprefix(urls.base())
    page = fetch(served.client, address, headers={"Accept": CHROMIUM})
    feed = fetch(served.client, address, headers={"Accept": "*/*"})
    assert page.status_code == feed.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert feed.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    for answer in (page, feed):
        assert answer.headers["Vary"] == "Accept, Accept-Encoding"
        assert answer.headers["Cache-Control"] == "private, max-age=60"
        assert answer.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in page.text
    assert urls.family_feed(token.token) in page.text and "__jeton__" not in page.text
    titles = items_of(feed.text)
    assert titles and [t for t in titles if f">{t}</a></h3>" in page.text] == titles
    episode = served.radio.episode
    assert urls.family_media(token.token, episode.id, episode.media_key or "") in page.text
    sharing.revoke_token(token)
    assert fetch(served.client, address, headers={"Accept": CHROMIUM}).status_code == 404


PHONE = {"width": 360, "height": 740}


@pytest.mark.browser
def test_feed_addresses_open_as_readable_pages_in_chromium(
    served: Served, browser_path: str
) -> None:
    school, episode = served.radio.school, served.radio.episode
    token = sharing.create_token(school, "CM2 — famille du téléphone")
    feeds = {"public": urls.feed(school.slug), "family": urls.family_feed(token.token)}
    grant = {"permissions": ["clipboard-read", "clipboard-write"], "viewport": PHONE}
    with browser_on(served.app, browser_path, **grant) as (context, origin):
        page = context.new_page()
        for name, feed_url in feeds.items():
            page.set_viewport_size(PHONE)
            address = feed_url.removeprefix(urls.base())
            page.goto(origin + address)
            shoot(page, f"feed-page-{name}-360")
            assert page.locator("h1").inner_text() == school.name + (
                " (familles)" if name == "family" else ""
            )
            assert LEAD in page.locator("main").inner_text()
            assert fits(page), page.evaluate("document.scrollingElement.scrollWidth")
            # Only what the feed lists: its items, their players and transcripts.
            feed = fetch(served.client, address, headers={"Accept": "*/*"}).text
            assert page.locator("article h3").all_inner_texts() == items_of(feed)
            audio = page.locator("article audio").get_attribute("src")
            assert audio is not None and audio in feed and episode.id in audio
            page.get_by_role("button", name="Copier l’adresse").click()
            expect(page.locator("[data-copy-status]")).to_have_text("Adresse copiée.")
            assert page.evaluate("navigator.clipboard.readText()") == feed_url
            assert axe(page) == []
            for width in (1024, 1366):
                page.set_viewport_size({"width": width, "height": 900})
                shoot(page, f"feed-page-{name}-{width}")
                assert fits(page), width


NGINX = Path(shutil.which("nginx") or "/usr/sbin/nginx")
BENCH_CONF = Path(__file__).parents[2] / "bench" / "nginx-serve.conf"


@contextmanager
def behind_nginx(app: Flask, tmp: Path) -> Iterator[str]:
    """nginx from bench/nginx-serve.conf in front of the app; its address."""
    app_port, port = free_port(), free_port()
    server = make_server("127.0.0.1", app_port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (tmp / "nginx-tmp").mkdir()
    conf = BENCH_CONF.read_text()
    for name, value in (
        ("@ROOT@", str(tmp)),
        ("@FEEDS@", str(runtime.feeds_root())),
        ("@PORT@", str(port)),
        ("@APP_PORT@", str(app_port)),
    ):
        conf = conf.replace(name, value)
    (tmp / "nginx.conf").write_text(conf)
    main = "daemon off;" + (" user root;" if os.getuid() == 0 else "")
    command = [str(NGINX), "-c", str(tmp / "nginx.conf"), "-p", str(tmp), "-g", main]
    process = subprocess.Popen(command)
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        server.shutdown()


def nginx_get(url: str, accept: str | None) -> tuple[dict[str, str], bytes]:
    """nginx's headers and body for a GET with this Accept."""
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return dict(answer.headers), answer.read()


@pytest.mark.skipif(not NGINX.exists(), reason="nginx is not installed")
def test_nginx_answers_a_browser_with_the_page_and_apps_with_the_feed(
    served: Served, tmp_path: Path
) -> None:
    root = runtime.feeds_root()
    slug = served.radio.school.slug
    with behind_nginx(served.app, tmp_path) as base:
        for address, name in (
            (f"/feeds/{slug}.xml", slug),
            ("/feeds/ville/flux.xml", "ville/flux"),
        ):
            for accept in (CHROMIUM, FIREFOX):
                headers, body = nginx_get(base + address, accept)
                assert headers["Content-Type"] == "text/html; charset=utf-8", accept
                assert headers["Vary"] == "Accept, Accept-Encoding"
                assert body == (root / f"{name}.html").read_bytes()
            for accept in APPS:
                headers, body = nginx_get(base + address, accept)
                assert headers["Content-Type"] == "application/rss+xml; charset=utf-8", accept
                assert headers["Vary"] == "Accept, Accept-Encoding"
                assert body == (root / f"{name}.xml").read_bytes()

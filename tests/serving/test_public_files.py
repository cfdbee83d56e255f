"""Public outputs are files: written by the after-commit step, served by the fast path before
Flask with the app's bytes and headers, whoever asks."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from web_support import fetch, sign_in

from webradio import runtime, site, urls
from webradio.web.delivery import EMBED_CSP

from .conftest import TRANSCRIPT, Radio, Served, counted

WITHDRAWN = "à la demande d’une famille"
SECURITY = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "Referrer-Policy",
    "X-Content-Type-Options",
)


def addresses(radio: Radio) -> dict[str, str]:
    """Every public address of the school and its episode (paths for the test client)."""
    school, episode = radio.school, radio.episode
    page = urls.episode_page(school.slug, episode.id)
    found = {
        "school": urls.school_page(school.slug),
        "page": page,
        "embed": urls.embed(episode.id),
        "oembed": urls.oembed(page),
        "chapters": urls.chapters(episode.id),
        "transcript": urls.transcript(episode.id, "vtt"),
        "widget": urls.city_widget(),
        "feed": urls.feed(school.slug),
        "city feed": urls.city_feed(),
    }
    return {name: url.removeprefix(urls.base()) for name, url in found.items()}


def episode_files(radio: Radio) -> dict[str, Path]:
    """The files of the episode under the feeds root."""
    root = runtime.feeds_root()
    slug, episode_id = radio.school.slug, radio.episode.id
    return {
        "page": root / site.episode_path(slug, episode_id),
        "embed": root / site.embed_path(episode_id),
        "oembed": root / site.oembed_path(slug, episode_id),
        "chapters": root / site.chapters_path(episode_id),
        "transcript": root / site.transcript_path(episode_id, "vtt"),
    }


def test_every_public_output_is_a_file_answered_without_the_database(served: Served) -> None:
    client, radio = served.client, served.radio
    for name, path in episode_files(radio).items():
        assert path.exists() and path.with_name(path.name + ".gz").exists(), name
    for name, address in addresses(radio).items():
        with counted() as queries:
            answer = fetch(client, address)
        assert answer.status_code == 200, name
        assert queries == [], name  # the fast path answered
        packed = fetch(client, address, headers={"Accept-Encoding": "gzip"})
        assert packed.headers["Content-Encoding"] == "gzip", name
        assert gzip.decompress(packed.data) == answer.data, name
        again = fetch(client, address, headers={"If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304, name
        assert "Set-Cookie" not in answer.headers, name
    page = fetch(client, addresses(radio)["page"])
    assert "Le potager" in page.text and "Bonjour, voici le journal." in page.text
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    oembed = fetch(client, addresses(radio)["oembed"])
    assert oembed.headers["Access-Control-Allow-Origin"] == "*"
    assert oembed.get_json()["type"] == "rich"
    chapters = fetch(client, addresses(radio)["chapters"])
    assert chapters.headers["Content-Type"] == "application/json+chapters"
    assert [c["title"] for c in json.loads(chapters.data)["chapters"]] == ["Ouverture"]
    transcript = fetch(client, addresses(radio)["transcript"])
    assert transcript.data == TRANSCRIPT.encode() and transcript.headers["Content-Type"].startswith(
        "text/vtt"
    )


def test_fast_path_answers_what_the_app_renders_with_the_same_headers(served: Served) -> None:
    client, radio = served.client, served.radio
    for name in ("school", "page", "embed", "widget"):
        address = addresses(radio)[name]
        stored = fetch(client, address)
        rendered = fetch(client, address + "?lang=fr")  # another rendering: the app's own route
        assert rendered.status_code == 200 and rendered.data == stored.data, name
        for header in SECURITY:
            assert stored.headers.get(header) == rendered.headers.get(header), (name, header)
    page = fetch(client, addresses(radio)["page"])
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    for framed in ("embed", "widget"):
        answer = fetch(client, addresses(radio)[framed])
        assert answer.headers["Content-Security-Policy"] == EMBED_CSP, framed
        assert "X-Frame-Options" not in answer.headers and "Set-Cookie" not in answer.headers
    episode = radio.episode
    expected = {
        "version": "1.0",
        "type": "rich",
        "provider_name": "webradio",
        "provider_url": "http://radio.test/",
        "title": episode.title,
        "author_name": radio.school.name,
        "author_url": urls.school_page(radio.school.slug),
        "html": site.embed_code(episode, 560, 220),
        "width": 560,
        "height": 220,
        "cache_age": 300,
    }
    assert json.loads(fetch(client, addresses(radio)["oembed"]).data) == expected
    english = fetch(client, addresses(radio)["page"] + "?lang=en")
    assert english.status_code == 200 and 'lang="en"' in english.text


def test_a_signed_in_head_sees_the_public_page_anonymous_readers_see(served: Served) -> None:
    radio, anonymous, staff = served.radio, served.client, served.app.test_client()
    sign_in(staff, "head@fichiers.fr")
    for name in ("school", "page"):
        address = addresses(radio)[name]
        seen = fetch(anonymous, address)
        for extra in ("", "?lang=fr"):
            answer = fetch(staff, address + extra)
            assert answer.data == seen.data, (name, extra)
        assert "csrf_token" not in seen.text and "Se déconnecter" not in seen.text
    # A file gone missing: the app rewrites it and answers the same bytes, whoever asks.
    page_file = episode_files(radio)["page"]
    before = page_file.read_bytes()
    page_file.unlink()
    assert fetch(staff, addresses(radio)["page"]).data == before
    assert page_file.read_bytes() == before

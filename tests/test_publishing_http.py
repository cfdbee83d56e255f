"""Publishing through HTTP: family tokens, feeds (gzip, ETag, 304), media, city feed, oEmbed."""

from __future__ import annotations

import gzip
import io
import json
import logging
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from lxml import etree
from PIL import Image
from publishing.judges import judge_feed, partytime
from web_support import PASSWORD, fetch, sign_in

from webradio import authorisations, episodes, feeds, outputs, publication, schools, sharing, takes
from webradio.cli import main
from webradio.clock import today_paris
from webradio.extensions import db
from webradio.models import Episode, Organisation, Pupil, School
from webradio.web.delivery import accepts_gzip
from webradio.web.families import RedactFamilyTokens

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
}
CHAPTERS = [
    {"title": "Ouverture", "start_s": 0.0, "end_s": 4.0},
    {"title": "Le potager", "start_s": 4.0, "end_s": 9.5, "part_id": "p2"},
]


@pytest.fixture
def school(app: Flask) -> School:
    """A school with a head and two pupils (Léa: public; Inès: families only)."""
    created = schools.create_school("ecole-web", "École du Web")
    schools.create_user("head@ecole.fr", "head", PASSWORD, created)
    schools.create_user("prof@ecole.fr", "teacher", PASSWORD, created)
    for name, audiences in (("Léa", "class,families,public"), ("Inès", "class,families")):
        pupil = schools.add_pupil(created, "CM2", name)
        authorisations.grant(
            pupil,
            authorisations.GrantRequest(
                frozenset(audiences.split(",")), signed_on=today_paris(), guardians_signed=1
            ),
        )
    return created


def publish(school: School, take_wav: Path, speaker: str, title: str) -> Episode:
    """Ingest, render and publish an episode in which `speaker` talks (requested: public)."""
    with take_wav.open("rb") as stream:
        take = takes.ingest(school, stream, label=title)
    pupil = Pupil.query.filter_by(first_name=speaker).one()
    draft = episodes.EpisodeDraft(
        title=title, take_ids=[take.id], audience="public", participant_ids=[pupil.id]
    )
    episode = episodes.create(school, draft)
    episodes.render_episode(episode.id)
    episode.chapters_json = json.dumps(CHAPTERS)
    db.session.commit()
    publication.publish(episode, approved_by=None)
    return episode


@pytest.fixture
def radio(school: School, take_wav: Path) -> dict[str, Episode]:
    """Two published episodes: one public (Léa), one for families only (Inès)."""
    return {
        "public": publish(school, take_wav, "Léa", "Le journal du jardin"),
        "families": publish(school, take_wav, "Inès", "La chorale"),
    }


def local(url: str) -> str:
    """The path of one of our absolute URLs."""
    return url.removeprefix("http://radio.test")


def enclosures(data: bytes) -> list[str]:
    """The enclosure URLs of a feed, in order."""
    root = etree.fromstring(data)
    return [e.get("url") for e in root.iter("enclosure")]


# --- Family tokens ------------------------------------------------------------------------------


def test_family_token_commands(runner: FlaskCliRunner, school: School) -> None:
    created = runner.invoke(
        main, ["family-token", "create", "--school", "ecole-web", "--label", "CM2 famille 1"]
    )
    assert created.exit_code == 0, created.output
    token_id, url = created.stdout.strip().splitlines()[-2:]
    assert url.startswith("http://radio.test/familles/") and url.endswith("/flux.xml")
    assert token_id not in url  # the id is not the secret

    listed = runner.invoke(main, ["family-token", "list", "--school", "ecole-web"])
    (line,) = listed.stdout.strip().splitlines()
    fields = line.split("\t")
    assert fields[0] == token_id and fields[1] == "CM2 famille 1" and fields[3] == "live"

    refused = runner.invoke(
        main, ["family-token", "create", "--school", "ecole-web", "--label", "papa@exemple.fr"]
    )
    assert refused.exit_code == 1 and "e-mail" in refused.stderr

    assert runner.invoke(main, ["family-token", "revoke", token_id]).exit_code == 0
    listed = runner.invoke(main, ["family-token", "list", "--school", "ecole-web"])
    assert listed.stdout.strip().split("\t")[-1] == "revoked"
    assert runner.invoke(main, ["family-token", "revoke", "inconnu"]).exit_code == 1


def test_family_feed_is_private_and_dies_with_its_token(
    client: FlaskClient, school: School, radio: dict[str, Episode], tmp_path: Path
) -> None:
    token = sharing.create_token(school, "CM2 famille 1")
    other = sharing.create_token(school, "CM2 famille 2")
    feed = fetch(client, f"/familles/{token.token}/flux.xml")
    assert feed.status_code == 200
    assert feed.headers["Cache-Control"].startswith("private")
    assert feed.headers["X-Robots-Tag"].startswith("noindex")
    assert feed.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    judge_feed(feed.data)
    root = etree.fromstring(feed.data)
    channel = root.find("channel")
    assert channel.findtext("itunes:block", namespaces=NS) == "Yes"
    assert channel.findtext("podcast:block", namespaces=NS) == "yes"
    assert "__jeton__" not in feed.text and token.token in feed.text
    urls = enclosures(feed.data)
    assert len(urls) == 2 and all(f"/familles/{token.token}/media/" in u for u in urls)
    # Each family gets its own links, and its own ETag.
    second = fetch(client, f"/familles/{other.token}/flux.xml")
    assert token.token not in second.text and second.headers["ETag"] != feed.headers["ETag"]

    family_only = radio["families"]
    media = next(u for u in urls if family_only.id in u)
    assert fetch(client, local(media)).status_code == 200
    head = fetch(client, local(media), method="HEAD")
    assert head.headers["Accept-Ranges"] == "bytes" and head.headers["X-Robots-Tag"]
    assert head.headers["Cache-Control"].startswith("private")
    assert fetch(client, local(media), headers={"Range": "bytes=0-1"}).status_code == 206
    # The public side never shows the family-only episode.
    public_media = media.replace(f"/familles/{token.token}", "")
    assert fetch(client, local(public_media)).status_code == 404
    assert family_only.id not in fetch(client, "/feeds/ecole-web.xml").text

    (tmp_path / "family.xml").write_bytes(feed.data)
    (seen,) = partytime([tmp_path / "family.xml"])
    assert seen["itunesBlock"] is True and seen["podcastBlocked"] == "yes"
    assert [item["guid"] for item in seen["items"]] == [
        radio["families"].guid,
        radio["public"].guid,
    ]

    sharing.revoke_token(token)
    assert fetch(client, f"/familles/{token.token}/flux.xml").status_code == 404
    assert fetch(client, local(media)).status_code == 404
    assert fetch(client, f"/familles/{token.token}/").status_code == 404
    assert fetch(client, "/familles/pas-un-jeton/flux.xml").status_code == 404
    assert fetch(client, f"/familles/{other.token}/flux.xml").status_code == 200

    # A withdrawn episode: 410 for a live token, and gone from the family feed.
    authorisations.withdraw(Pupil.query.filter_by(first_name="Inès").one())
    other_media = local(media.replace(token.token, other.token))
    assert fetch(client, other_media).status_code == 410
    assert family_only.guid not in fetch(client, f"/familles/{other.token}/flux.xml").text


# --- Public feed serving ------------------------------------------------------------------------


def test_feed_serving_gzip_etags_and_304(
    client: FlaskClient, app: Flask, school: School, radio: dict[str, Episode]
) -> None:
    plain = fetch(client, "/feeds/ecole-web.xml")
    packed = fetch(client, "/feeds/ecole-web.xml", headers={"Accept-Encoding": "gzip"})
    judge_feed(plain.data)
    assert plain.headers["Cache-Control"] == "public, max-age=60"
    # A browser opening the address gets the feed's page: the feed varies by Accept too.
    assert plain.headers["Vary"] == packed.headers["Vary"] == "Accept, Accept-Encoding"
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert plain.headers["ETag"] != packed.headers["ETag"]
    assert plain.headers["ETag"].startswith('"') and not plain.headers["ETag"].startswith("W/")
    assert plain.headers["Last-Modified"]

    # The folder can be served as is: the precompressed file is the same feed.
    static = Path(app.config["FEEDS_ROOT"]) / "ecole-web.xml"
    assert static.read_bytes() == plain.data
    assert gzip.decompress(static.with_name("ecole-web.xml.gz").read_bytes()) == plain.data

    for response, extra in ((plain, {}), (packed, {"Accept-Encoding": "gzip"})):
        again = fetch(
            client,
            "/feeds/ecole-web.xml",
            headers={"If-None-Match": response.headers["ETag"], **extra},
        )
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == response.headers["ETag"]
    crossed = fetch(
        client,
        "/feeds/ecole-web.xml",
        headers={"If-None-Match": plain.headers["ETag"], "Accept-Encoding": "gzip"},
    )
    assert crossed.status_code == 200  # another representation, another ETag
    since = fetch(
        client,
        "/feeds/ecole-web.xml",
        headers={"If-Modified-Since": plain.headers["Last-Modified"]},
    )
    assert since.status_code == 304
    assert (
        fetch(client, "/feeds/ecole-web.xml", method="HEAD").headers["ETag"]
        == plain.headers["ETag"]
    )

    refused = fetch(client, "/feeds/ecole-web.xml", headers={"Accept-Encoding": "gzip;q=0, br"})
    assert "Content-Encoding" not in refused.headers and refused.data == plain.data
    head = fetch(client, "/feeds/ecole-web.xml", method="HEAD", headers={"Accept-Encoding": "gzip"})
    assert head.data == b"" and head.headers["Content-Length"] == str(len(packed.data))

    # A rebuild that changes nothing keeps the ETag; a change gives a new one.
    assert outputs.refresh({outputs.EVERY_SCHOOL}) == []
    assert fetch(client, "/feeds/ecole-web.xml").headers["ETag"] == plain.headers["ETag"]
    school.description = "Nouvelle description"
    db.session.commit()
    outputs.refresh({school.id})
    changed = fetch(client, "/feeds/ecole-web.xml")
    assert changed.headers["ETag"] != plain.headers["ETag"]
    assert "Nouvelle description" in changed.text
    assert fetch(client, "/feeds/pas-une-ecole.xml").status_code == 404


def test_chapters_transcript_and_media(
    client: FlaskClient, school: School, radio: dict[str, Episode], tmp_path: Path
) -> None:
    episode = radio["public"]
    sharing.update_sharing(
        episode, publication.CLI, False, "WEBVTT\n\n00:00.000 --> 00:04.000\nBonjour à tous.\n"
    )
    feed = fetch(client, "/feeds/ecole-web.xml")
    judge_feed(feed.data)
    item = etree.fromstring(feed.data).find("channel/item")
    chapters_url = item.find("podcast:chapters", NS).get("url")
    transcript = item.find("podcast:transcript", NS)
    assert transcript.get("type") == "text/vtt"

    chapters = fetch(client, local(chapters_url))
    assert chapters.status_code == 200
    assert chapters.headers["Access-Control-Allow-Origin"] == "*"
    assert chapters.headers["Content-Type"].startswith("application/json+chapters")
    document = json.loads(chapters.data)
    assert document["version"] == "1.2.0"
    assert [c["title"] for c in document["chapters"]] == ["Ouverture", "Le potager"]
    assert [c["startTime"] for c in document["chapters"]] == [0.0, 4.0]
    assert (
        fetch(
            client, local(chapters_url), headers={"If-None-Match": chapters.headers["ETag"]}
        ).status_code
        == 304
    )
    assert fetch(client, local(chapters_url), headers={"Range": "bytes=0-9"}).status_code == 206
    assert fetch(client, local(chapters_url), headers={"Range": "bytes=99999-"}).status_code == 416
    assert (
        fetch(client, local(chapters_url), method="HEAD").headers["ETag"]
        == chapters.headers["ETag"]
    )

    text = fetch(client, local(transcript.get("url")))
    assert text.status_code == 200 and "Bonjour à tous." in text.text
    assert text.headers["Access-Control-Allow-Origin"] == "*"
    assert text.headers["Content-Type"].startswith("text/vtt")

    media = fetch(client, local(item.find("enclosure").get("url")), method="HEAD")
    assert media.headers["Cache-Control"] == "public, max-age=300"
    assert "immutable" not in media.headers["Cache-Control"] and media.headers["ETag"]

    (tmp_path / "public.xml").write_bytes(feed.data)
    (seen,) = partytime([tmp_path / "public.xml"])
    (party_item,) = [i for i in seen["items"] if i["guid"] == episode.guid]
    assert party_item["chapters"]["url"] == chapters_url
    assert party_item["transcripts"][0]["url"] == transcript.get("url")

    page = fetch(client, f"/radio/ecole-web/episodes/{episode.id}").text
    assert 'data-start="4.0"' in page and "Le potager" in page and "Bonjour à tous." in page

    # Withdrawn: chapters and transcript are gone too.
    authorisations.withdraw(Pupil.query.filter_by(first_name="Léa").one())
    assert fetch(client, local(chapters_url)).status_code == 410
    assert fetch(client, local(transcript.get("url"))).status_code == 410


# --- City feed, widget ----------------------------------------------------------------------------


def test_city_feed_holds_what_schools_share(
    client: FlaskClient,
    runner: FlaskCliRunner,
    school: School,
    radio: dict[str, Episode],
    tmp_path: Path,
) -> None:
    shown = runner.invoke(main, ["school", "show", "ecole-web", "--json"])
    city_url = json.loads(shown.stdout)["city_feed_url"]
    assert city_url == "http://radio.test/feeds/ville/flux.xml"
    assert etree.fromstring(fetch(client, local(city_url)).data).find("channel/item") is None

    sign_in(client, "head@ecole.fr")  # beyond the class, sharing is the head's decision
    for episode in radio.values():
        response = client.post(f"/episodes/{episode.id}/diffusion", data={"shared_with_city": "1"})
        assert response.status_code == 302
    city = fetch(client, local(city_url))
    judge_feed(city.data)
    assert city.headers["Cache-Control"] == "public, max-age=60"
    guids = [g.text for g in etree.fromstring(city.data).iter("guid")]
    assert guids == [radio["public"].guid]  # the family-only episode never reaches the city
    org = db.session.scalars(db.select(Organisation)).one()
    channel_guid = etree.fromstring(city.data).findtext("channel/podcast:guid", namespaces=NS)
    assert channel_guid == org.podcast_guid
    assert etree.fromstring(city.data).findtext("channel/itunes:block", namespaces=NS) == "Yes"

    widget = fetch(client, "/ville/widget")
    assert widget.status_code == 200 and "Le journal du jardin" in widget.text
    assert "La chorale" not in widget.text and "Set-Cookie" not in widget.headers

    (tmp_path / "city.xml").write_bytes(city.data)
    (seen,) = partytime([tmp_path / "city.xml"])
    assert seen["guid"] == org.podcast_guid and seen["medium"] == "podcast"

    authorisations.withdraw(Pupil.query.filter_by(first_name="Léa").one())
    assert etree.fromstring(fetch(client, local(city_url)).data).find("channel/item") is None


# --- Embed and oEmbed -----------------------------------------------------------------------------


def test_embed_and_oembed_only_for_public_episodes(
    client: FlaskClient, school: School, radio: dict[str, Episode]
) -> None:
    public, private = radio["public"], radio["families"]
    page_url = f"http://radio.test/radio/ecole-web/episodes/{public.id}"
    page = fetch(client, local(page_url)).text
    assert 'type="application/json+oembed"' in page
    assert "&lt;iframe" in page and f"/embed/{public.id}" in page
    assert '.mp3">' in page  # the direct link
    for framed in (f"/embed/{public.id}?lang=en", "/ville/widget?lang=en"):
        answer = fetch(client, framed)
        assert answer.status_code == 200 and "Set-Cookie" not in answer.headers, framed
    assert 'lang="en"' in fetch(client, f"/embed/{public.id}?lang=en").text

    oembed = fetch(client, "/oembed", query_string={"url": page_url, "format": "json"})
    assert oembed.status_code == 200
    data = oembed.get_json()
    assert data["version"] == "1.0" and data["type"] == "rich"
    assert f'src="http://radio.test/embed/{public.id}"' in data["html"]
    assert data["width"] > 0 and data["height"] > 0 and data["title"] == public.title
    narrow = fetch(client, "/oembed", query_string={"url": page_url, "maxwidth": "300"})
    assert narrow.get_json()["width"] <= 300
    assert (
        fetch(client, "/oembed", query_string={"url": page_url, "format": "xml"}).status_code == 501
    )
    private_url = f"http://radio.test/radio/ecole-web/episodes/{private.id}"
    assert fetch(client, "/oembed", query_string={"url": private_url}).status_code == 404
    assert (
        fetch(client, "/oembed", query_string={"url": "https://ailleurs.fr/x"}).status_code == 404
    )

    embed = fetch(client, f"/embed/{public.id}")
    assert embed.status_code == 200 and "Set-Cookie" not in embed.headers
    assert embed.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "autoplay" not in embed.text.replace("autoplay 'none'", "")
    assert "default-src 'none'" in embed.headers["Content-Security-Policy"]
    assert 'data-theme="dark"' in fetch(client, f"/embed/{public.id}?theme=dark").text
    assert fetch(client, f"/embed/{private.id}").status_code == 404

    authorisations.withdraw(Pupil.query.filter_by(first_name="Léa").one())
    gone = fetch(client, f"/embed/{public.id}")
    assert gone.status_code == 410 and "à la demande d’une famille" in gone.text
    assert fetch(client, "/oembed", query_string={"url": page_url}).status_code == 404


# --- Staff pages ----------------------------------------------------------------------------------


def test_head_creates_prints_and_revokes_family_access(client: FlaskClient, school: School) -> None:
    sign_in(client, "head@ecole.fr")
    assert "Accès des familles" in fetch(client, "/").text
    created = client.post("/ecole/familles", data={"label": "CE1 famille 4"})
    assert created.status_code == 302
    letter = fetch(client, created.headers["Location"])
    token = sharing.list_tokens(school)[0]
    assert letter.status_code == 200 and "<svg" in letter.text
    assert letter.headers["Content-Type"] == "text/html; charset=utf-8"
    assert f"/familles/{token.token}/flux.xml" in letter.text
    assert letter.headers["Cache-Control"].startswith("private")
    assert "CE1 famille 4" in fetch(client, "/ecole/familles").text
    client.post(f"/ecole/familles/{token.id}/revoquer")
    db.session.expire_all()
    assert sharing.live_token(token.token) is None
    assert fetch(client, f"/ecole/familles/{token.id}/lettre").status_code == 404

    client.post("/deconnexion")
    sign_in(client, "prof@ecole.fr")
    assert fetch(client, "/ecole/familles").status_code == 403


def test_school_page_helps_to_subscribe(client: FlaskClient, school: School) -> None:
    page = fetch(client, "/radio/ecole-web/")
    assert "http://radio.test/feeds/ecole-web.xml" in page.text
    assert '<svg role="img"' in page.text and "application de podcast" in page.text


def test_head_uploads_square_artwork(client: FlaskClient, school: School) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (1500, 1500), (20, 90, 160)).save(buffer, format="JPEG")
    sign_in(client, "head@ecole.fr")
    small = io.BytesIO()
    Image.new("RGB", (800, 800)).save(small, format="PNG")
    refused = client.post(
        "/ecole/image", data={"file": (io.BytesIO(small.getvalue()), "petit.png")}
    )
    assert refused.status_code == 422 and "entre 1400 et 3000" in refused.text
    # 11 MB, read no further than 10 MB (the multipart body built here: werkzeug's test client
    # leaves the temporary file it would spool such a body to unclosed)
    heavy = small.getvalue() + bytes(11 * 1024 * 1024)
    part = b'Content-Disposition: form-data; name="file"; filename="lourd.png"\r\n'
    body = b"--B\r\n" + part + b"Content-Type: image/png\r\n\r\n" + heavy + b"\r\n--B--\r\n"
    too_big = client.post("/ecole/image", data=body, content_type="multipart/form-data; boundary=B")
    assert too_big.status_code == 422 and "dépasse 10 Mo" in too_big.text
    saved = client.post("/ecole/image", data={"file": (io.BytesIO(buffer.getvalue()), "radio.jpg")})
    assert saved.status_code == 302
    feed = fetch(client, "/feeds/ecole-web.xml")
    image = etree.fromstring(feed.data).find("channel/itunes:image", NS).get("href")
    assert image.endswith(".jpg")
    served = fetch(client, local(image))
    assert served.status_code == 200 and served.data == buffer.getvalue()
    assert served.headers["Content-Type"] == "image/jpeg"
    judge_feed(feed.data)


@pytest.mark.parametrize(
    ("header", "accepted"),
    [("gzip", True), ("gzip, deflate, br", True), ("br;q=1, gzip;q=0.5", True),
     ("gzip;q=0", False), ("gzip;q=0.000", False), ("*", True), ("", False), ("identity", False)],
)  # fmt: skip
def test_accept_encoding_is_read_with_its_quality(header: str, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


def test_new_feed_url_only_once_the_instance_moved(app: Flask, school: School) -> None:
    outputs.refresh({school.id})
    path = feeds.feed_path(school)
    assert b"new-feed-url" not in path.read_bytes()
    app.config["FORMER_BASE_URL"] = "http://ancienne-radio.test"
    outputs.refresh({school.id})
    channel = etree.fromstring(path.read_bytes()).find("channel")
    assert channel.findtext("itunes:new-feed-url", namespaces=NS) == (
        "http://radio.test/feeds/ecole-web.xml"
    )
    guid = channel.findtext("podcast:guid", namespaces=NS)
    assert guid == school.podcast_guid  # computed once: moving never changes it
    judge_feed(path.read_bytes())


def test_a_first_name_in_the_transcript_takes_the_episode_off_public_channels(
    client: FlaskClient, school: School, radio: dict[str, Episode]
) -> None:
    episode = radio["public"]
    sign_in(client, "head@ecole.fr")
    saved = client.post(
        f"/episodes/{episode.id}/diffusion",
        data={"transcript": "Bonjour, je suis Léa et je vais vous parler du jardin."},
    )
    assert saved.status_code == 302
    assert episode.guid not in fetch(client, "/feeds/ecole-web.xml").text
    assert fetch(client, f"/radio/ecole-web/episodes/{episode.id}").status_code == 410
    staff = fetch(client, f"/episodes/{episode.id}").text
    assert "Léa" in staff and "transcription" in staff.lower()


def test_logs_never_hold_a_family_token(app: Flask) -> None:
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '"GET %s HTTP/1.1" 200 -',
        ("/familles/S3cr3t-token_x/media/e/a.mp3?x=1",), None,
    )  # fmt: skip
    assert RedactFamilyTokens().filter(record)
    assert record.getMessage() == '"GET /familles/[jeton]/media/e/a.mp3?x=1 HTTP/1.1" 200 -'
    for logger in (app.logger, logging.getLogger("werkzeug")):
        assert sum(isinstance(f, RedactFamilyTokens) for f in logger.filters) == 1

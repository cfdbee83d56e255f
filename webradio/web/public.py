"""Public pages, feeds, media, embeds: each answer asks the consent gate first (CONTRACT s. 3)."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, abort, jsonify, redirect, render_template, request, send_file
from flask.typing import ResponseReturnValue
from markupsafe import escape
from werkzeug.wrappers import Response

from webradio import clearance, episodes, feeds, outputs, runtime, schools, urls
from webradio.clearance import Visibility
from webradio.consent import Audience
from webradio.models import Episode, School
from webradio.publishing.companions import (
    chapter_marks,
    chapters_document,
    qr_svg,
    transcript_of,
)
from webradio.schools import SLUG
from webradio.web import UNPUBLISHED, delivery

HTML = "text/html; charset=utf-8"

bp = Blueprint("public", __name__)

MEDIA_NAME = re.compile(r"[0-9a-f]{12}")
ARTWORK_TYPES = {"png": "image/png", "jpg": "image/jpeg"}
CORS = {"Access-Control-Allow-Origin": "*"}
EMBED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; media-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors *"
)
OEMBED_WIDTH, OEMBED_HEIGHT = 560, 220


@bp.get("/radio/<slug>/")
def school_page(slug: str) -> ResponseReturnValue:
    """The school's radio: public episodes with a player, subscribe help and a QR code."""
    school = schools.get_school(slug)
    shown = clearance.public_episodes(school)
    qr = qr_svg(urls.feed(school.slug), "QR code du flux")
    return render_template("school.html", school=school, episodes=shown, urls=urls, qr=qr)


@bp.get("/radio/<slug>/episodes/<episode_id>")
def episode_page(slug: str, episode_id: str) -> ResponseReturnValue:
    """One public episode; 410 with a note once withdrawn or expired, 404 if never public."""
    school = schools.get_school(slug)
    episode = public_episode(episode_id, school)
    return render_template(
        "episode_public.html",
        school=school,
        episode=episode,
        urls=urls,
        chapters=chapter_marks(episode.chapters_json),
        transcript=transcript_of(episode.transcript),
        embed_code=embed_code(episode),
    )


@bp.get("/radio/<slug>/confidentialite")
def consent_page(slug: str) -> ResponseReturnValue:
    """The school's consent and privacy page, linked from every feed and tag."""
    return render_template("privacy.html", school=schools.get_school(slug))


@bp.route("/radio/<slug>/<name>.<ext>", methods=["GET", "HEAD"])
def artwork(slug: str, name: str, ext: str) -> ResponseReturnValue:
    """The school's artwork (its name carries a hash of its bytes)."""
    school = schools.get_school(slug)
    key = feeds.ensure_artwork(school)
    if Path(key).name != f"{name}.{ext}" or ext not in ARTWORK_TYPES:
        abort(404)
    return _file(runtime.storage().local_path(key), ARTWORK_TYPES[ext], max_age=86400)


@bp.route("/ville/<name>.png", methods=["GET", "HEAD"])
def city_artwork(name: str) -> ResponseReturnValue:
    """The city feed's artwork."""
    key = feeds.city_artwork_key(schools.default_organisation())
    if Path(key).stem != name:
        abort(404)
    return _file(runtime.storage().local_path(key), "image/png", max_age=86400)


@bp.get("/feeds/<slug>.xml")
def feed(slug: str) -> ResponseReturnValue:
    """A school's public feed from its static file: cached ETags, gzip, 304."""
    if not SLUG.match(slug):
        abort(404)
    path = runtime.feeds_root() / f"{slug}.xml"
    rep = delivery.feed_cache.get(path)
    if rep is None:
        outputs.refresh({schools.get_school(slug).id})
        rep = delivery.feed_cache.get(path)
    assert rep is not None
    return delivery.feed_response(rep)


@bp.get("/feeds/ville/flux.xml")
def city_feed() -> ResponseReturnValue:
    """The city-wide feed of what the schools shared with the city."""
    path = feeds.city_feed_path()
    rep = delivery.feed_cache.get(path)
    if rep is None:
        outputs.refresh({outputs.EVERY_SCHOOL})
        rep = delivery.feed_cache.get(path)
    assert rep is not None
    return delivery.feed_response(rep)


@bp.get("/ville/widget")
def city_widget() -> ResponseReturnValue:
    """The latest public episodes shared with the city, for an iframe on the city website."""
    shown = feeds.city_episodes()[:10]
    response = Response(
        render_template("city_widget.html", episodes=shown, urls=urls), content_type=HTML
    )
    response.headers["Content-Security-Policy"] = EMBED_CSP
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.route("/media/<episode_id>/<name>.mp3", methods=["GET", "HEAD"])
def media(episode_id: str, name: str) -> ResponseReturnValue:
    """The master MP3 with byte ranges; an older name of a cleared episode answers 301."""
    episode = public_episode(episode_id)
    return serve_master(episode, name, urls.media(episode.id, episode.media_key or ""))


@bp.route("/media/<episode_id>/chapitres.json", methods=["GET", "HEAD"])
def chapters(episode_id: str) -> ResponseReturnValue:
    """Podcasting 2.0 chapters of a public episode (CORS: web players fetch them)."""
    return chapters_response(public_episode(episode_id), "public, max-age=300")


@bp.route("/media/<episode_id>/transcription.<ext>", methods=["GET", "HEAD"])
def transcript(episode_id: str, ext: str) -> ResponseReturnValue:
    """The transcript of a public episode (CORS: web players fetch it)."""
    return transcript_response(public_episode(episode_id), ext, "public, max-age=300")


@bp.get("/embed/<episode_id>")
def embed(episode_id: str) -> ResponseReturnValue:
    """A cookie-free player for other sites; says so in the frame when the episode was withdrawn."""
    episode = episodes.get_episode(episode_id)
    seen = clearance.visibility(episode, Audience.PUBLIC)
    if seen is Visibility.UNKNOWN or not episode.media_key:
        abort(404)
    theme = request.args.get("theme")
    theme = theme if theme in {"light", "dark"} else None
    shown = episode if seen is Visibility.SHOWN else None
    html = render_template(
        "embed.html",
        episode=shown,
        urls=urls,
        theme=theme,
        chapters=chapter_marks(episode.chapters_json) if shown else (),
        transcript=transcript_of(episode.transcript) if shown else None,
        unpublished=episode.withdrawn_reason == "unpublished",
    )
    response = Response(html, 200 if shown else 410, content_type=HTML)
    response.headers["Content-Security-Policy"] = EMBED_CSP
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response


@bp.get("/oembed")
def oembed() -> ResponseReturnValue:
    """oEmbed 1.0 (`rich`, JSON) for a public episode page; 404 for anything else."""
    if request.args.get("format", "json") != "json":
        abort(501)
    episode = _episode_of_page(request.args.get("url", ""))
    width = _bounded(request.args.get("maxwidth"), OEMBED_WIDTH)
    height = _bounded(request.args.get("maxheight"), OEMBED_HEIGHT)
    school = episode.school
    response = jsonify(
        version="1.0",
        type="rich",
        provider_name="webradio",
        provider_url=urls.base() + "/",
        title=episode.title,
        author_name=school.name,
        author_url=urls.school_page(school.slug),
        html=embed_code(episode, width, height),
        width=width,
        height=height,
        cache_age=300,
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers.update(CORS)
    return response


def embed_code(episode: Episode, width: int | str = "100%", height: int = 200) -> str:
    """The iframe others paste: lazy, titled, sandboxed to what the player needs."""
    return (
        f'<iframe src="{escape(urls.embed(episode.id))}" width="{width}" height="{height}" '
        f'title="{escape(episode.title)}" loading="lazy" frameborder="0" '
        'sandbox="allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox '
        'allow-downloads" '
        "allow=\"autoplay 'none'\"></iframe>"
    )


def _bounded(value: str | None, default: int) -> int:
    """A maxwidth/maxheight: the default, never above what the consumer allows."""
    try:
        asked = int(value) if value else default
    except ValueError:
        return default
    return max(120, min(default, asked))


def _episode_of_page(url: str) -> Episode:
    """The public episode whose page is `url` (404 when not public now, even if withdrawn)."""
    match = re.fullmatch(re.escape(urls.base()) + r"/radio/([a-z0-9-]+)/episodes/(\w+)/?", url)
    if not match:
        abort(404)
    episode = episodes.get_episode(match.group(2), schools.get_school(match.group(1)))
    if (
        clearance.visibility(episode, Audience.PUBLIC) is not Visibility.SHOWN
        or not episode.media_key
    ):
        abort(404)
    return episode


def serve_master(episode: Episode, name: str, current_url: str) -> Response:
    """The master's bytes (GET, HEAD, ranges, ETag); an older content-hash name moves (301)."""
    assert episode.media_key
    if Path(episode.media_key).stem != name:
        # Only a former content-hash name moves permanently; anything else does not exist.
        if not MEDIA_NAME.fullmatch(name):
            abort(404)
        return redirect(current_url, 301)
    path = runtime.storage().local_path(episode.media_key)
    return _file(path, "audio/mpeg", max_age=delivery.MEDIA_MAX_AGE_S, etag=name)


def chapters_response(episode: Episode, cache_control: str) -> Response:
    """The episode's chapters as Podcasting 2.0 JSON, or 404 when it has none."""
    marks = chapter_marks(episode.chapters_json)
    if not marks:
        abort(404)
    return delivery.bytes_response(
        chapters_document(marks), "application/json+chapters", cache_control, **CORS
    )


def transcript_response(episode: Episode, ext: str, cache_control: str) -> Response:
    """The episode's transcript in its own format, or 404."""
    found = transcript_of(episode.transcript)
    if found is None or found.extension != ext:
        abort(404)
    mimetype = f"{found.media_type}; charset=utf-8"
    return delivery.bytes_response(found.body, mimetype, cache_control, **CORS)


def _file(path: Path, mimetype: str, max_age: int, etag: str | bool = True) -> Response:
    """A stored file with ranges and validators (revalidated, never `immutable`)."""
    response = send_file(path, mimetype=mimetype, conditional=True, etag=etag, max_age=max_age)
    response.headers.pop("Expires", None)
    return response


def public_episode(episode_id: str, school: School | None = None) -> Episode:
    """The episode if the public may see it; 410 if it may no longer, 404 if it never could."""
    episode = episodes.get_episode(episode_id, school)
    seen = clearance.visibility(episode, Audience.PUBLIC)
    if seen is Visibility.GONE:
        abort(410, description=UNPUBLISHED if episode.withdrawn_reason == "unpublished" else None)
    if seen is Visibility.UNKNOWN or not episode.media_key:
        abort(404)
    return episode

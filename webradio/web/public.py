"""Public pages, feeds, media, embeds: each answer asks the consent gate first (CONTRACT s. 3).

Pages, embeds, oEmbed answers, chapters, transcripts and the city widget are files the
after-commit step wrote (webradio.site); the fast path (delivery.PublicFastPath) answers them
before Flask. These routes are its fallback, for a file missing or past its expiry, or another
rendering (`?lang=en`, `?theme=dark`, an oEmbed size): they ask the gate, rewrite when a cleared
file is missing, and answer the file's bytes (or render for nobody in particular).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, abort, redirect, render_template, request, send_file
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from webradio import clearance, episodes, feeds, outputs, runtime, schools, site, urls
from webradio.clearance import Visibility
from webradio.consent import Audience
from webradio.models import Episode, School
from webradio.publishing.companions import chapter_marks, chapters_document, transcript_of
from webradio.schools import SLUG
from webradio.site import OEMBED_HEIGHT, OEMBED_WIDTH
from webradio.web import UNPUBLISHED, delivery
from webradio.web.delivery import COMPANION_CACHE, KINDS

bp = Blueprint("public", __name__)

MEDIA_NAME = re.compile(r"[0-9a-f]{12}")
ARTWORK_TYPES = {"png": "image/png", "jpg": "image/jpeg"}
CORS = {"Access-Control-Allow-Origin": "*"}
LANGUAGES = {"fr", "en"}


def _other_language() -> dict[str, str]:
    """`{"lang": ...}` when the address asks for a language, else empty (the stored file, in
    the instance's language, answers)."""
    lang = request.args.get("lang")
    return {"lang": lang} if lang in LANGUAGES else {}


def _made(body: str | bytes, kind: str) -> Response:
    """An answer rendered now, with the headers its stored file would have."""
    spec = KINDS[kind]
    response = Response(body, spec.status, content_type=spec.content_type)
    response.headers["Cache-Control"] = spec.cache_control
    response.headers.update(dict(spec.extra))
    return response


def _stored(path: str, owner: str) -> delivery.Representation | None:
    """The fresh file at `path`, rewritten first when missing or past its expiry (`owner`: the
    school's id, or the city's)."""
    root = runtime.feeds_root()
    rep = delivery.fresh(root, path)
    if rep is None:
        outputs.refresh({owner})
        rep = delivery.fresh(root, path)
    return rep


def available(rep: delivery.Representation | None) -> delivery.Representation:
    """The feed file, or 503 « try again » while it cannot be written (a full disk: the old
    one was removed, never served stale; the worker rewrites it as soon as it can)."""
    if rep is None:
        abort(503)
    return rep


def _variant(
    path: str, rep: delivery.Representation, args: dict[str, str], render: Callable[[], str | bytes]
) -> bytes:
    """Another rendering of the stored file at `path` (`args`: ?lang=, ?theme=), made for nobody
    in particular, once per version of the file."""

    def make() -> bytes:
        with site.anonymous(request.path, args):
            made = render()
        return made.encode() if isinstance(made, str) else made

    key = (str(runtime.feeds_root() / path), rep.etag, *sorted(f"{k}={v}" for k, v in args.items()))
    return delivery.variants.get(key, make)


def _public_file(
    path: str,
    kind: str,
    episode: Episode,
    render: Callable[[], str | bytes],
    gone: str,
    gone_kind: str = "gone",
) -> Response:
    """Answer one episode's public file as the gate says now: the stored file when cleared
    (rendered now, for nobody in particular, when another rendering is asked or the file
    cannot be written), the 410 record once withdrawn, else 404."""
    seen = clearance.visibility(episode, Audience.PUBLIC)
    if seen is Visibility.SHOWN and episode.media_key:
        args = _other_language()
        if kind == "embed" and request.args.get("theme") in {"light", "dark"}:
            args["theme"] = request.args["theme"]
        rep = _stored(path, episode.school_id)
        if rep is not None and not args:
            return delivery.file_response(rep, KINDS[kind])
        if rep is not None:
            return _made(_variant(path, rep, args, render), kind)
        with site.anonymous(request.path, args):
            return _made(render(), kind)  # the file could not be written: rendered now
    if seen is Visibility.GONE:
        root = runtime.feeds_root()
        if delivery.expired(root, path) or not (root / gone).exists():
            outputs.refresh({episode.school_id})  # midnight passed: the file goes now
        record = delivery.feed_cache.get(root / gone)
        if record is not None:
            return delivery.file_response(record, KINDS[gone_kind])
        abort(410, description=UNPUBLISHED if episode.withdrawn_reason == UNPUBLISHED else None)
    abort(404)


@bp.get("/radio/<slug>/")
def school_page(slug: str) -> ResponseReturnValue:
    """The school's radio: its latest public episodes with a player, subscribe help, a QR code."""
    return _school_page(slug, 1)


@bp.get("/radio/<slug>/page/<int:page>")
def school_page_n(slug: str, page: int) -> ResponseReturnValue:
    """Older episodes of the school's radio, a page at a time."""
    if page <= 1:
        return redirect(urls.school_page(slug), 301)
    return _school_page(slug, page)


def _school_page(slug: str, page: int) -> Response:
    """One page of the school's radio: the stored file, or rendered in another language."""
    school = schools.get_school(slug)
    root = runtime.feeds_root()
    path = site.page_path(slug, page)
    lang = _other_language()
    rep = delivery.fresh(root, path)
    first = rep or delivery.fresh(root, site.page_path(slug))
    if rep is None and (first is None or delivery.expired(root, path)):
        outputs.refresh({school.id})
        rep = delivery.fresh(root, path)

    def render() -> str:
        shown = clearance.public_episodes(school)
        if page > site.pages_of(len(shown)):
            abort(404)
        return site.school_page(school, shown, page)

    if rep is not None and not lang:
        return delivery.file_response(rep, KINDS["page"])
    if rep is not None:
        return _made(_variant(path, rep, lang, render), "page")
    if page > 1:
        abort(404)  # no such page (the first one always exists)
    with site.anonymous(request.path, lang):
        return _made(render(), "page")  # the file could not be written: rendered now


@bp.get("/radio/<slug>/episodes/<episode_id>")
def episode_page(slug: str, episode_id: str) -> ResponseReturnValue:
    """One public episode; 410 with a note once withdrawn or expired, 404 if never public."""
    episode = episodes.get_episode(episode_id, schools.get_school(slug))
    return _public_file(
        site.episode_path(slug, episode.id),
        "page",
        episode,
        lambda: site.episode_page(episode),
        gone=site.gone_page_path(slug, episode.id),
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
    school = schools.get_school(slug)
    return _feed(str(feeds.feed_path(school).relative_to(runtime.feeds_root())), school.id)


@bp.get("/feeds/ville/flux.xml")
def city_feed() -> ResponseReturnValue:
    """The city-wide feed of what the schools shared with the city."""
    path = feeds.city_feed_path().relative_to(runtime.feeds_root())
    return _feed(str(path), site.CITY_OWNER)


def _feed(path: str, owner: str) -> Response:
    """A feed from its file, or its readable page beside it for a browser (as the fast path)."""
    page = delivery.prefers_page(request.headers.get("Accept", ""))
    rep = _stored(feeds.page_beside(path) if page else path, owner)
    return delivery.feed_response(available(rep), page=page)


@bp.get("/ville/widget")
def city_widget() -> ResponseReturnValue:
    """The latest public episodes shared with the city, for an iframe on the city website."""
    lang = _other_language()
    rep = _stored(site.widget_path(), site.CITY_OWNER)

    def render() -> str:
        return site.widget(feeds.city_episodes())

    if rep is not None and not lang:
        return delivery.file_response(rep, KINDS["embed"])
    if rep is not None:
        return _made(_variant(site.widget_path(), rep, lang, render), "embed")
    with site.anonymous(request.path, lang):
        return _made(render(), "embed")


@bp.route("/media/<episode_id>/<name>.mp3", methods=["GET", "HEAD"])
def media(episode_id: str, name: str) -> ResponseReturnValue:
    """The master MP3 with byte ranges; an older name of a cleared episode answers 301.

    The after-commit step leaves a pass for each master the public may hear (with its expiry):
    found, the bytes are served without asking the database; otherwise the gate answers."""
    local_path = runtime.storage().local_path
    heard = delivery.heard_master(
        runtime.feeds_root(), local_path, episode_id, name, request.environ
    )
    if heard is not None:
        return heard
    episode = public_episode(episode_id)
    return serve_master(episode, name, urls.media(episode.id, episode.media_key or ""))


@bp.route("/media/<episode_id>/chapitres.json", methods=["GET", "HEAD"])
def chapters(episode_id: str) -> ResponseReturnValue:
    """Podcasting 2.0 chapters of a public episode (CORS: web players fetch them)."""
    episode = public_episode(episode_id)
    marks = chapter_marks(episode.chapters_json)
    if not marks:
        abort(404)
    rep = _stored(site.chapters_path(episode.id), episode.school_id)
    data = rep.body if rep is not None else chapters_document(marks)
    return delivery.bytes_response(data, KINDS["chapters"].content_type, COMPANION_CACHE, **CORS)


@bp.route("/media/<episode_id>/transcription.<ext>", methods=["GET", "HEAD"])
def transcript(episode_id: str, ext: str) -> ResponseReturnValue:
    """The transcript of a public episode (CORS: web players fetch it)."""
    episode = public_episode(episode_id)
    found = transcript_of(episode.transcript)
    if found is None or found.extension != ext:
        abort(404)
    rep = _stored(site.transcript_path(episode.id, ext), episode.school_id)
    data = rep.body if rep is not None else found.body
    mimetype = f"{found.media_type}; charset=utf-8"
    return delivery.bytes_response(data, mimetype, COMPANION_CACHE, **CORS)


@bp.get("/embed/<episode_id>")
def embed(episode_id: str) -> ResponseReturnValue:
    """A cookie-free player for other sites; says so in the frame when the episode was withdrawn."""
    episode = episodes.get_episode(episode_id)
    theme = request.args.get("theme")
    theme = theme if theme in {"light", "dark"} else None
    return _public_file(
        site.embed_path(episode.id),
        "embed",
        episode,
        lambda: site.embed(episode, True, theme),
        gone=site.gone_embed_path(episode.id),
        gone_kind="gone-embed",
    )


@bp.get("/oembed")
def oembed() -> ResponseReturnValue:
    """oEmbed 1.0 (`rich`, JSON) for a public episode page; 404 for anything else."""
    if request.args.get("format", "json") != "json":
        abort(501)
    episode = _episode_of_page(request.args.get("url", ""))
    width = _bounded(request.args.get("maxwidth"), OEMBED_WIDTH)
    height = _bounded(request.args.get("maxheight"), OEMBED_HEIGHT)
    if (width, height) == (OEMBED_WIDTH, OEMBED_HEIGHT):
        rep = _stored(site.oembed_path(episode.school.slug, episode.id), episode.school_id)
        if rep is not None:
            return delivery.file_response(rep, KINDS["oembed"])
    return _made(site.oembed(episode, width, height), "oembed")


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

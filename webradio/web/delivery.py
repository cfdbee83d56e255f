"""HTTP delivery of published files: cached representations, the public fast path, conditional
GETs, ranges."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from flask import Response as FlaskResponse
from flask import request
from werkzeug.datastructures import Headers, MIMEAccept
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import http_date, parse_accept_header, parse_date
from werkzeug.utils import send_file
from werkzeug.wrappers import Response

from webradio import clock
from webradio.feeds import page_beside
from webradio.site import MANIFEST, media_pass_path

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

FEED_TYPE = "application/rss+xml; charset=utf-8"
PUBLIC_FEED_CACHE = "public, max-age=60"
PRIVATE_CACHE = "private, max-age=60"
MEDIA_MAX_AGE_S = 300
PRIVATE_MEDIA_CACHE = f"private, max-age={MEDIA_MAX_AGE_S}"
CACHE_ENTRIES = 512
SETTLE_S = 2.0


@dataclass(frozen=True)
class Representation:
    """A feed's two encodings, each with its own strong ETag, and when the file changed."""

    body: bytes
    etag: str
    gzip_body: bytes
    gzip_etag: str
    last_modified: str


class FeedResponse(FlaskResponse):
    """A feed answer, which varies by encoding (and a feed's by Accept) and never by cookie.

    The session layer adds `Cookie` to Vary and then tries to discard it, but werkzeug's
    HeaderSet.remove only drops a mixed-case name when it stands alone; so the final Vary is
    set here, right before the headers are sent.
    """

    final_vary = "Accept-Encoding"

    def get_wsgi_headers(self, environ: WSGIEnvironment) -> Headers:
        """The headers to send, with the answer's own `Vary` alone."""
        headers = super().get_wsgi_headers(environ)
        headers["Vary"] = self.final_vary
        return headers


def _etag(data: bytes) -> str:
    """A strong ETag from the bytes' SHA-256."""
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


class RepresentationCache:
    """Representations of static files, hashed once and reloaded only when the file changes.

    A rebuild that changes nothing leaves the file untouched (write_feed), so its stat, and
    with it the ETag, stay the same; when the file is replaced its inode or mtime changes.
    """

    def __init__(self, limit: int = CACHE_ENTRIES) -> None:
        self._entries: OrderedDict[tuple[str, str], tuple[tuple[int, ...], Representation]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()
        self._limit = limit

    def get(
        self, path: Path, variant: str = "", fill: Callable[[bytes], bytes] | None = None
    ) -> Representation | None:
        """The representation of `path` (filled in by `fill` for `variant`), None if absent."""
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return None
        key = (str(path), variant)
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        # A file replaced within the clock's granularity may reuse the inode, mtime and size of
        # the one before: trust the stamp only once the file has settled.
        settled = time.time() - stat.st_mtime > SETTLE_S
        with self._lock:
            found = self._entries.get(key)
            if settled and found is not None and found[0] == stamp:
                self._entries.move_to_end(key)
                return found[1]
        made = _load(path, stat.st_mtime, fill)
        with self._lock:
            self._entries[key] = (stamp, made)
            self._entries.move_to_end(key)
            while len(self._entries) > self._limit:
                self._entries.popitem(last=False)
        return made

    def forget(self, variant: str) -> None:
        """Drop every entry of `variant` (a revoked family token)."""
        with self._lock:
            for key in [k for k in self._entries if k[1] == variant]:
                del self._entries[key]


def _load(path: Path, mtime: float, fill: Callable[[bytes], bytes] | None) -> Representation:
    """Read the file (and its precompressed `.gz` when it is the one served as is)."""
    body = path.read_bytes()
    packed_path = path.with_name(path.name + ".gz")
    if fill is not None:
        body = fill(body)
        packed = gzip.compress(body, 6, mtime=0)
    else:
        try:
            packed = packed_path.read_bytes()
        except FileNotFoundError:
            packed = gzip.compress(body, 6, mtime=0)
    modified = http_date(datetime.fromtimestamp(int(mtime), UTC))
    return Representation(body, _etag(body), packed, _etag(packed), modified)


def accepts_gzip(header: str) -> bool:
    """True when an Accept-Encoding value accepts gzip (`gzip;q=0` refuses it)."""
    for part in header.lower().split(","):
        name, _, params = part.partition(";")
        if name.strip() in {"gzip", "x-gzip", "*"}:
            quality = params.strip().removeprefix("q=").strip()
            return not quality or quality.strip("0.") != ""
    return False


def _matches(header: str, etag: str) -> bool:
    """If-None-Match comparison (weak comparison, as RFC 9110 asks for it)."""
    if header.strip() == "*":
        return True
    candidates = (part.strip().removeprefix("W/") for part in header.split(","))
    return etag in candidates


def _not_modified(environ: WSGIEnvironment, etag: str, last_modified: str) -> bool:
    """True when the request's validators say the client already holds this representation."""
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        return _matches(if_none_match, etag)
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if since is None:
        return False
    since_date, modified = parse_date(since), parse_date(last_modified)
    return since_date is not None and modified is not None and modified <= since_date


@dataclass(frozen=True)
class Answer:
    """A feed answer before it becomes a response: status, headers, body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Kind:
    """How one kind of public file is answered: its type, caching and fixed headers, and the
    address whose security headers the app gives it (the fast path copies them)."""

    content_type: str
    cache_control: str
    like: str
    status: int = 200
    extra: tuple[tuple[str, str], ...] = ()
    vary: str = "Accept-Encoding"


HTML_TYPE = "text/html; charset=utf-8"
PAGE_CACHE = "public, max-age=60"
COMPANION_CACHE = "public, max-age=300"
CORS = (("Access-Control-Allow-Origin", "*"),)
EMBED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; media-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors *"
)
# Made for other sites' iframes: frameable by any site, no cookie, a referrer without path.
FRAMED = (
    ("Content-Security-Policy", EMBED_CSP),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)
# A feed's address answers a browser with the feed's readable page (feeds.page_beside).
NEGOTIATED = "Accept, Accept-Encoding"
FEED_PAGE = "feed-page"
KINDS = {
    "feed": Kind(FEED_TYPE, PUBLIC_FEED_CACHE, "/feeds/ville/flux.xml", vary=NEGOTIATED),
    FEED_PAGE: Kind(HTML_TYPE, PUBLIC_FEED_CACHE, "/radio/ecole/", vary=NEGOTIATED),
    "page": Kind(HTML_TYPE, PAGE_CACHE, "/radio/ecole/"),
    "gone": Kind(HTML_TYPE, PAGE_CACHE, "/radio/ecole/", status=410),
    "embed": Kind(HTML_TYPE, PAGE_CACHE, "/embed/e", extra=FRAMED),
    "gone-embed": Kind(HTML_TYPE, PAGE_CACHE, "/embed/e", status=410, extra=FRAMED),
    "oembed": Kind("application/json", COMPANION_CACHE, "/oembed", extra=CORS),
    "chapters": Kind("application/json+chapters", COMPANION_CACHE, "/media/e/c.json", extra=CORS),
    "vtt": Kind("text/vtt; charset=utf-8", COMPANION_CACHE, "/media/e/t.vtt", extra=CORS),
    "txt": Kind("text/plain; charset=utf-8", COMPANION_CACHE, "/media/e/t.txt", extra=CORS),
}
# Set by the app on every answer after the view (web/__init__.py); the fast path repeats them.
SECURITY_HEADERS = {
    "content-security-policy",
    "x-frame-options",
    "referrer-policy",
    "x-content-type-options",
    "strict-transport-security",
    "permissions-policy",
    "cross-origin-opener-policy",
    "cross-origin-resource-policy",
}


def file_answer(
    rep: Representation,
    environ: WSGIEnvironment,
    kind: Kind,
    secured: Iterable[tuple[str, str]] = (),
) -> Answer:
    """A public file in the encoding asked for, or 304; every answer varies by encoding."""
    packed = accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
    etag = rep.gzip_etag if packed else rep.etag
    headers = [
        ("ETag", etag),
        ("Last-Modified", rep.last_modified),
        ("Cache-Control", kind.cache_control),
        ("Vary", kind.vary),
        *kind.extra,
    ]
    given = {name.lower() for name, _ in headers}
    headers += [(n, v) for n, v in secured if n.lower() not in given]
    if kind.status == 200 and _not_modified(environ, etag, rep.last_modified):
        return Answer(304, headers, b"")
    body = rep.gzip_body if packed else rep.body
    headers.append(("Content-Type", kind.content_type))
    headers.append(("Content-Length", str(len(body))))
    if packed:
        headers.append(("Content-Encoding", "gzip"))
    return Answer(kind.status, headers, body)


def feed_answer(rep: Representation, environ: WSGIEnvironment, cache_control: str) -> Answer:
    """The feed in the encoding asked for, or 304; every answer says it varies by encoding."""
    return file_answer(rep, environ, replace(KINDS["feed"], cache_control=cache_control))


def feed_response(
    rep: Representation, cache_control: str = PUBLIC_FEED_CACHE, page: bool = False
) -> Response:
    """The feed answer (its readable page when `page`) as a Flask response (the fallback when
    the fast path did not answer, and family feeds)."""
    kind = KINDS[FEED_PAGE if page else "feed"]
    return file_response(rep, replace(kind, cache_control=cache_control))


def file_response(rep: Representation, kind: Kind) -> Response:
    """A public file's answer as a Flask response (the app's own routes, same bytes)."""
    answer = file_answer(rep, request.environ, kind)
    response = FeedResponse(answer.body, answer.status)
    response.final_vary = kind.vary
    response.headers.clear()
    response.headers.extend(answer.headers)
    return response


# Types a browser names when a person opens a link; a podcast app names a feed type, `*/*`, or
# nothing (Apple Podcasts: `*/*`; AntennaPod, OkHttp: no Accept), so it always gets the feed.
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset(
    {"application/rss+xml", "application/xml", "text/xml", "application/atom+xml"}
    | {"*/*", "application/*", "text/*"}
)


def prefers_page(accept: str) -> bool:
    """True when an Accept value names HTML itself and ranks it above every feed type (what
    browsers send when a person opens an address: `text/html,...,application/xml;q=0.9`)."""
    page = feed = 0.0
    for value, quality in parse_accept_header(accept, MIMEAccept):
        kind = value.lower()
        if kind in PAGE_TYPES:
            page = max(page, quality)
        elif kind in FEED_TYPES:
            feed = max(feed, quality)
    return page > feed


# --- Which files are fresh: present, and not past the day their authorisations end ------------


class Expiries:
    """The expiry day of each public file, read from the manifest the rewrite keeps
    (`feeds/private/outputs.json`), reloaded only when it changes."""

    def __init__(self) -> None:
        self._loaded: dict[str, tuple[tuple[int, ...], dict[str, date]]] = {}
        self._lock = threading.Lock()

    def until(self, root: Path, relative: str) -> date | None:
        """The last day `relative` (under the feeds root) may be served, None if unlimited."""
        manifest = root / MANIFEST
        try:
            stat = os.stat(manifest)
        except FileNotFoundError:
            return None
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        found = self._loaded.get(str(manifest))
        if found is None or found[0] != stamp or time.time() - stat.st_mtime <= SETTLE_S:
            found = (stamp, _expiry_days(manifest))
            with self._lock:
                self._loaded[str(manifest)] = found
        return found[1].get(relative)


def _expiry_days(manifest: Path) -> dict[str, date]:
    """Every file with an expiry in the manifest, flattened over the owners."""
    try:
        owners = json.loads(manifest.read_text("utf-8")).get("owners", {})
    except (FileNotFoundError, ValueError):
        return {}
    return {
        path: date.fromisoformat(entry["until"])
        for files in owners.values()
        for path, entry in files.items()
        if isinstance(entry, dict) and entry.get("until")
    }


def fresh(root: Path, relative: str) -> Representation | None:
    """The file's representation if it exists and is not past its expiry (Paris midnight)."""
    until = expiries.until(root, relative)
    if until is not None and clock.today_paris() > until:
        return None
    return feed_cache.get(root / relative)


def expired(root: Path, relative: str) -> bool:
    """True when the file is on disk but past its expiry (a rewrite will remove it)."""
    until = expiries.until(root, relative)
    return until is not None and clock.today_paris() > until and (root / relative).exists()


# --- The fast path ------------------------------------------------------------------------------

ID = r"[A-Za-z0-9_-]{1,64}"
SLUG = r"[a-z0-9][a-z0-9-]{1,62}"
ROUTES: tuple[tuple[re.Pattern[str], str, str, str | None, str | None], ...] = (
    # (path, file, kind, 410 record, its kind): groups fill the file names
    (re.compile(rf"/feeds/(?P<slug>{SLUG})\.xml"), "{slug}.xml", "feed", None, None),
    (re.compile(r"/feeds/ville/flux\.xml"), "ville/flux.xml", "feed", None, None),
    (re.compile(rf"/radio/(?P<slug>{SLUG})/"), "site/radio/{slug}/index.html", "page", None, None),
    (
        re.compile(rf"/radio/(?P<slug>{SLUG})/page/(?P<page>[1-9][0-9]{{0,5}})"),
        "site/radio/{slug}/page/{page}.html",
        "page",
        None,
        None,
    ),
    (
        re.compile(rf"/radio/(?P<slug>{SLUG})/episodes/(?P<id>{ID})"),
        "site/radio/{slug}/episodes/{id}.html",
        "page",
        "site/gone/radio/{slug}/episodes/{id}.html",
        "gone",
    ),
    (
        re.compile(rf"/embed/(?P<id>{ID})"),
        "site/embed/{id}.html",
        "embed",
        "site/gone/embed/{id}.html",
        "gone-embed",
    ),
    (
        re.compile(rf"/media/(?P<id>{ID})/chapitres\.json"),
        "site/media/{id}/chapitres.json",
        "chapters",
        "site/gone/media/{id}.html",
        "gone",
    ),
    (
        re.compile(rf"/media/(?P<id>{ID})/transcription\.(?P<ext>vtt|txt)"),
        "site/media/{id}/transcription.{ext}",
        "{ext}",
        "site/gone/media/{id}.html",
        "gone",
    ),
    # The MP3 itself stays gated per request (ranges); only its 410 is a file.
    (
        re.compile(rf"/media/(?P<id>{ID})/[0-9a-f]{{12}}\.mp3"),
        "",
        "",
        "site/gone/media/{id}.html",
        "gone",
    ),
    (re.compile(r"/ville/widget"), "site/ville/widget.html", "embed", None, None),
)


@dataclass(frozen=True)
class Target:
    """The file that answers a request, and the 410 record to answer when it is absent."""

    path: str
    kind: str
    gone: str | None = None
    gone_kind: str | None = None


def target_of(path: str, query: str, base_url: str | None) -> Target | None:
    """The public file for this request, None when only the app can answer it.

    A query string (`?lang=en`, `?theme=dark`, `maxwidth`) asks for another rendering: the app
    answers it, except oEmbed's own `url` and `format=json`."""
    if path == "/oembed":
        return _oembed_target(query, base_url) if base_url else None
    if query:
        return None
    for pattern, file, kind, gone, gone_kind in ROUTES:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        values = match.groupdict()
        if match.groupdict().get("page") == "1":
            return None  # the first page has one address, /radio/SLUG/ (the app redirects)
        return Target(
            file.format(**values),
            kind.format(**values),
            gone.format(**values) if gone else None,
            gone_kind,
        )
    return None


def negotiated(target: Target | None, environ: WSGIEnvironment) -> Target | None:
    """A feed's readable page instead of the feed when the request prefers HTML."""
    if target is None or target.kind != "feed":
        return target
    if not prefers_page(environ.get("HTTP_ACCEPT", "")):
        return target
    return Target(page_beside(target.path), FEED_PAGE)


def _oembed_target(query: str, base_url: str) -> Target | None:
    """The stored oEmbed answer for `?url=PAGE[&format=json]` at the default size."""
    args = parse_qs(query, keep_blank_values=True)
    if set(args) - {"url", "format"} or any(len(v) != 1 for v in args.values()):
        return None
    if args.get("format", ["json"]) != ["json"]:
        return None
    page = re.fullmatch(
        re.escape(base_url) + rf"/radio/(?P<slug>{SLUG})/episodes/(?P<id>{ID})",
        args.get("url", [""])[0],
    )
    if page is None:
        return None
    return Target(f"site/oembed/{page['slug']}/{page['id']}.json", "oembed")


MASTER = re.compile(rf"/media/(?P<id>{ID})/(?P<name>[0-9a-f]{{12}})\.mp3")


def heard_master(
    root: Path,
    local_path: Callable[[str], Path],
    episode_id: str,
    name: str,
    environ: WSGIEnvironment,
) -> Response | None:
    """The master the public may hear now, from the pass the after-commit step left beside the
    public files (its storage key, with its expiry); None without a live pass, and then the
    gate answers (410 once withdrawn or expired, 301 for a former name)."""
    path = heard_path(root, local_path, episode_id, name)
    return None if path is None else master_response(path, name, environ)


def heard_path(
    root: Path, local_path: Callable[[str], Path], episode_id: str, name: str
) -> Path | None:
    """The file of the master the public may hear now (see heard_master), None without one."""
    if not re.fullmatch(ID, episode_id):
        return None
    heard = fresh(root, media_pass_path(episode_id, name))
    if heard is None:
        return None
    path = local_path(heard.body.decode())
    return path if path.is_file() else None


def master_response(path: Path, name: str, environ: WSGIEnvironment) -> Response:
    """A master's answer as werkzeug's send_file gives it: ranges, 304, 416."""
    try:
        response = send_file(
            path, environ, mimetype="audio/mpeg", etag=name, max_age=MEDIA_MAX_AGE_S
        )
    except RequestedRangeNotSatisfiable as past_the_end:  # outside Flask: answer it here
        return past_the_end.get_response(environ)
    response.headers.pop("Expires", None)
    return response


# What a podcast app or a browser asks most: one byte range of a master, no validator.
SHORT_RANGE = re.compile(r"bytes=([0-9]{1,15})-([0-9]{0,15})")
SHORT_RANGE_MAX = 1 << 20  # longer ranges stream through send_file
VALIDATORS = (
    "HTTP_IF_RANGE",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
)
PLAIN_NAME = re.compile(r"[A-Za-z0-9._-]+")
STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


def short_range(path: Path, name: str, environ: WSGIEnvironment) -> Answer | None:
    """The 206 of one satisfiable range of at most 1 MiB with no validator, read at once with the
    headers send_file gives it (master_response answers every other request); None otherwise."""
    found = SHORT_RANGE.fullmatch(environ.get("HTTP_RANGE", ""))
    if found is None or any(key in environ for key in VALIDATORS):
        return None
    if PLAIN_NAME.fullmatch(path.name) is None:
        return None
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        stat = os.fstat(descriptor)
        size, start = stat.st_size, int(found[1])
        end = min(int(found[2]) if found[2] else size - 1, size - 1)
        length = end - start + 1
        if start >= size or length <= 0 or length > SHORT_RANGE_MAX:
            return None
        head = environ.get("REQUEST_METHOD") == "HEAD"
        body = b"" if head else os.pread(descriptor, length, start)
    finally:
        os.close(descriptor)
    if len(body) != length and not head:
        return None  # the file changed under us: send_file answers
    headers = [
        ("Content-Disposition", f"inline; filename={path.name}"),
        ("Content-Type", "audio/mpeg"),
        ("Content-Length", str(length)),
        ("Last-Modified", http_date(int(stat.st_mtime))),
        ("Cache-Control", f"public, max-age={MEDIA_MAX_AGE_S}"),
        ("ETag", f'"{name}"'),
        ("Date", http_date()),
        ("Accept-Ranges", "bytes"),
        ("Content-Range", f"bytes {start}-{end}/{size}"),
    ]
    return Answer(206, headers, body)


class PublicFastPath:
    """A WSGI layer answering GET and HEAD of every public file from the cache: feeds, school
    and episode pages, embeds, oEmbed answers, chapters, transcripts, the city widget, and the
    410 records of withdrawn episodes.

    The files are what the gate cleared when they were written, so a request needs neither the
    database, the session nor Flask's dispatch. A file past its expiry (Paris midnight) is
    never served: the request goes on to the app, which rewrites and asks the gate. Anything
    else (missing file, other paths, ranges of companions) goes on to the app unchanged. No URL
    is logged here.
    """

    def __init__(self, app: WSGIApplication, feeds_root: Path) -> None:
        self.app = app
        self.feeds_root = feeds_root
        self.site: Flask | None = None  # bound by the factory: pages need its address, headers
        self._secured: dict[str, list[tuple[str, str]]] = {}
        self._paths: dict[str, Path] = {}

    def bind(self, site: Flask) -> None:
        """Answer pages too, with the security headers `site` gives each kind of page."""
        self.site = site
        self._secured.clear()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer a public file, or hand the request on."""
        method = environ.get("REQUEST_METHOD")
        if method == "GET" or method == "HEAD":
            answer: Answer | None = None
            if environ.get("PATH_INFO", "").startswith("/media/"):
                sound = self.master(environ)
                if isinstance(sound, Response):
                    return sound(environ, start_response)
                answer = sound
            if answer is None:
                answer = self.answer(environ)
            if answer is not None:
                start_response(STATUS_LINES[answer.status], answer.headers)
                return [b""] if method == "HEAD" else [answer.body]
        return self.app(environ, start_response)

    def master(self, environ: WSGIEnvironment) -> Answer | Response | None:
        """A public master's bytes (ranges, ETag) when the after-commit step left its pass: a
        short range read at once, anything else as send_file answers it."""
        found = MASTER.fullmatch(environ.get("PATH_INFO", ""))
        if found is None or self.site is None or environ.get("QUERY_STRING"):
            return None
        path = heard_path(self.feeds_root, self.local_path, found["id"], found["name"])
        if path is None:
            return None
        return short_range(path, found["name"], environ) or master_response(
            path, found["name"], environ
        )

    def local_path(self, key: str) -> Path:
        """The storage's file for `key`, resolved once per key (resolving costs two realpaths,
        more than the rest of the answer)."""
        found = self._paths.get(key)
        if found is None:
            assert self.site is not None
            found = self.site.extensions["webradio.storage"].local_path(key)
            if len(self._paths) >= CACHE_ENTRIES:
                self._paths.clear()
            self._paths[key] = found
        return found

    def answer(self, environ: WSGIEnvironment) -> Answer | None:
        """The file's answer, the 410 record's, or None for the app."""
        base = self.site.config["BASE_URL"] if self.site is not None else None
        target = target_of(environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), base)
        target = negotiated(target, environ)
        if target is None or (self.site is None and target.kind != "feed"):
            return None
        if "HTTP_RANGE" in environ and target.kind not in {"feed", "page", "embed"}:
            return None  # companions answer ranges (206/416): the app does
        rep = fresh(self.feeds_root, target.path) if target.path else None
        kind = target.kind
        if rep is None and target.gone is not None and not expired(self.feeds_root, target.path):
            rep, kind = feed_cache.get(self.feeds_root / target.gone), target.gone_kind or "gone"
        if rep is None:
            return None
        return file_answer(rep, environ, KINDS[kind], self.secured(kind))

    def secured(self, kind: str) -> list[tuple[str, str]]:
        """The security headers the app gives this kind of answer (learnt once from it)."""
        found = self._secured.get(kind)
        if found is None:
            found = self._secured[kind] = learn_headers(self.site, KINDS[kind]) if self.site else []
        return found


def learn_headers(site: Flask, kind: Kind) -> list[tuple[str, str]]:
    """The security headers `site` adds after a view of this kind answered (its after-request
    hooks run on an empty answer at a representative address), nosniff included."""
    with site.test_request_context(kind.like, base_url=site.config["BASE_URL"]):
        response = site.response_class(b"", headers=list(kind.extra))
        response = site.process_response(response)
        found = [(n, v) for n, v in response.headers if n.lower() in SECURITY_HEADERS]
    if not any(n.lower() == "x-content-type-options" for n, _ in found):
        found.append(("X-Content-Type-Options", "nosniff"))
    return found


def bind_fast_path(site: Flask) -> None:
    """Let the public fast path in `site`'s WSGI stack answer pages with its headers."""
    layer: object = site.wsgi_app
    while layer is not None:
        if isinstance(layer, PublicFastPath):
            layer.bind(site)
        layer = getattr(layer, "app", None)


def bytes_response(data: bytes, mimetype: str, cache_control: str, **extra: str) -> Response:
    """Small generated files (chapters, transcripts): ETag, 304, HEAD, ranges 206/416."""
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = cache_control
    response.headers.update(extra)
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    return response.make_conditional(request, accept_ranges=True, complete_length=len(data))


def mark_private(response: Response, cache_control: str = PRIVATE_MEDIA_CACHE) -> Response:
    """Family answers: never stored by shared caches, never indexed, never a referrer."""
    response.headers["Cache-Control"] = cache_control
    response.headers.pop("Expires", None)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


class Variants:
    """Other renderings of a stored file (another language, the dark theme), each made once per
    version of the file it varies: a reader asking `?lang=en` costs a render only after a
    change, never one per request."""

    def __init__(self, limit: int = 256) -> None:
        self._entries: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def get(self, key: tuple[str, ...], make: Callable[[], bytes]) -> bytes:
        """The rendering under `key` (the file's path and ETag, and what varies), made if new."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        made = make()
        with self._lock:
            self._entries[key] = made
            while len(self._entries) > self._limit:
                self._entries.popitem(last=False)
        return made


feed_cache = RepresentationCache()
expiries = Expiries()
variants = Variants()

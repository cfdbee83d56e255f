"""HTTP delivery of published files: cached feed representations, conditional GETs, ranges."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Response as FlaskResponse
from flask import request
from werkzeug.datastructures import Headers
from werkzeug.http import http_date, parse_date
from werkzeug.wrappers import Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

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
    """A feed answer, which varies by encoding and never by cookie.

    The session layer adds `Cookie` to Vary and then tries to discard it, but werkzeug's
    HeaderSet.remove only drops a mixed-case name when it stands alone; so the final Vary is
    set here, right before the headers are sent.
    """

    def get_wsgi_headers(self, environ: WSGIEnvironment) -> Headers:
        """The headers to send, with `Vary: Accept-Encoding` alone."""
        headers = super().get_wsgi_headers(environ)
        headers["Vary"] = "Accept-Encoding"
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


def feed_answer(rep: Representation, environ: WSGIEnvironment, cache_control: str) -> Answer:
    """The feed in the encoding asked for, or 304; every answer says it varies by encoding."""
    packed = accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
    etag = rep.gzip_etag if packed else rep.etag
    headers = [
        ("ETag", etag),
        ("Last-Modified", rep.last_modified),
        ("Cache-Control", cache_control),
        ("Vary", "Accept-Encoding"),
    ]
    if _not_modified(environ, etag, rep.last_modified):
        return Answer(304, headers, b"")
    body = rep.gzip_body if packed else rep.body
    headers.append(("Content-Type", FEED_TYPE))
    headers.append(("Content-Length", str(len(body))))
    if packed:
        headers.append(("Content-Encoding", "gzip"))
    return Answer(200, headers, body)


def feed_response(rep: Representation, cache_control: str = PUBLIC_FEED_CACHE) -> Response:
    """The feed answer as a Flask response (the fallback when the fast path did not answer)."""
    answer = feed_answer(rep, request.environ, cache_control)
    response = FeedResponse(answer.body, answer.status)
    response.headers.clear()
    response.headers.extend(answer.headers)
    return response


# Public feed files the fast path may answer: a school's (slug rule) and the city's.
FAST_FEED_PATH = re.compile(r"/feeds/(?:[a-z0-9][a-z0-9-]{1,62}|ville/flux)\.xml")


class FeedFastPath:
    """A WSGI layer answering GET and HEAD of the public feed files from the cache.

    Public feeds are static files the gate already decided on when they were written, so a
    request needs neither the database, the session nor Flask's dispatch; what the file does not
    answer (missing file, other paths) goes on to the app unchanged. No URL is logged here.
    """

    def __init__(self, app: WSGIApplication, feeds_root: Path) -> None:
        self.app = app
        self.feeds_root = feeds_root

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer a public feed file, or hand the request on."""
        method = environ.get("REQUEST_METHOD")
        path = environ.get("PATH_INFO", "")
        if method in {"GET", "HEAD"} and FAST_FEED_PATH.fullmatch(path):
            rep = feed_cache.get(self.feeds_root / path.removeprefix("/feeds/"))
            if rep is not None:
                answer = feed_answer(rep, environ, PUBLIC_FEED_CACHE)
                start_response(
                    f"{answer.status} {HTTPStatus(answer.status).phrase}", answer.headers
                )
                return [b""] if method == "HEAD" else [answer.body]
        return self.app(environ, start_response)


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


feed_cache = RepresentationCache()

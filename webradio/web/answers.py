"""How a public file is answered: its kind (type, caching, fixed headers), conditional GETs
(ETag, Last-Modified, 304), gzip, and a feed's readable page for a browser."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from flask import Response as FlaskResponse
from flask import request
from werkzeug.datastructures import Headers, MIMEAccept
from werkzeug.http import parse_accept_header, parse_date
from werkzeug.wrappers import Response

from webradio.web.representations import Representation

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

FEED_TYPE = "application/rss+xml; charset=utf-8"
PUBLIC_FEED_CACHE = "public, max-age=60"
PRIVATE_CACHE = "private, max-age=60"
MEDIA_MAX_AGE_S = 300
PRIVATE_MEDIA_CACHE = f"private, max-age={MEDIA_MAX_AGE_S}"
# The parts of public addresses.
ID = r"[A-Za-z0-9_-]{1,64}"
SLUG = r"[a-z0-9][a-z0-9-]{1,62}"


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

"""The public fast path: a WSGI layer answering every public file (feeds, pages, embeds,
companions, 410 records, masters) from memory without the app, and the addresses it knows.

How each kind is answered lives in `answers`, the files' bytes and freshness in
`representations`, masters' ranges in `ranges`; their names are repeated here for the routes
that answer the same files through the app."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from werkzeug.wrappers import Response

from webradio import clock
from webradio.feeds import page_beside
from webradio.site import media_pass_path
from webradio.web.answers import (
    COMPANION_CACHE,
    EMBED_CSP,
    FEED_PAGE,
    ID,
    KINDS,
    MEDIA_MAX_AGE_S,
    PRIVATE_CACHE,
    PUBLIC_FEED_CACHE,
    SECURITY_HEADERS,
    SLUG,
    Answer,
    Kind,
    accepts_gzip,
    bytes_response,
    feed_answer,
    feed_response,
    file_answer,
    file_response,
    mark_private,
    prefers_page,
)
from webradio.web.ranges import MASTER, heard_master, heard_path, master_response, short_range
from webradio.web.representations import (
    CACHE_ENTRIES,
    Representation,
    expired,
    expiries,
    feed_cache,
    fresh,
    variants,
)

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

__all__ = [
    "COMPANION_CACHE",
    "EMBED_CSP",
    "KINDS",
    "MEDIA_MAX_AGE_S",
    "PRIVATE_CACHE",
    "PUBLIC_FEED_CACHE",
    "Representation",
    "PublicFastPath",
    "accepts_gzip",
    "bind_fast_path",
    "bytes_response",
    "expired",
    "feed_answer",
    "feed_cache",
    "feed_response",
    "file_response",
    "fresh",
    "heard_master",
    "mark_private",
    "master_response",
    "prefers_page",
    "variants",
]

STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}

# --- The fast path ------------------------------------------------------------------------------

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


MAX_AGE = re.compile(r"\b((?:s-)?max-age=)(\d+)")


def until_expiry(
    start_response: StartResponse, until: date | None, environ: WSGIEnvironment
) -> StartResponse:
    """`start_response` with the cache lifetime of an answer whose file or episode expires (the
    last day of an authorisation it shows) ending by that midnight, Paris time (CONTRACT s. 2):
    no cache keeps the sound, the feed or the page past it. The day is the public file's, or
    the one the app's gate left in the request (`EXPIRES_ON`, a family's answers)."""

    def capped(
        status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None, /
    ) -> Callable[[bytes], object]:
        last_day = until or environ.get(EXPIRES_ON)
        if last_day is None:
            return start_response(status, headers, exc_info)
        midnight = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=clock.PARIS)
        left = max(0, int((midnight - clock.aware(clock.now_utc())).total_seconds()))
        if left < LONGEST_PUBLIC_CACHE_S:
            headers = [
                (name, MAX_AGE.sub(lambda f: f[1] + str(min(left, int(f[2]))), value))
                if name.lower() == "cache-control"
                else (name, value)
                for name, value in headers
            ]
        return start_response(status, headers, exc_info)

    return capped


EXPIRES_ON = "webradio.expires_on"  # environ: the last day the answer's episode may be shown
LONGEST_PUBLIC_CACHE_S = 86400  # the longest max-age any public answer carries (artwork)


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
        """Answer a public file, or hand the request on (no answer cached past its expiry)."""
        start_response = until_expiry(start_response, self.expiry(environ), environ)
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

    def expiry(self, environ: WSGIEnvironment) -> date | None:
        """The last day the public file this request asks for may be served (any rendering
        of it, through the fast path or the app), None when unlimited or unknown."""
        path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
        master = MASTER.fullmatch(path)
        if master is not None:
            return expiries.until(self.feeds_root, media_pass_path(master["id"], master["name"]))
        base = self.site.config["BASE_URL"] if self.site is not None else None
        target = target_of(path, query if path == "/oembed" else "", base)
        return expiries.until(self.feeds_root, target.path) if target is not None else None

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

"""A public master's bytes: found from the pass the after-commit step left (no database), a
short range read at once, anything else (HEAD, validators, long ranges, 304, 416) as
werkzeug's send_file answers it."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import http_date
from werkzeug.utils import send_file
from werkzeug.wrappers import Response

from webradio.site import media_pass_path
from webradio.web.answers import ID, MEDIA_MAX_AGE_S, Answer
from webradio.web.representations import fresh

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

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

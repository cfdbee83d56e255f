"""Public files in memory: each file's bytes and gzip with strong ETags, reloaded only when the
file changes; which files are fresh (not past the day their authorisations end); other
renderings made once per version of a file."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from werkzeug.http import http_date

from webradio import clock
from webradio.site import MANIFEST

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

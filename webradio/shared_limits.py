"""Rate-limit counters shared by the web processes of one machine (`webradio run`).

Flask-Limiter's default storage (`memory://`) counts in one process: with several web
processes on one socket, each would keep its own counters and a client would get as many
tries as there are processes. `webradio run` then gives them this storage instead: fixed
windows in a small SQLite file of the instance (0600), written only by the routes that have
a limit (sign-in, studio codes, uploads), never by the public fast path. `redis://...`
(RATELIMIT_STORAGE_URI) stays the choice across machines; gunicorn run by hand with several
workers can name this file, `webradio-sqlite:///path/ratelimits.sqlite3`, once this module is
imported (webradio.serve imports it).
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from limits.storage import Storage

SCHEME = "webradio-sqlite"
# Share of writes that also drop expired windows (the table stays small).
PURGE_SHARE = 0.02


def uri_for(path: Path) -> str:
    """The RATELIMIT_STORAGE_URI naming the shared counters in `path`."""
    return f"{SCHEME}://{path}"


def create(path: Path) -> None:
    """An empty counters file (what `webradio run` does at each start: no counter outlives it)."""
    for name in (path.name, path.name + "-wal", path.name + "-shm"):
        (path.parent / name).unlink(missing_ok=True)
    _connect(path).close()


def _connect(path: Path) -> sqlite3.Connection:
    """A connection to the counters, the file made first if needed, readable by this account
    only (the keys hold addresses)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")  # counters need no durability
    connection.execute(
        "CREATE TABLE IF NOT EXISTS counters "
        "(key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires REAL NOT NULL)"
    )
    return connection


class SharedSQLiteStorage(Storage):
    """Fixed-window counters in an SQLite file, one connection per thread."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        self.path = Path(uri.split("://", 1)[1])
        self._local = threading.local()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _db(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = _connect(self.path)
        return connection

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add `amount` to the key's window (a new window of `expiry` seconds once it ended)."""
        db, now = self._db(), time.time()
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT value, expires FROM counters WHERE key = ?", (key,)).fetchone()
            if row is None or row[1] <= now:
                value = amount
                db.execute(
                    "INSERT OR REPLACE INTO counters VALUES (?, ?, ?)", (key, value, now + expiry)
                )
            else:
                value = row[0] + amount
                db.execute("UPDATE counters SET value = ? WHERE key = ?", (value, key))
            if random.random() < PURGE_SHARE:
                db.execute("DELETE FROM counters WHERE expires <= ?", (now,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return int(value)

    def get(self, key: str) -> int:
        """The key's count in its current window (0 when none)."""
        row = (
            self._db()
            .execute("SELECT value FROM counters WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        """When the key's window ends (now when there is none)."""
        now = time.time()
        row = (
            self._db()
            .execute("SELECT expires FROM counters WHERE key = ? AND expires > ?", (key, now))
            .fetchone()
        )
        return float(row[0]) if row else now

    def check(self) -> bool:
        """Whether the file answers."""
        try:
            self._db().execute("SELECT 1 FROM counters LIMIT 1").fetchall()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every counter; how many there were."""
        return int(self._db().execute("DELETE FROM counters").rowcount)

    def clear(self, key: str) -> None:
        """Forget one key's counter."""
        self._db().execute("DELETE FROM counters WHERE key = ?", (key,))

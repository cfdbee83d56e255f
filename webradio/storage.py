"""Where takes, masters and artwork live: a small Protocol and backends chosen by name."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from webradio.errors import N_, WebradioError

CHUNK = 1024 * 1024


class UploadTooLarge(WebradioError):
    """An upload went past the configured size limit."""

    http_status = 413


class DiskFull(WebradioError):
    """The server's disk (or its quota) is full: nothing is lost, and the same action will
    work once space returns (HTTP 507, retryable)."""

    http_status = 507


DISK_FULL = N_(
    "Le disque du serveur est plein pour l’instant : rien n’est perdu, réessayez un peu plus "
    "tard (le service informatique doit libérer de la place)."
)
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
# How ffmpeg (strerror in its stderr) and SQLite say it.
FULL_WORDS = ("No space left on device", "Disk quota exceeded", "database or disk is full")


def disk_full(error: BaseException | None) -> bool:
    """Whether `error`, or what caused it, says the disk is full (an OSError, ffmpeg's or
    SQLite's words for it)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DiskFull):
            return True
        if isinstance(error, OSError) and error.errno in FULL_ERRNOS:
            return True
        said = f"{error} {getattr(error, 'stderr_tail', '')}"
        if any(words in said for words in FULL_WORDS):
            return True
        error = error.__cause__ or error.__context__
    return False


@contextmanager
def disk_space() -> Iterator[None]:
    """Turn a full disk's OSError into DiskFull (French, retryable); other errors pass."""
    try:
        yield
    except OSError as error:
        if error.errno in FULL_ERRNOS:
            raise DiskFull(DISK_FULL) from error
        raise


@dataclass(frozen=True)
class Stored:
    """What a write produced: its key, size and SHA-256."""

    key: str
    size_bytes: int
    sha256: str


class Storage(Protocol):
    """The operations webradio needs from a store of files."""

    def put_stream(self, prefix: str, stream: IO[bytes], max_bytes: int) -> Stored:
        """Stream `stream` in, name it by content hash under `prefix`, never holding it whole."""
        ...

    def put_file(self, key: str, source: Path) -> Stored:
        """Move a finished local file under `key` atomically."""
        ...

    def local_path(self, key: str) -> Path:
        """A local path to read `key` from (ffmpeg and send_file need one)."""
        ...

    def exists(self, key: str) -> bool:
        """True when `key` is stored."""
        ...

    def delete(self, key: str) -> None:
        """Remove `key` if present."""
        ...

    def scratch_dir(self) -> Path:
        """A folder on the same disk for temporary files."""
        ...


# A temporary file nothing has written to for this long was left by a crash (an upload or a
# render in progress writes continuously; tus uploads keep their own folder and expiry).
LEFTOVER_AFTER_S = 6 * 3600


def remove_leftovers(scratch: Path, feeds_root: Path, now: float | None = None) -> int:
    """Remove temporary files a crash left: files directly in the scratch folder, and the
    `.<name>.<random>.tmp` files written beside public files, older than LEFTOVER_AFTER_S.
    Returns how many were removed."""
    moment = time.time() if now is None else now
    found = [p for p in scratch.glob("*") if p.is_file()] if scratch.is_dir() else []
    found += feeds_root.rglob(".*.tmp") if feeds_root.is_dir() else []
    removed = 0
    for path in found:
        try:
            if moment - path.lstat().st_mtime > LEFTOVER_AFTER_S:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def scratch_file(store: Storage, name: str) -> Path:
    """A path of its own in the scratch folder for `name` ("<episode>-reedit.mp3"): two
    renders or re-edits of one episode at once (a job run twice) never write the same file."""
    named = Path(name)
    return store.scratch_dir() / f"{named.stem}-{os.urandom(6).hex()}{named.suffix}"


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class LocalStorage:
    """Files under one folder on local disk (the embedded default, `media/`)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def scratch_dir(self) -> Path:
        """A temporary folder inside the root, so renames stay atomic."""
        path = self.root / ".tmp"
        path.mkdir(exist_ok=True)
        return path

    def local_path(self, key: str) -> Path:
        """The file for `key`; keys never climb out of the root."""
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise WebradioError(N_("Chemin de fichier refusé."))
        return path

    def put_stream(self, prefix: str, stream: IO[bytes], max_bytes: int) -> Stored:
        """Copy `stream` to a temp file while hashing, then rename it to prefix/<sha256>."""
        digest = hashlib.sha256()
        size = 0
        with disk_space():
            fd, tmp_name = tempfile.mkstemp(dir=self.scratch_dir())
        tmp = Path(tmp_name)
        try:
            with disk_space(), os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise UploadTooLarge(
                            N_("Le fichier dépasse la taille maximale de %(mb)d Mo."),
                            mb=max_bytes // (1024 * 1024),
                        )
                    digest.update(chunk)
                    out.write(chunk)
            key = f"{prefix}/{digest.hexdigest()}"
            target = self.local_path(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
            return Stored(key, size, digest.hexdigest())
        finally:
            tmp.unlink(missing_ok=True)

    def put_file(self, key: str, source: Path) -> Stored:
        """Move `source` to `key` (same disk: a rename; otherwise a copy then a rename)."""
        target = self.local_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = sha256_of(source)
        size = source.stat().st_size
        try:
            os.replace(source, target)
        except OSError:
            with disk_space():
                shutil.copyfile(source, target.with_suffix(".part"))
            os.replace(target.with_suffix(".part"), target)
            source.unlink()
        return Stored(key, size, digest)

    def exists(self, key: str) -> bool:
        """True when the file exists."""
        return self.local_path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the file if present."""
        self.local_path(key).unlink(missing_ok=True)


BACKENDS: dict[str, type[LocalStorage]] = {"local": LocalStorage}


def open_storage(name: str, media_root: str) -> Storage:
    """The storage backend called `name`, or an error listing the choices."""
    try:
        backend = BACKENDS[name]
    except KeyError:
        raise WebradioError(
            N_("Stockage inconnu « %(name)s » ; choix possibles : %(choices)s."),
            name=name,
            choices=", ".join(BACKENDS),
        ) from None
    return backend(media_root)

"""Resumable uploads (tus 1.0.0) on disk: a file that grows chunk by chunk, with who owns it.

Each upload is two files in the storage's scratch folder, `envois/<id>.part` (the bytes so far)
and `envois/<id>.json` (its length, metadata, owner, expiry, and the take once complete). The
web layer (webradio.web.tus) speaks the protocol; this module keeps the bytes and the rules:
offsets must match, nothing past the declared length, one writer at a time, and uploads left
unfinished are removed after UPLOAD_EXPIRY_HOURS without activity.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

from flask import current_app

from webradio import runtime
from webradio.errors import N_, NotFound, WebradioError
from webradio.storage import disk_space

CHUNK = 256 * 1024
DEFAULT_EXPIRY_HOURS = 24
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
GONE = N_(
    "Cet envoi n’existe plus (terminé ou abandonné depuis trop longtemps). Renvoyez le fichier."
)
LOCKED = N_("Cet envoi est déjà en cours ; réessayez dans un instant.")


class OffsetMismatch(WebradioError):
    """The client's offset is not where the upload stands (tus: 409 Conflict)."""

    http_status = 409


class UploadLocked(WebradioError):
    """Another request is writing to this upload right now (tus: 423 Locked)."""

    http_status = 423


class UploadRefused(WebradioError):
    """A request the protocol refuses (bad length, too many bytes)."""

    http_status = 400


@dataclass
class Upload:
    """One resumable upload: what was declared, who may continue it, and how it ended."""

    id: str
    length: int
    owner: dict[str, str | None]
    metadata: dict[str, str] = field(default_factory=dict)
    expires: float = 0.0  # epoch seconds
    take_id: str | None = None
    duplicate: bool = False


def folder() -> Path:
    """Where uploads in progress live (on the storage's disk, so the end is a rename)."""
    path = runtime.storage().scratch_dir() / "envois"
    path.mkdir(exist_ok=True)
    return path


def max_bytes() -> int:
    """The largest upload accepted (the same limit as a plain upload)."""
    return int(current_app.config["MAX_CONTENT_LENGTH"])


def expiry_s() -> float:
    """How long an upload may stay without activity before it is removed."""
    hours = float(current_app.config.get("UPLOAD_EXPIRY_HOURS", DEFAULT_EXPIRY_HOURS))
    return hours * 3600.0


def _info_path(upload_id: str) -> Path:
    return folder() / f"{upload_id}.json"


def data_path(upload_id: str) -> Path:
    """The bytes received so far."""
    return folder() / f"{upload_id}.part"


def _save(upload: Upload) -> None:
    """Write the upload's description atomically."""
    target = _info_path(upload.id)
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(upload)), encoding="utf-8")
    os.replace(tmp, target)


EMPTY = N_(
    "Ce fichier est vide : il n’y a rien à envoyer. Choisissez-en un autre ou enregistrez "
    "à nouveau."
)


def create(length: int, metadata: dict[str, str], owner: dict[str, str | None]) -> Upload:
    """Start an upload of `length` bytes (refused past the size limit); removes expired ones."""
    if length < 0:
        raise UploadRefused(N_("Taille d’envoi invalide."))
    if length == 0:
        # tus allows it, but a take cannot be empty (and tus-js-client would call it a success).
        raise UploadRefused(EMPTY)
    if length > max_bytes():
        from webradio.storage import UploadTooLarge

        raise UploadTooLarge(
            N_("Le fichier dépasse la taille maximale de %(mb)d Mo."),
            mb=max_bytes() // (1024 * 1024),
        )
    remove_expired()
    upload = Upload(
        id=secrets.token_hex(16),
        length=length,
        owner=owner,
        metadata=metadata,
        expires=time.time() + expiry_s(),
    )
    with disk_space():
        data_path(upload.id).touch()
        _save(upload)
    return upload


def load(upload_id: str) -> Upload:
    """The upload with this id, or NotFound (unknown, expired or removed)."""
    if not UPLOAD_ID.match(upload_id):
        raise NotFound(GONE)
    try:
        raw = json.loads(_info_path(upload_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotFound(GONE) from None
    upload = Upload(**raw)
    if upload.expires < time.time():
        delete(upload)
        raise NotFound(GONE)
    return upload


def offset(upload: Upload) -> int:
    """How many bytes the server holds (the whole length once the take is made)."""
    if upload.take_id is not None:
        return upload.length
    try:
        return data_path(upload.id).stat().st_size
    except OSError:
        return 0


@contextmanager
def writing(upload: Upload) -> Iterator[None]:
    """Hold the upload for one writer; a second one at the same time gets UploadLocked."""
    lock = folder() / f"{upload.id}.lock"
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploadLocked(LOCKED) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def append(
    upload: Upload,
    at: int,
    stream: IO[bytes],
    complete: Callable[[Upload], tuple[str, bool]] | None = None,
) -> int:
    """Add the bytes of `stream` at offset `at` (which must be where the upload stands); keep
    what arrived even if the connection breaks. When the last byte is in, `complete(upload)`
    makes the take (still holding the upload, so it runs once) and returns (take id, duplicate).
    The new offset. On a full disk, DiskFull: what was written stays, and HEAD says where."""
    with writing(upload):
        fresh = load(upload.id)  # another request may have finished it meanwhile
        upload.take_id, upload.duplicate = fresh.take_id, fresh.duplicate
        current = offset(upload)
        if at != current or upload.take_id is not None:
            raise OffsetMismatch(
                N_("Décalage inattendu : le serveur a reçu %(offset)d octets."), offset=current
            )
        room = upload.length - current
        with disk_space(), data_path(upload.id).open("ab") as out:
            try:
                while chunk := stream.read(CHUNK):
                    if len(chunk) > room:
                        raise UploadRefused(N_("L’envoi dépasse la taille annoncée."))
                    out.write(chunk)
                    out.flush()
                    room -= len(chunk)
            finally:
                out.flush()
        upload.expires = time.time() + expiry_s()
        with disk_space():
            _save(upload)
        _complete(upload, complete)
        return offset(upload)


def finish(upload: Upload, complete: Callable[[Upload], tuple[str, bool]]) -> None:
    """Make the take of an upload whose bytes all arrived but whose take could not be made then
    (a full disk): asked again by HEAD, so that a page never sees a whole upload without its
    take (tus-js-client would call it a success and forget the recording)."""
    if upload.take_id is not None or offset(upload) != upload.length:
        return
    with writing(upload):
        fresh = load(upload.id)
        upload.take_id, upload.duplicate = fresh.take_id, fresh.duplicate
        _complete(upload, complete)


def _complete(upload: Upload, complete: Callable[[Upload], tuple[str, bool]] | None) -> None:
    """Make the take once the last byte is in (the caller holds the upload)."""
    if complete is not None and upload.take_id is None and offset(upload) == upload.length:
        take_id, duplicate = complete(upload)
        finished(upload, take_id, duplicate)


def finished(upload: Upload, take_id: str, duplicate: bool) -> None:
    """Remember the take the complete upload became; its bytes are no longer needed."""
    upload.take_id = take_id
    upload.duplicate = duplicate
    _save(upload)
    data_path(upload.id).unlink(missing_ok=True)


def delete(upload: Upload) -> None:
    """Remove an upload and its bytes (tus termination, or expiry)."""
    for path in (data_path(upload.id), _info_path(upload.id), folder() / f"{upload.id}.lock"):
        path.unlink(missing_ok=True)


def remove_expired(now: float | None = None) -> int:
    """Remove uploads past their expiry (abandoned); how many were removed."""
    moment = time.time() if now is None else now
    removed = 0
    for info in folder().glob("*.json"):
        try:
            raw = json.loads(info.read_text(encoding="utf-8"))
            expires = float(raw["expires"])
        except (OSError, ValueError, KeyError, TypeError):
            expires = info.stat().st_mtime + expiry_s() if info.exists() else 0.0
        if expires < moment:
            delete(Upload(id=info.stem, length=0, owner={}))
            removed += 1
    return removed

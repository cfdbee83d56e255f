"""Opaque, short, stable identifiers for rows and URLs."""

from __future__ import annotations

import secrets

_ALPHABET = "abcdefghijkmnopqrstuvwxyz23456789"  # no l, 0, 1: read aloud from a tablet


def new_id(length: int = 10) -> str:
    """A random id of `length` characters, unambiguous when read or typed."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_token() -> str:
    """An unguessable token for secret URLs (family feeds)."""
    return secrets.token_urlsafe(24)

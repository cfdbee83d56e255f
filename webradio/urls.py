"""The public addresses, built from WEBRADIO_BASE_URL; the web routes answer exactly these."""

from __future__ import annotations

from flask import current_app


def base() -> str:
    """The public base address, without a trailing slash."""
    return str(current_app.config["BASE_URL"])


def school_page(slug: str) -> str:
    """The school's radio page."""
    return f"{base()}/radio/{slug}/"


def feed(slug: str) -> str:
    """The school's public feed (a static file under feeds/)."""
    return f"{base()}/feeds/{slug}.xml"


def consent_page(slug: str) -> str:
    """The school's consent and privacy page."""
    return f"{base()}/radio/{slug}/confidentialite"


def artwork(slug: str, key: str) -> str:
    """The school's artwork; the file name changes with its bytes."""
    return f"{base()}/radio/{slug}/{key.rsplit('/', 1)[-1]}"


def episode_page(slug: str, episode_id: str) -> str:
    """An episode's public page."""
    return f"{base()}/radio/{slug}/episodes/{episode_id}"


def media(episode_id: str, media_key: str) -> str:
    """An episode's master MP3; the name is its content hash, so it changes with the bytes."""
    return f"{base()}/media/{episode_id}/{media_key.rsplit('/', 1)[-1]}"


def embed(episode_id: str) -> str:
    """An episode's embeddable player."""
    return f"{base()}/embed/{episode_id}"

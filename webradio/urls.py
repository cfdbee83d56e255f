"""The public addresses, built from WEBRADIO_BASE_URL; the web routes answer exactly these."""

from __future__ import annotations

from urllib.parse import urlencode

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


def media_name(media_key: str) -> str:
    """The versioned file name of a master (its content hash and `.mp3`)."""
    return media_key.rsplit("/", 1)[-1]


def chapters(episode_id: str) -> str:
    """An episode's Podcasting 2.0 chapters (JSON), for public channels."""
    return f"{base()}/media/{episode_id}/chapitres.json"


def transcript(episode_id: str, extension: str = "vtt") -> str:
    """An episode's transcript (WebVTT, or plain text), for public channels."""
    return f"{base()}/media/{episode_id}/transcription.{extension}"


def oembed(page_url: str | None = None) -> str:
    """The oEmbed endpoint, or its discovery address for one page."""
    if page_url is None:
        return f"{base()}/oembed"
    return f"{base()}/oembed?{urlencode({'url': page_url, 'format': 'json'})}"


def family_home(token: str) -> str:
    """A family's private page (the token is the secret in the path)."""
    return f"{base()}/familles/{token}/"


def family_feed(token: str) -> str:
    """A family's private feed."""
    return f"{base()}/familles/{token}/flux.xml"


def family_media(token: str, episode_id: str, media_key: str) -> str:
    """An episode's master reached through a family token."""
    return f"{base()}/familles/{token}/media/{episode_id}/{media_name(media_key)}"


def family_chapters(token: str, episode_id: str) -> str:
    """An episode's chapters reached through a family token."""
    return f"{base()}/familles/{token}/media/{episode_id}/chapitres.json"


def family_transcript(token: str, episode_id: str, extension: str = "vtt") -> str:
    """An episode's transcript reached through a family token."""
    return f"{base()}/familles/{token}/media/{episode_id}/transcription.{extension}"


def city_feed() -> str:
    """The city-wide feed of the episodes schools shared with the city (never a school slug)."""
    return f"{base()}/feeds/ville/flux.xml"


def city_widget() -> str:
    """The latest-episodes widget the city website embeds in an iframe."""
    return f"{base()}/ville/widget"


def city_artwork(key: str) -> str:
    """The city feed's artwork."""
    return f"{base()}/ville/{key.rsplit('/', 1)[-1]}"

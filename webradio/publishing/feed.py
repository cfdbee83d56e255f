"""Podcast RSS 2.0 feeds from plain values; the only module (with podcast_ns) that knows feedgen."""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from feedgen.feed import FeedGenerator
from feedgen.util import xml_fromstring

from webradio.errors import N_, WebradioError
from webradio.publishing import podcast_ns

PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
MEDIA_TYPE = "audio/mpeg"
ARTWORK_SUFFIXES = (".png", ".jpg")
DESCRIPTION_MAX_BYTES = 4000  # Apple's limit for channel and item descriptions
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# Characters XML 1.0 forbids; lxml refuses them, so one stray paste would break the whole feed.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class FeedError(WebradioError):
    """The values given cannot make a conformant feed (a bug of the caller, not of a person)."""

    http_status = 500


@dataclass(frozen=True)
class FeedChannel:
    """Everything the channel of one feed shows; `last_build` makes the bytes reproducible."""

    feed_url: str
    site_url: str
    title: str
    description: str
    author: str
    copyright: str
    podcast_guid: str
    artwork_url: str
    consent_url: str
    last_build: datetime
    language: str = "fr"
    category: tuple[str, str] = ("Kids & Family", "Education for Kids")
    blocked: bool = True
    owner_email: str | None = None
    license: str = "CC-BY-NC-ND-4.0"
    new_feed_url: str | None = None


@dataclass(frozen=True)
class FeedItem:
    """One episode as a feed shows it, cleared for `audience` until `authorised_until`."""

    guid: str
    title: str
    description: str
    page_url: str
    media_url: str
    media_length: int
    duration_s: float
    published_at: datetime
    audience: str
    authorised_until: date | None
    chapters_url: str | None = None
    transcript_url: str | None = None
    transcript_type: str = "text/vtt"


def podcast_guid_for(feed_url: str) -> str:
    """The podcast:guid of a feed URL (UUIDv5 of the URL without scheme and trailing slashes)."""
    name = _SCHEME.sub("", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, name))


def render_feed(channel: FeedChannel, items: Sequence[FeedItem]) -> bytes:
    """Render the RSS document; the same values always give the same bytes."""
    _check_channel(channel)
    ordered = newest_first(items)
    fg = _channel_generator(channel)
    for item in ordered:
        _add_item(fg, item)
    try:
        body: bytes = fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=False)
    except ValueError as error:
        raise FeedError(
            N_("Le flux n'a pas pu être écrit : %(detail)s"), detail=str(error)
        ) from error
    data = XML_DECLARATION + body
    _check_site_link(data, channel.site_url)
    return data


def write_feed(path: Path, data: bytes) -> bool:
    """Atomically replace `path` with `data`; False, file untouched, when the bytes are the same."""
    previous = 0.0
    try:
        if path.read_bytes() == data:
            return False
        stat = path.stat()
        mode, previous = stat.st_mode & 0o777, stat.st_mtime
    except FileNotFoundError:
        mode = 0o644
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(mode)
        # Last-Modified has a one-second grain: a rewrite within the second of the previous
        # one still gets a later date, or a cache revalidating with If-Modified-Since would
        # keep what changed (a withdrawn item).
        stamp = max(time.time(), math.floor(previous) + 1.0)
        os.utime(tmp, (stamp, stamp))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)
    return True


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable; some filesystems cannot open a directory, which is harmless."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _channel_generator(channel: FeedChannel) -> Any:
    """A FeedGenerator holding the channel, with feedgen's traps avoided."""
    fg = FeedGenerator()
    fg.load_extension("podcast")
    podcast_ns.register(fg)
    # F5: feedgen's RSS <link> is the last link added, so rel=self goes first.
    fg.link(href=channel.feed_url, rel="self", type="application/rss+xml")
    fg.link(href=channel.site_url, rel="alternate")
    fg.title(_clean(channel.title))
    fg.description(_clean_description(channel.description))
    fg.language(channel.language)
    fg.copyright(_clean(channel.copyright))
    fg.image(url=channel.artwork_url, title=_clean(channel.title), link=channel.site_url)
    # F6: no injected now(), no docs/generator noise.
    fg.lastBuildDate(_utc(channel.last_build))
    fg.generator("")
    fg.docs("")

    itunes = fg.podcast
    itunes.itunes_author(_clean(channel.author))
    category, subcategory = channel.category
    itunes.itunes_category({"cat": category, "sub": subcategory})
    itunes.itunes_image(channel.artwork_url)
    if itunes.itunes_image() != channel.artwork_url:  # F2: feedgen drops bad URLs silently
        raise FeedError(
            N_("L'image du flux n'a pas été acceptée : %(url)s"), url=channel.artwork_url
        )
    if channel.new_feed_url:
        itunes.itunes_new_feed_url(channel.new_feed_url)
    owner = channel.owner_email if not channel.blocked else None
    if owner:
        itunes.itunes_owner(name=_clean(channel.author), email=owner)

    podcast_ns.set_channel_tags(
        fg,
        podcast_ns.ChannelTags(
            podcast_guid=channel.podcast_guid,
            license=channel.license,
            consent_url=channel.consent_url,
            blocked=channel.blocked,
            locked_owner=owner,
        ),
    )
    return fg


def _add_item(fg: Any, item: FeedItem) -> None:
    """Append one <item> (F7: append, the caller has sorted)."""
    _check_item(item)
    fe = fg.add_entry(order="append")
    fe.title(_clean(item.title))
    fe.link(href=item.page_url)
    description = _clean_description(item.description)
    if description:
        fe.description(description)
    fe.guid(item.guid, permalink=False)
    # F4: always the exact byte length, never feedgen's "None".
    fe.enclosure(item.media_url, str(item.media_length), MEDIA_TYPE)
    fe.pubDate(_utc(item.published_at))
    fe.podcast.itunes_duration(round(item.duration_s))
    podcast_ns.set_item_tags(
        fe,
        podcast_ns.ItemTags(
            audience=item.audience,
            authorised_until=item.authorised_until,
            chapters_url=item.chapters_url,
            transcript_url=item.transcript_url,
            transcript_type=item.transcript_type,
        ),
    )


def shown_items(items: Sequence[FeedItem]) -> list[FeedItem]:
    """The items as the feed shows them (checked, newest first, titles and descriptions
    cleaned), for the feed's readable page: it says what the feed says, in the same order."""
    for item in items:
        _check_item(item)
    return [
        replace(
            item,
            title=_clean(item.title),
            description=_clean_description(item.description),
        )
        for item in newest_first(items)
    ]


def newest_first(items: Sequence[FeedItem]) -> list[FeedItem]:
    """Items by publication date, newest first; the guid breaks ties so the order is stable."""
    guids = [item.guid for item in items]
    if len(set(guids)) != len(guids):
        raise FeedError(N_("Deux épisodes du flux ont le même identifiant."))
    media = [item.media_url for item in items]
    if len(set(media)) != len(media):
        # Apple ignores an enclosure URL it has already seen.
        raise FeedError(N_("Deux épisodes du flux ont le même fichier audio."))
    return sorted(items, key=lambda item: (_utc(item.published_at), item.guid), reverse=True)


def _check_channel(channel: FeedChannel) -> None:
    """Refuse values that would give a feed directories reject."""
    if not channel.artwork_url.endswith(ARTWORK_SUFFIXES):
        raise FeedError(
            N_("L'image du flux doit être un .png ou un .jpg : %(url)s"), url=channel.artwork_url
        )
    if channel.feed_url == channel.site_url:
        raise FeedError(N_("Le lien du flux doit être la page de la radio, pas le flux lui-même."))
    for field in ("title", "description", "author"):
        if not _clean(getattr(channel, field)):
            raise FeedError(N_("Le flux n'a pas de %(field)s."), field=field)


def _check_item(item: FeedItem) -> None:
    """Refuse an item that clients would drop or misread."""
    if not _clean(item.title):
        raise FeedError(N_("Un épisode du flux n'a pas de titre : %(guid)s"), guid=item.guid)
    if not item.media_url.isascii() or not item.media_url.endswith(".mp3"):
        raise FeedError(
            N_("Le fichier audio doit avoir une adresse ASCII en .mp3 : %(url)s"),
            url=item.media_url,
        )
    if isinstance(item.media_length, bool) or item.media_length <= 0:
        raise FeedError(
            N_("La taille du fichier audio est invalide : %(length)s"), length=item.media_length
        )
    if item.duration_s < 0:
        raise FeedError(N_("La durée de l'épisode est invalide : %(guid)s"), guid=item.guid)


def _check_site_link(data: bytes, site_url: str) -> None:
    """F5 guard: the RSS <link> of the channel must be the radio's page."""
    link = xml_fromstring(data).findtext("channel/link")
    if link != site_url:
        raise FeedError(N_("Le lien du flux n'est pas la page de la radio : %(link)s"), link=link)


def _utc(moment: datetime) -> datetime:
    """The same instant in UTC, so the bytes do not depend on the caller's time zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise FeedError(N_("Date sans fuseau horaire dans le flux : %(date)s"), date=moment)
    return moment.astimezone(UTC)


def _clean(text: str) -> str:
    """Plain text without XML-illegal characters nor surrounding spaces (PSP-1)."""
    return _XML_ILLEGAL.sub("", text).strip()


def _clean_description(text: str) -> str:
    """Cleaned text cut to Apple's 4000 bytes, on a character boundary."""
    cleaned = _clean(text)
    encoded = cleaned.encode("utf-8")
    if len(encoded) <= DESCRIPTION_MAX_BYTES:
        return cleaned
    cut = encoded[: DESCRIPTION_MAX_BYTES - len("…".encode())].decode("utf-8", errors="ignore")
    return cut.rstrip() + "…"

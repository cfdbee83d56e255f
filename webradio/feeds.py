"""Rewrite the static feed files (public, family, city), each with its readable page beside it,
from what the gate clears now."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from flask import current_app, render_template

from webradio import clearance, runtime, urls
from webradio.clock import aware
from webradio.consent import Audience, Clearance
from webradio.models import Episode, EpisodeState, Organisation, School
from webradio.publishing.apps import app_links
from webradio.publishing.artwork import default_artwork
from webradio.publishing.companions import chapter_marks, transcript_of
from webradio.publishing.feed import (
    FeedChannel,
    FeedItem,
    podcast_guid_for,
    render_feed,
    shown_items,
    write_feed,
)
from webradio.site import Output, earliest, fingerprint, render_version

Listed = list[tuple[Episode, Clearance]]

# Family feeds are stored once per school with this slot where each family's token goes; the
# app fills it in when it serves the feed (urlsafe tokens never contain underscores twice).
FAMILY_TOKEN_SLOT = "__jeton__"
PRIVATE_DIR = "private"  # never served as is: a proxy must deny it (README)
CITY_DIR = "ville"
GZIP_LEVEL = 9


def ensure_artwork(school: School) -> str:
    """The school's artwork key: its own, else the default square PNG bearing its name
    (stored once under a name made from its bytes; nothing is written to the database)."""
    store = runtime.storage()
    if school.artwork_key and store.exists(school.artwork_key):
        return school.artwork_key
    return _store_default_artwork(f"artwork/{school.id}", school.name)


def _store_default_artwork(prefix: str, name: str) -> str:
    """Store the default artwork for `name` under `prefix` (once: the name is its hash)."""
    store = runtime.storage()
    data = default_artwork(name)
    key = f"{prefix}/cover-{hashlib.sha256(data).hexdigest()[:12]}.png"
    if not store.exists(key):
        with tempfile.NamedTemporaryFile(dir=store.scratch_dir(), delete=False) as handle:
            handle.write(data)
        store.put_file(key, Path(handle.name))
    return key


def feed_item(
    episode: Episode,
    cleared: Clearance,
    audience: str,
    media_url: str,
    chapters_url: str,
    transcript_url: Callable[[str], str],
) -> FeedItem:
    """One published episode as a feed item, with the addresses of the channel it is in."""
    assert episode.media_key and episode.media_size and episode.published_at
    transcript = transcript_of(episode.transcript)
    return FeedItem(
        guid=episode.guid,
        title=episode.title,
        description=episode.description or episode.title,
        page_url=urls.episode_page(episode.school.slug, episode.id),
        media_url=media_url,
        media_length=episode.media_size,
        duration_s=episode.duration_s or 0.0,
        published_at=aware(episode.published_at),
        audience=cleared.audiences[-1] if cleared.audiences else audience,
        authorised_until=cleared.authorised_until,
        chapters_url=chapters_url if chapter_marks(episode.chapters_json) else None,
        transcript_url=transcript_url(transcript.extension) if transcript else None,
        transcript_type=transcript.media_type if transcript else "text/vtt",
    )


def public_item(episode: Episode, cleared: Clearance, audience: str) -> FeedItem:
    """An item of a public channel (school feed or city feed)."""
    assert episode.media_key
    return feed_item(
        episode,
        cleared,
        audience,
        urls.media(episode.id, episode.media_key),
        urls.chapters(episode.id),
        lambda ext: urls.transcript(episode.id, ext),
    )


def family_item(episode: Episode, cleared: Clearance) -> FeedItem:
    """An item of a family feed: its files are reached through the family's token."""
    assert episode.media_key
    slot = FAMILY_TOKEN_SLOT
    item = feed_item(
        episode,
        cleared,
        "families",
        urls.family_media(slot, episode.id, episode.media_key),
        urls.family_chapters(slot, episode.id),
        lambda ext: urls.family_transcript(slot, episode.id, ext),
    )
    if cleared.allows(Audience.PUBLIC):
        return item
    # A family-only episode has no public page: the item links the family's own page.
    return replace(item, page_url=urls.family_home(slot) + f"#e-{episode.id}")


def _last_build(stamps: Iterable[datetime]) -> datetime:
    """The latest change among what the feed shows (so an unchanged feed keeps its bytes)."""
    return aware(max(stamps))


def _school_channel(school: School, **values: object) -> FeedChannel:
    """The channel values every feed of a school shares."""
    defaults: dict[str, object] = dict(
        feed_url=urls.feed(school.slug),
        site_url=urls.school_page(school.slug),
        title=school.name,
        description=school.description or f"{school.name} : la webradio de l’école.",
        author=school.name,
        copyright=f"© {school.name}",
        podcast_guid=school.podcast_guid,
        artwork_url=urls.artwork(school.slug, ensure_artwork(school)),
        consent_url=urls.consent_page(school.slug),
    )
    defaults.update(values)
    return FeedChannel(**defaults)  # type: ignore[arg-type]


def moved_to(feed_url: str) -> str | None:
    """`itunes:new-feed-url` only when the instance moved (WEBRADIO_FORMER_BASE_URL is set)."""
    return feed_url if current_app.config.get("FORMER_BASE_URL") else None


def shown_in(school: School, audience: str, listed: Listed | None = None) -> Listed:
    """The school's episodes shown to `audience` now, newest first (from `listed`, the school's
    listing the after-commit step loaded once, or asked of the gate)."""
    if listed is None:
        return clearance.shown_to(school, audience)
    return [(e, c) for e, c in listed if e.state == EpisodeState.PUBLISHED and c.allows(audience)]


def public_audience(school: School) -> str:
    """The audience of the school's public feed: directories only for schools that opted in."""
    return Audience.DIRECTORIES if school.directories_opt_in else Audience.PUBLIC


@dataclass(frozen=True)
class Feed:
    """One feed's channel and items: its XML and its readable page are both made from these,
    so the page never shows more than the feed. `kind` says whose feed it is: "school",
    "family" (reached through a family's token) or "city"."""

    channel: FeedChannel
    items: list[FeedItem]
    kind: str

    def xml(self) -> bytes:
        """The RSS document."""
        return render_feed(self.channel, self.items)


def public_feed(school: School, listed: Listed | None = None) -> bytes:
    """The school's public feed: directory-listed only for schools that opted in."""
    return public_values(school, listed).xml()


def public_values(school: School, listed: Listed | None = None) -> Feed:
    """The school's public feed as values."""
    audience = public_audience(school)
    shown = shown_in(school, audience, listed)
    channel = _school_channel(
        school,
        last_build=_last_build([school.updated_at] + [e.updated_at for e, _ in shown]),
        blocked=not school.directories_opt_in,
        owner_email=school.contact_email if school.directories_opt_in else None,
        new_feed_url=moved_to(urls.feed(school.slug)),
    )
    return Feed(channel, [public_item(e, c, audience) for e, c in shown], "school")


def family_feed(school: School, listed: Listed | None = None) -> bytes:
    """The school's family feed, with FAMILY_TOKEN_SLOT where each family's token goes."""
    return family_values(school, listed).xml()


def family_values(school: School, listed: Listed | None = None) -> Feed:
    """The school's family feed as values (FAMILY_TOKEN_SLOT in its addresses)."""
    shown = shown_in(school, Audience.FAMILIES, listed)
    feed_url = urls.family_feed(FAMILY_TOKEN_SLOT)
    channel = _school_channel(
        school,
        feed_url=feed_url,
        site_url=urls.family_home(FAMILY_TOKEN_SLOT),
        title=f"{school.name} (familles)",
        description=f"{school.name} : la webradio de l’école, pour les familles.",
        podcast_guid=podcast_guid_for(feed_url.replace(FAMILY_TOKEN_SLOT, school.slug)),
        last_build=_last_build([school.updated_at] + [e.updated_at for e, _ in shown]),
        blocked=True,
    )
    return Feed(channel, [family_item(e, c) for e, c in shown], "family")


def city_guid(org: Organisation) -> str:
    """The city feed's podcast:guid: stored when the organisation was created (schools)."""
    return org.podcast_guid or podcast_guid_for(urls.city_feed())


def city_episodes() -> list[Episode]:
    """The public episodes the schools chose to share with the city, newest first."""
    return [e for e, _ in clearance.city_listing()]


def city_artwork_key(org: Organisation) -> str:
    """The city feed's generated artwork, bearing the organisation's name."""
    return _store_default_artwork("artwork/city", org.name)


def city_feed(shown: Listed | None = None) -> bytes:
    """The city-wide feed: what schools shared with the city, blocked from directories."""
    return city_values(shown).xml()


def city_values(shown: Listed | None = None) -> Feed:
    """The city-wide feed as values."""
    from webradio.schools import default_organisation

    org = default_organisation()
    shown = clearance.city_listing() if shown is None else shown
    channel = FeedChannel(
        feed_url=urls.city_feed(),
        site_url=urls.city_widget(),
        title=f"Les webradios des écoles — {org.name}",
        description=f"Les émissions que les écoles de {org.name} partagent avec la ville.",
        author=org.name,
        copyright=f"© {org.name}",
        podcast_guid=city_guid(org),
        artwork_url=urls.city_artwork(city_artwork_key(org)),
        consent_url=urls.city_widget(),
        last_build=_last_build([org.created_at] + [e.updated_at for e, _ in shown]),
        blocked=True,
        new_feed_url=moved_to(urls.city_feed()),
    )
    return Feed(channel, [public_item(e, c, Audience.PUBLIC) for e, c in shown], "city")


def feed_path(school: School) -> Path:
    """Where the school's public feed is written (served as /feeds/SLUG.xml)."""
    return runtime.feeds_root() / f"{school.slug}.xml"


def family_feed_path(school: School) -> Path:
    """Where the school's family feed template is written (never served as is)."""
    return runtime.feeds_root() / PRIVATE_DIR / "familles" / f"{school.slug}.xml"


def city_feed_path() -> Path:
    """Where the city feed is written (served as /feeds/ville/flux.xml)."""
    return runtime.feeds_root() / CITY_DIR / "flux.xml"


def write_static(path: Path, data: bytes, precompress: bool = True, durable: bool = True) -> bool:
    """Write `data` atomically, and its `.gz` beside it for `gzip_static`; True if it changed.

    `durable=False` leaves the flush to the caller (one `os.sync()` after a thousand pages
    costs what four fsyncs per page would cost for a single one); Last-Modified still only
    grows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write = write_feed if durable else _replace
    changed = write(path, data)
    packed = path.with_name(path.name + ".gz")
    if precompress and (changed or not packed.exists()):
        write(packed, gzip.compress(data, GZIP_LEVEL, mtime=0))
    return changed


def _replace(path: Path, data: bytes) -> bool:
    """Atomically replace `path` with `data` unless it holds them already (no fsync); its
    modification time is always later than the previous one's, by a second at least."""
    previous = 0.0
    try:
        if path.read_bytes() == data:
            return False
        previous = path.stat().st_mtime
    except FileNotFoundError:
        pass
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(name, 0o644)
        stamp = max(time.time(), math.floor(previous) + 1.0)
        os.utime(name, (stamp, stamp))
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise
    return True


def page_beside(feed: str) -> str:
    """Where a feed's readable page is written: beside the feed, `.html` for `.xml` (the app
    and the proxy answer it at the feed's address to a browser)."""
    return feed.removesuffix(".xml") + ".html"


def feed_page(feed: Feed) -> bytes:
    """The feed's readable page: the channel and the items of the feed (never more), with
    its address to copy and links that open podcast apps."""
    channel = feed.channel
    html = render_template(
        "feed_page.html",
        channel=channel,
        items=shown_items(feed.items),
        kind=feed.kind,
        apps=app_links(channel.feed_url, channel.title),
    )
    return html.encode()


def feed_outputs(
    path: Path, feed: Feed, until: date | None, version: str, precompress: bool = True
) -> list[Output]:
    """A feed file and its readable page beside it, with the same expiry; the page is
    rendered only when the feed's bytes (or a template) changed."""
    relative = str(path.relative_to(runtime.feeds_root()))
    data = feed.xml()
    key = fingerprint(version, hashlib.sha256(data).hexdigest())
    return [
        Output(relative, data, until, precompress=precompress),
        Output(
            page_beside(relative),
            until=until,
            precompress=precompress,
            key=key,
            make=lambda: feed_page(feed),
        ),
    ]


def school_outputs(school: School, listed: Listed) -> list[Output]:
    """The school's public and family feed files and their readable pages, each with the
    day it expires.

    Written only by webradio.outputs, after a commit (one mechanism for every output)."""
    public = public_values(school, listed)
    family = family_values(school, listed)
    version = render_version()
    public_until = earliest(c for _, c in shown_in(school, public_audience(school), listed))
    family_until = earliest(c for _, c in shown_in(school, Audience.FAMILIES, listed))
    return [
        *feed_outputs(feed_path(school), public, public_until, version),
        *feed_outputs(family_feed_path(school), family, family_until, version, precompress=False),
    ]


def city_outputs(shown: Listed) -> list[Output]:
    """The city feed file and its readable page (written only by webradio.outputs)."""
    until = earliest(c for _, c in shown)
    return feed_outputs(city_feed_path(), city_values(shown), until, render_version())

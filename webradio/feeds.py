"""Rewrite a school's static feed files from what the gate clears now."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from sqlalchemy import select

from webradio import publication, runtime, urls
from webradio.clock import aware
from webradio.extensions import db
from webradio.models import Episode, School
from webradio.publishing.artwork import default_artwork
from webradio.publishing.feed import FeedChannel, FeedItem, render_feed, write_feed


def ensure_artwork(school: School) -> str:
    """The school's artwork key, generating the default square PNG with its name if none."""
    store = runtime.storage()
    if school.artwork_key and store.exists(school.artwork_key):
        return school.artwork_key
    data = default_artwork(school.name)
    digest = hashlib.sha256(data).hexdigest()[:12]
    with tempfile.NamedTemporaryFile(dir=store.scratch_dir(), delete=False) as handle:
        handle.write(data)
    school.artwork_key = store.put_file(
        f"artwork/{school.id}/cover-{digest}.png", Path(handle.name)
    ).key
    db.session.commit()
    return school.artwork_key


def feed_item(episode: Episode, audience: str) -> FeedItem:
    """One published episode as a feed item."""
    assert episode.media_key and episode.media_size and episode.published_at
    cleared = publication.clearance(episode)
    return FeedItem(
        guid=episode.guid,
        title=episode.title,
        description=episode.description or episode.title,
        page_url=urls.episode_page(episode.school.slug, episode.id),
        media_url=urls.media(episode.id, episode.media_key),
        media_length=episode.media_size,
        duration_s=episode.duration_s or 0.0,
        published_at=aware(episode.published_at),
        audience=cleared.audiences[-1] if cleared.audiences else audience,
        authorised_until=cleared.authorised_until,
    )


def public_feed(school: School) -> bytes:
    """The school's public feed: directory-listed only for schools that opted in."""
    audience = "directories" if school.directories_opt_in else "public"
    episodes = publication.public_episodes(school, audience)
    stamps = [school.updated_at] + [e.updated_at for e in episodes]
    channel = FeedChannel(
        feed_url=urls.feed(school.slug),
        site_url=urls.school_page(school.slug),
        title=school.name,
        description=school.description or f"La webradio de {school.name}",
        author=school.name,
        copyright=f"© {school.name}",
        podcast_guid=school.podcast_guid,
        artwork_url=urls.artwork(school.slug, ensure_artwork(school)),
        consent_url=urls.consent_page(school.slug),
        last_build=aware(max(stamps)),
        blocked=not school.directories_opt_in,
        owner_email=school.contact_email if school.directories_opt_in else None,
    )
    return render_feed(channel, [feed_item(e, audience) for e in episodes])


def feed_path(school: School) -> Path:
    """Where the school's public feed is written."""
    return runtime.feeds_root() / f"{school.slug}.xml"


def rebuild_school(school: School) -> bool:
    """Rewrite the school's feeds; True when the bytes changed."""
    path = feed_path(school)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_feed(path, public_feed(school))


def rebuild_all() -> list[str]:
    """Rewrite every school's feeds; the slugs whose feed changed."""
    schools = db.session.scalars(select(School).order_by(School.slug))
    return [s.slug for s in schools if rebuild_school(s)]

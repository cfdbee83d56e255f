"""Our feedgen extension: what feedgen gets wrong or lacks (itunes fixes, podcast:*, webradio:*)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
WEBRADIO_NS = "https://webradio.education/ns/consent/1.0"
EXTENSION_NAME = "webradio"

CHAPTERS_TYPE = "application/json+chapters"
TRANSCRIPT_TYPE = "text/vtt"


@dataclass(frozen=True)
class ChannelTags:
    """Channel-level values written by the extension, after feedgen's own itunes tags."""

    podcast_guid: str
    license: str
    consent_url: str
    blocked: bool
    locked_owner: str | None = None
    medium: str = "podcast"


@dataclass(frozen=True)
class ItemTags:
    """Item-level values written by the extension, after feedgen's itunes:duration."""

    audience: str
    authorised_until: date | None = None
    chapters_url: str | None = None
    transcript_url: str | None = None
    transcript_type: str = TRANSCRIPT_TYPE


def _text(tag: str, parent: Any, text: str, **attrs: str) -> Any:
    """Append `<tag attrs>text</tag>` to `parent` and return it."""
    element = xml_elem(tag, parent, **attrs)
    element.text = text
    return element


def _namespaces() -> dict[str, str]:
    """Prefixes declared once on <rss>; feedgen merges them into the root nsmap."""
    return {"itunes": ITUNES_NS, "podcast": PODCAST_NS, "webradio": WEBRADIO_NS}


class WebradioExtension(BaseExtension):
    """Channel part; `tags` must be set before the feed is serialised."""

    def __init__(self) -> None:
        self.tags: ChannelTags | None = None

    def extend_ns(self) -> dict[str, str]:
        """Declare the itunes, podcast and webradio prefixes."""
        return _namespaces()

    def extend_rss(self, rss: Any) -> Any:
        """Append the channel tags; the channel is the first child of <rss>."""
        if self.tags is None:
            raise RuntimeError("WebradioExtension.tags was not set before rendering")
        tags = self.tags
        channel = rss[0]
        # F1: feedgen refuses Apple's documented true/false.
        _text(f"{{{ITUNES_NS}}}explicit", channel, "false")
        if tags.blocked:
            # Apple documents the capitalised value; feedgen writes "yes".
            _text(f"{{{ITUNES_NS}}}block", channel, "Yes")
        _text(f"{{{PODCAST_NS}}}guid", channel, tags.podcast_guid)
        locked = {"owner": tags.locked_owner} if tags.locked_owner else {}
        _text(f"{{{PODCAST_NS}}}locked", channel, "yes", **locked)
        if tags.blocked:
            _text(f"{{{PODCAST_NS}}}block", channel, "yes")
        _text(f"{{{PODCAST_NS}}}medium", channel, tags.medium)
        _text(f"{{{PODCAST_NS}}}license", channel, tags.license)
        # A link to the policy only: never names nor a pupil's status.
        xml_elem(f"{{{WEBRADIO_NS}}}consentPolicy", channel, href=tags.consent_url)
        return rss


class WebradioEntryExtension(BaseEntryExtension):
    """Item part; `tags` must be set before the feed is serialised."""

    def __init__(self) -> None:
        self.tags: ItemTags | None = None

    def extend_ns(self) -> dict[str, str]:
        """Declare the itunes, podcast and webradio prefixes."""
        return _namespaces()

    def extend_rss(self, item: Any) -> Any:
        """Append the item tags to <item>."""
        if self.tags is None:
            raise RuntimeError("WebradioEntryExtension.tags was not set before rendering")
        tags = self.tags
        _text(f"{{{ITUNES_NS}}}explicit", item, "false")
        if tags.chapters_url:
            xml_elem(f"{{{PODCAST_NS}}}chapters", item, url=tags.chapters_url, type=CHAPTERS_TYPE)
        if tags.transcript_url:
            xml_elem(
                f"{{{PODCAST_NS}}}transcript",
                item,
                url=tags.transcript_url,
                type=tags.transcript_type,
                language="fr",
            )
        _text(f"{{{WEBRADIO_NS}}}audience", item, tags.audience)
        if tags.authorised_until is not None:
            _text(f"{{{WEBRADIO_NS}}}authorisedUntil", item, tags.authorised_until.isoformat())
        return item


def register(fg: Any) -> None:
    """Register the extension on a FeedGenerator, for RSS only (we never write Atom)."""
    fg.register_extension(
        EXTENSION_NAME, WebradioExtension, WebradioEntryExtension, atom=False, rss=True
    )


def set_channel_tags(fg: Any, tags: ChannelTags) -> None:
    """Give the registered channel extension its values."""
    getattr(fg, EXTENSION_NAME).tags = tags


def set_item_tags(fe: Any, tags: ItemTags) -> None:
    """Give an entry's registered extension its values."""
    getattr(fe, EXTENSION_NAME).tags = tags

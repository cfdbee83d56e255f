"""Independent readers of every golden feed: podcastparser, feedparser and a plain lxml walk."""

from __future__ import annotations

import io
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser
import podcastparser
from lxml import etree

from webradio.publishing.feed import FeedItem, render_feed

from .cases import FeedCase

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "webradio": "https://webradio.education/ns/consent/1.0",
}


def _newest_first(case: FeedCase) -> list[FeedItem]:
    """The order every reader must see."""
    return sorted(case.items, key=lambda item: item.published_at, reverse=True)


def _channel(case: FeedCase) -> Any:
    """The rendered <channel>, parsed by lxml."""
    return etree.fromstring(render_feed(case.channel, case.items)).find("channel")


def test_podcastparser_keeps_every_episode(case: FeedCase) -> None:
    """gPodder's parser: core RSS + iTunes (it ignores podcast:* under the official URI)."""
    data = render_feed(case.channel, case.items)
    parsed = podcastparser.parse(case.channel.feed_url, io.BytesIO(data))
    assert parsed["title"] == case.channel.title
    assert parsed["link"] == case.channel.site_url
    assert parsed["cover_url"] == case.channel.artwork_url
    assert parsed["itunes_categories"] == [list(case.channel.category)]
    assert parsed["explicit"] is False
    episodes = parsed["episodes"]
    assert [episode["guid"] for episode in episodes] == [i.guid for i in _newest_first(case)]
    for episode, item in zip(episodes, _newest_first(case), strict=True):
        assert episode["title"] == item.title
        assert episode["link"] == item.page_url
        assert episode["total_time"] == round(item.duration_s)
        assert episode["published"] == int(item.published_at.timestamp())
        assert episode["explicit"] is False
        assert episode["enclosures"] == [
            {"url": item.media_url, "file_size": item.media_length, "mime_type": "audio/mpeg"}
        ]
    owner = parsed.get("itunes_owner")
    if case.channel.blocked or not case.channel.owner_email:
        assert owner is None
    else:
        assert owner == {"name": case.channel.author, "email": case.channel.owner_email}


def test_feedparser_reads_it_without_complaint(case: FeedCase) -> None:
    """feedparser: well formed (bozo false), and it sees our namespaces by prefix."""
    parsed = feedparser.parse(render_feed(case.channel, case.items))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    feed = parsed.feed
    assert feed.link == case.channel.site_url
    assert feed.language == case.channel.language
    assert feed.image.href == case.channel.artwork_url
    assert feed.podcast_guid == case.channel.podcast_guid
    assert feed.podcast_medium == "podcast"
    assert feed.podcast_license == case.channel.license
    assert feed.webradio_consentpolicy == {"href": case.channel.consent_url}
    self_links = [link.href for link in feed.links if link.rel == "self"]
    assert self_links == [case.channel.feed_url]
    assert len(parsed.entries) == len(case.items)
    for entry, item in zip(parsed.entries, _newest_first(case), strict=True):
        assert entry.id == item.guid
        assert entry.guidislink is False
        assert entry.link == item.page_url
        assert entry.itunes_duration == str(round(item.duration_s))
        assert entry.webradio_audience == item.audience
        assert [(e.href, e.length, e.type) for e in entry.enclosures] == [
            (item.media_url, str(item.media_length), "audio/mpeg")
        ]
        # itunes_explicit is deliberately not asserted: feedparser maps "false" to None.


def test_root_declares_every_namespace(case: FeedCase) -> None:
    """<rss version="2.0"> declares itunes, podcast, atom, content and webradio."""
    data = render_feed(case.channel, case.items)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<rss ')
    root = etree.fromstring(data)
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    assert {prefix: root.nsmap.get(prefix) for prefix in NS} == NS


def test_channel_elements(case: FeedCase) -> None:
    """Checklist C2-C11 on the channel, read back with lxml."""
    channel = _channel(case)
    ch = case.channel
    assert channel.findtext("link") == ch.site_url  # F5: the site, never the feed
    (self_link,) = channel.findall("atom:link", NS)
    assert dict(self_link.attrib) == {
        "href": ch.feed_url,
        "rel": "self",
        "type": "application/rss+xml",
    }
    assert channel.findtext("title") == ch.title
    assert channel.findtext("description") == ch.description
    assert channel.findtext("language") == ch.language
    assert channel.findtext("copyright") == ch.copyright
    assert channel.find("itunes:image", NS).get("href") == ch.artwork_url  # F2
    (category,) = channel.findall("itunes:category", NS)
    assert category.get("text") == ch.category[0]
    assert [sub.get("text") for sub in category] == [ch.category[1]]
    assert [e.text for e in channel.findall("itunes:explicit", NS)] == ["false"]
    assert channel.findtext("itunes:author", namespaces=NS) == ch.author
    assert channel.find("generator") is None
    assert channel.find("docs") is None
    last_build = parsedate_to_datetime(channel.findtext("lastBuildDate"))
    assert last_build == ch.last_build

    assert [e.text for e in channel.findall("podcast:guid", NS)] == [ch.podcast_guid]
    assert [e.text for e in channel.findall("podcast:medium", NS)] == ["podcast"]
    assert [e.text for e in channel.findall("podcast:license", NS)] == [ch.license]
    (locked,) = channel.findall("podcast:locked", NS)
    assert locked.text == "yes"
    (policy,) = channel.findall("webradio:consentPolicy", NS)
    assert dict(policy.attrib) == {"href": ch.consent_url}
    assert policy.text is None and len(policy) == 0

    new_feed = channel.findtext("itunes:new-feed-url", namespaces=NS)
    assert new_feed == ch.new_feed_url


def test_blocking_and_owner(case: FeedCase) -> None:
    """A blocked feed says so twice and never shows an e-mail; an open one names its owner."""
    channel = _channel(case)
    ch = case.channel
    itunes_block = [e.text for e in channel.findall("itunes:block", NS)]
    podcast_block = [(e.text, dict(e.attrib)) for e in channel.findall("podcast:block", NS)]
    locked = channel.find("podcast:locked", NS)
    emails = channel.findall(".//itunes:email", NS)
    if ch.blocked:
        assert itunes_block == ["Yes"]
        assert podcast_block == [("yes", {})]
        assert channel.find("itunes:owner", NS) is None
        assert emails == []
        assert "owner" not in locked.attrib
    else:
        assert itunes_block == []
        assert podcast_block == []
        if ch.owner_email:
            assert [e.text for e in emails] == [ch.owner_email]
            assert channel.findtext("itunes:owner/itunes:name", namespaces=NS) == ch.author
            assert locked.get("owner") == ch.owner_email
        else:
            assert emails == []
            assert "owner" not in locked.attrib


def test_item_elements(case: FeedCase) -> None:
    """Checklist I1-I6 and the webradio consent fields on every item."""
    items = _channel(case).findall("item")
    assert len(items) == len(case.items)
    for element, item in zip(items, _newest_first(case), strict=True):
        assert element.findtext("title") == item.title
        assert element.findtext("link") == item.page_url
        assert element.findtext("description") == item.description
        guid = element.find("guid")
        assert (guid.text, guid.get("isPermaLink")) == (item.guid, "false")
        (enclosure,) = element.findall("enclosure")
        assert dict(enclosure.attrib) == {
            "url": item.media_url,
            "length": str(item.media_length),
            "type": "audio/mpeg",
        }
        assert parsedate_to_datetime(element.findtext("pubDate")) == item.published_at
        assert element.findtext("itunes:duration", namespaces=NS) == str(round(item.duration_s))
        assert [e.text for e in element.findall("itunes:explicit", NS)] == ["false"]
        chapters = [dict(e.attrib) for e in element.findall("podcast:chapters", NS)]
        expected_chapters = [{"url": item.chapters_url, "type": "application/json+chapters"}]
        assert chapters == (expected_chapters if item.chapters_url else [])
        transcripts = [dict(e.attrib) for e in element.findall("podcast:transcript", NS)]
        expected_transcripts = [
            {"url": item.transcript_url, "type": item.transcript_type, "language": "fr"}
        ]
        assert transcripts == (expected_transcripts if item.transcript_url else [])
        assert [e.text for e in element.findall("webradio:audience", NS)] == [item.audience]
        until = [e.text for e in element.findall("webradio:authorisedUntil", NS)]
        expected_until = [item.authorised_until.isoformat()] if item.authorised_until else []
        assert until == expected_until


def test_no_attribute_or_text_is_the_string_none(case: FeedCase) -> None:
    """F4 and its cousins: nothing renders as "None"."""
    root = etree.fromstring(render_feed(case.channel, case.items))
    for element in root.iter():
        assert element.text is None or element.text.strip() != "None"
        assert "None" not in element.attrib.values()

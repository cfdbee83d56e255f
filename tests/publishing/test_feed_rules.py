"""podcast:guid, write_feed and the values render_feed refuses or cleans."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from webradio.errors import WebradioError
from webradio.publishing import feed
from webradio.publishing.feed import FeedError, podcast_guid_for, render_feed, write_feed

from .cases import GOLDEN_DIR, FeedCase, load_case


@pytest.fixture
def public() -> FeedCase:
    """The public two-item case."""
    return load_case(GOLDEN_DIR / "public.json")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://podnews.net/rss", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
        ("podnews.net/rss", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
        ("http://podnews.net/rss//", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
        ("https://mp3s.nashownotes.com/pc20rss.xml", "917393e3-1b1e-5cef-ace4-edaa54e1f810"),
    ],
)
def test_podcast_guid_matches_the_spec_examples(url: str, expected: str) -> None:
    """The namespace's two published examples, with and without scheme and trailing slashes."""
    assert podcast_guid_for(url) == expected


def test_write_feed_writes_then_reports_unchanged(tmp_path: Path) -> None:
    """First write True; the same bytes again False with the file untouched; new bytes True."""
    path = tmp_path / "public.xml"
    assert write_feed(path, b"<rss>1</rss>") is True
    assert path.read_bytes() == b"<rss>1</rss>"
    before = path.stat()

    assert write_feed(path, b"<rss>1</rss>") is False
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    assert write_feed(path, b"<rss>2</rss>") is True
    assert path.read_bytes() == b"<rss>2</rss>"
    assert path.stat().st_ino != before.st_ino  # replaced by rename, not rewritten in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public.xml"]


def test_write_feed_keeps_the_old_file_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure mid-way leaves the previous feed whole and no temporary file behind."""
    path = tmp_path / "public.xml"
    write_feed(path, b"<rss>old</rss>")

    def failing_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_feed(path, b"<rss>new</rss>")
    assert path.read_bytes() == b"<rss>old</rss>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public.xml"]


def test_write_feed_temp_file_lives_next_to_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.replace is atomic only within one filesystem, so the temp file shares the folder."""
    seen: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def spying_replace(src: str | Path, dst: str | Path) -> None:
        seen.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spying_replace)
    path = tmp_path / "feed.xml"
    write_feed(path, b"<rss/>")
    ((src, dst),) = seen
    assert src.parent == dst.parent == tmp_path
    assert dst == path


def test_render_then_write_round_trip(tmp_path: Path, public: FeedCase) -> None:
    """A rebuild that changes nothing does not touch the file (ETag stays the same)."""
    path = tmp_path / "public.xml"
    assert write_feed(path, render_feed(public.channel, public.items)) is True
    assert write_feed(path, render_feed(public.channel, public.items)) is False


@pytest.mark.parametrize(
    "artwork_url",
    [
        "https://radio.example.fr/cover.jpeg",
        "https://radio.example.fr/cover.webp",
        "https://radio.example.fr/cover",
    ],
)
def test_artwork_must_be_png_or_jpg(public: FeedCase, artwork_url: str) -> None:
    """F2: feedgen would drop such a URL silently; we refuse it loudly."""
    with pytest.raises(FeedError):
        render_feed(replace(public.channel, artwork_url=artwork_url), public.items)


def test_naive_dates_are_refused(public: FeedCase) -> None:
    """A date without a zone could shift by an hour; refuse rather than guess."""
    naive = datetime(2026, 11, 20, 17, 30)
    with pytest.raises(FeedError):
        render_feed(replace(public.channel, last_build=naive), public.items)
    items = [replace(public.items[0], published_at=naive), public.items[1]]
    with pytest.raises(FeedError):
        render_feed(public.channel, items)


@pytest.mark.parametrize(
    "change",
    [
        {"media_length": 0},
        {"media_url": "https://radio.example.fr/media/école.mp3"},
        {"media_url": "https://radio.example.fr/media/episode.wav"},
        {"title": "  "},
        {"duration_s": -1.0},
    ],
)
def test_bad_items_are_refused(public: FeedCase, change: dict[str, object]) -> None:
    """Items a directory would drop or misread never reach the feed."""
    items = [replace(public.items[0], **change), public.items[1]]  # type: ignore[arg-type]
    with pytest.raises(FeedError) as raised:
        render_feed(public.channel, items)
    assert isinstance(raised.value, WebradioError)


def test_duplicate_guid_or_media_is_refused(public: FeedCase) -> None:
    """Apple ignores a repeated GUID or enclosure URL, so the caller has a bug."""
    first, second = public.items
    with pytest.raises(FeedError):
        render_feed(public.channel, [first, replace(second, guid=first.guid)])
    with pytest.raises(FeedError):
        render_feed(public.channel, [first, replace(second, media_url=first.media_url)])


def test_site_link_must_differ_from_feed_url(public: FeedCase) -> None:
    """F5: <link> is the radio's page; a feed pointing at itself is refused."""
    channel = replace(public.channel, site_url=public.channel.feed_url)
    with pytest.raises(FeedError):
        render_feed(channel, public.items)


def test_descriptions_are_cut_to_4000_bytes(public: FeedCase) -> None:
    """Apple's limit is in bytes; the cut never splits a character."""
    long_text = "é" * 3000
    channel = replace(public.channel, description=long_text)
    items = [replace(public.items[0], description=long_text), public.items[1]]
    root = etree.fromstring(render_feed(channel, items))
    for text in (
        root.findtext("channel/description"),
        root.findtext("channel/item[2]/description"),
    ):
        assert text is not None
        assert len(text.encode("utf-8")) <= feed.DESCRIPTION_MAX_BYTES
        assert text.endswith("…")
        assert text.startswith("éé")


def test_control_characters_and_outer_spaces_are_removed(public: FeedCase) -> None:
    """A stray control character pasted into a title must not break the whole feed."""
    items = [replace(public.items[0], title="  Le potager\x0b de l'école\x00 "), public.items[1]]
    root = etree.fromstring(render_feed(public.channel, items))
    assert root.findtext("channel/item[2]/title") == "Le potager de l'école"


def test_optional_channel_values(public: FeedCase) -> None:
    """Language, category and licence come from the channel; no new-feed-url unless set."""
    channel = replace(
        public.channel,
        language="fr-FR",
        category=("Education", "Language Learning"),
        license="CC-BY-4.0",
        new_feed_url=None,
    )
    root = etree.fromstring(render_feed(channel, ()))
    assert root.findtext("channel/language") == "fr-FR"
    itunes = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
    category = root.find(f"channel/{itunes}category")
    assert category is not None
    assert category.get("text") == "Education"
    assert [sub.get("text") for sub in category] == ["Language Learning"]
    assert root.findtext("channel/{https://podcastindex.org/namespace/1.0}license") == "CC-BY-4.0"
    assert root.find(f"channel/{itunes}new-feed-url") is None
    assert root.findall("channel/item") == []

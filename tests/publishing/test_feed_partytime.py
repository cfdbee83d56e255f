"""podcast-partytime (a Podcasting 2.0 reader, run with node) on every golden feed."""

from __future__ import annotations

from .cases import CASE_FILES, GOLDEN_DIR, load_case
from .judges import partytime


def test_partytime_reads_every_golden_feed() -> None:
    """Each feed parses; channel guid, medium, license, block and every item's tags survive."""
    paths = [GOLDEN_DIR / f"{path.stem}.xml" for path in CASE_FILES]
    for path, seen in zip(paths, partytime(paths), strict=True):
        case = load_case(GOLDEN_DIR / f"{path.stem}.json")
        channel = case.channel
        assert seen["parsed"], path.name
        assert seen["guid"] == channel.podcast_guid
        assert seen["medium"] == "podcast"
        assert seen["license"]["identifier"] == channel.license
        assert seen["self"] == channel.feed_url
        assert seen["itunesBlock"] is channel.blocked
        assert (seen["podcastBlocked"] == "yes") is channel.blocked
        assert (seen["podcastOwner"] or None) == (None if channel.blocked else channel.owner_email)
        items = {item.guid: item for item in case.items}
        assert sorted(i["guid"] for i in seen["items"]) == sorted(items)
        for party in seen["items"]:
            item = items[party["guid"]]
            assert party["enclosure"] == {
                "url": item.media_url,
                "length": item.media_length,
                "type": "audio/mpeg",
            }
            chapters = party["chapters"]
            assert (chapters["url"] if chapters else None) == item.chapters_url
            transcripts = party["transcripts"] or []
            expected = (
                [{"url": item.transcript_url, "type": item.transcript_type, "language": "fr"}]
                if item.transcript_url
                else []
            )
            assert transcripts == expected

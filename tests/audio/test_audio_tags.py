"""ID3v2.3 tags written and read back, checked with mutagen directly as well."""

from __future__ import annotations

from pathlib import Path

from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from webradio.audio.tags import Chapter, EpisodeTags, read_tags, write_tags

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def test_tags_round_trip_with_chapters(tmp_path: Path) -> None:
    mp3 = tmp_path / "ep.mp3"
    # Two silent MPEG frames are enough for mutagen; tags do not depend on the audio.
    mp3.write_bytes((b"\xff\xfb\x90\x64" + b"\x00" * 413) * 2)
    tags = EpisodeTags(
        title="La sortie au jardin",
        artist="Radio de l'école Jules-Ferry",
        album="Les Ondes de CM2 — 2026-2027",
        date="2026-11-24",
        comment="Épisode réalisé en classe.",
        url="https://radio.example.fr/ecole/episodes/jardin",
        audience="families",
        consent_url="https://radio.example.fr/ecole/autorisations",
        chapters=(Chapter("Intro", 0.0, 7.09), Chapter("Les abeilles", 7.09, 12.5)),
        artwork_png=PNG,
    )
    write_tags(mp3, tags)
    assert read_tags(mp3) == tags
    raw = ID3(str(mp3))
    assert raw.version[:2] == (2, 3)
    assert str(raw["TCON"]) == "Podcast" and str(raw["TLAN"]) == "fra"
    assert [f.FrameID for f in raw.getall("CHAP")] == ["CHAP", "CHAP"]
    assert raw.getall("CTOC")[0].child_element_ids == ["chp0", "chp1"]
    assert raw.getall("CHAP")[1].start_time == 7090
    assert raw.getall("APIC")[0].type == 3
    assert not any(key.startswith("TXXX") and "DATE" in key.upper() for key in raw)
    MP3(str(mp3))  # still an MP3

    # Rewriting replaces the tag rather than adding a second one.
    write_tags(mp3, EpisodeTags("Autre", "Radio", "Album", "2026-11-25"))
    again = read_tags(mp3)
    assert again.title == "Autre" and again.chapters == () and again.artwork_png is None

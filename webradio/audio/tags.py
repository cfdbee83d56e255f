"""ID3v2.3 tags of a master, chapters included; the only module that imports mutagen."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    TALB,
    TCON,
    TDRC,
    TIT2,
    TLAN,
    TPE1,
    TXXX,
    WXXX,
    CTOCFlags,
    ID3NoHeaderError,
)
from mutagen.id3 import Encoding as _Encoding

from webradio.errors import N_, AudioError

AUDIENCE_DESC = "WEBRADIO_AUDIENCE"
CONSENT_DESC = "WEBRADIO_CONSENT_URL"
TOC_ID = "toc"


@dataclass(frozen=True)
class Chapter:
    """One part of the master, in seconds from its start."""

    title: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class EpisodeTags:
    """What the MP3 says about itself; never a pupil's name, never an authorisation date."""

    title: str
    artist: str
    album: str
    date: str
    comment: str = ""
    url: str = ""
    audience: str = ""
    consent_url: str = ""
    chapters: tuple[Chapter, ...] = ()
    artwork_png: bytes | None = None


def write_tags(path: Path | str, tags: EpisodeTags) -> None:
    """Replace the file's ID3 tag with `tags`, saved as ID3v2.3."""
    utf16 = _Encoding.UTF16  # ID3v2.3 has no UTF-8; UTF-16 keeps the accents.
    id3 = ID3()
    id3.add(TIT2(encoding=utf16, text=tags.title))
    id3.add(TPE1(encoding=utf16, text=tags.artist))
    id3.add(TALB(encoding=utf16, text=tags.album))
    id3.add(TDRC(encoding=utf16, text=tags.date))
    id3.add(TCON(encoding=utf16, text="Podcast"))
    id3.add(TLAN(encoding=utf16, text="fra"))
    if tags.comment:
        id3.add(COMM(encoding=utf16, lang="fra", desc="", text=tags.comment))
    if tags.url:
        id3.add(WXXX(encoding=utf16, desc="", url=tags.url))
    if tags.audience:
        id3.add(TXXX(encoding=utf16, desc=AUDIENCE_DESC, text=tags.audience))
    if tags.consent_url:
        id3.add(TXXX(encoding=utf16, desc=CONSENT_DESC, text=tags.consent_url))
    if tags.artwork_png:
        id3.add(APIC(encoding=utf16, mime="image/png", type=3, desc="", data=tags.artwork_png))
    if tags.chapters:
        ids = [f"chp{i}" for i in range(len(tags.chapters))]
        id3.add(
            CTOC(
                element_id=TOC_ID,
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[TIT2(encoding=utf16, text=tags.title)],
            )
        )
        for element_id, chapter in zip(ids, tags.chapters, strict=True):
            id3.add(
                CHAP(
                    element_id=element_id,
                    start_time=round(chapter.start_s * 1000),
                    end_time=round(chapter.end_s * 1000),
                    sub_frames=[TIT2(encoding=utf16, text=chapter.title)],
                )
            )
    id3.save(str(path), v2_version=3)


def read_tags(path: Path | str) -> EpisodeTags:
    """The tags write_tags wrote, read back from the file."""
    try:
        id3 = ID3(str(path))
    except ID3NoHeaderError as exc:
        raise AudioError("no_tags", N_("Ce fichier ne porte pas d'étiquettes.")) from exc
    comments = id3.getall("COMM")
    links = id3.getall("WXXX")
    pictures = id3.getall("APIC")
    return EpisodeTags(
        title=_text(id3, "TIT2"),
        artist=_text(id3, "TPE1"),
        album=_text(id3, "TALB"),
        date=_text(id3, "TDRC"),
        comment=str(comments[0].text[0]) if comments else "",
        url=str(links[0].url) if links else "",
        audience=_text(id3, f"TXXX:{AUDIENCE_DESC}"),
        consent_url=_text(id3, f"TXXX:{CONSENT_DESC}"),
        chapters=_chapters(id3),
        artwork_png=bytes(pictures[0].data) if pictures else None,
    )


def _text(id3: ID3, key: str) -> str:
    """The first text of a frame, or ""."""
    frame = id3.get(key)
    return str(frame.text[0]) if frame is not None and frame.text else ""


def _chapters(id3: ID3) -> tuple[Chapter, ...]:
    """Chapters in the order the top-level table of contents gives."""
    chaps = {frame.element_id: frame for frame in id3.getall("CHAP")}
    tocs = [toc for toc in id3.getall("CTOC") if toc.flags & CTOCFlags.TOP_LEVEL]
    order = (
        list(tocs[0].child_element_ids)
        if tocs
        else sorted(chaps, key=lambda k: chaps[k].start_time)
    )
    chapters = []
    for element_id in order:
        chap = chaps.get(element_id)
        if chap is None:
            continue
        title = chap.sub_frames.get("TIT2")
        chapters.append(
            Chapter(
                title=str(title.text[0]) if title is not None else "",
                start_s=chap.start_time / 1000,
                end_s=chap.end_time / 1000,
            )
        )
    return tuple(chapters)

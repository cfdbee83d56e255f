"""First names: what a pupil's name may be, and where one appears in typed text.

A reader sees "Inès", "INES", "Ine\u0300s", "ines_interview", "Inès2" and "I\u200bnès" as the
same name, and "Lou-Anne", "Lou Anne" and "Louanne" as the same child. Matching therefore
compares words folded to their letters (case, accents, Unicode form and invisible characters
dropped), with everything that is not a letter as a word boundary, and joins up to three
consecutive words so that compound names match however they are written. A capital after a
small letter also starts a word ("#MerciInès"), letters spaced out spell a word ("I N È S"),
and each text is read a second time as a screen shows it: a podcast app renders a description
as HTML and a WebVTT cue's markup, so "In&egrave;s" and "I<b>n</b>ès" read "Inès".
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from webradio.errors import N_, WebradioError

FIRST_NAME_MAX = 40
MAX_WORDS = 3
# Letters (any script), joined by one space, hyphen or apostrophe; one to three words.
_WORD = r"[^\W\d_]+"
_JOIN = r"[ \-'\u2019]"
_FIRST_NAME = re.compile(rf"{_WORD}(?:{_JOIN}{_WORD}){{0,{MAX_WORDS - 1}}}")
ERASED = "—"
# A run of letters, with the accents and invisible joiners a decomposed name carries inside it.
_LETTER_RUN = re.compile(r"[^\W\d_]+(?:[\u0300-\u036f\u200b-\u200d\u2060\ufeff]+[^\W\d_]*)*")
# Markup a reader never sees (HTML tags, WebVTT cue spans and time stamps).
_TAG = re.compile(r"<[^<>]*>")


def check_first_name(raw: str) -> str:
    """The first name as stored (NFC, trimmed), or a refusal saying what is wrong with it."""
    name = unicodedata.normalize("NFC", raw.strip(" "))
    if not name:
        raise WebradioError(N_("Indiquez le prénom de l'élève (jamais son nom de famille)."))
    if len(name) > FIRST_NAME_MAX:
        raise WebradioError(
            N_("Un prénom fait au plus %(max)d caractères (« %(name)s »)."),
            max=FIRST_NAME_MAX,
            name=name[:FIRST_NAME_MAX] + "…",
        )
    if not _FIRST_NAME.fullmatch(name):
        raise WebradioError(
            N_(
                "« %(name)s » n'est pas un prénom : des lettres seulement, au plus trois mots "
                "séparés par une espace simple, un trait d'union ou une apostrophe (pas de "
                "chiffre, de tiret bas, de tabulation ni d'espace insécable ; jamais de nom "
                "de famille)."
            ),
            name=name.encode("unicode_escape").decode("ascii") if _invisible(name) else name,
        )
    return name


def _invisible(text: str) -> bool:
    """True when the text holds characters a reader cannot see (tabs, no-break spaces...)."""
    return any(unicodedata.category(c)[0] in "CZ" and c != " " for c in text)


def words(text: str, camel: bool = False) -> list[str]:
    """The text's words folded as a reader compares them: letters only, no case, no accents.

    With `camel`, a capital after a small letter starts a word too ("MerciInès")."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = []
    lower = False  # the last letter kept was a small one
    for char in decomposed:
        category = unicodedata.category(char)
        if category == "Mn" or category == "Cf":  # accents, zero-width characters
            continue
        if camel and lower and char.isupper():
            kept.append(" ")
        lower = char.islower()
        kept.append(char.casefold() if char.isalpha() else " ")
    return "".join(kept).split()


def shown(text: str) -> str:
    """The text as a screen shows it when it renders HTML or WebVTT: tags dropped, entities
    decoded ("I<b>n</b>&egrave;s" shows "Inès")."""
    return html.unescape(_TAG.sub("", text)) if "<" in text or "&" in text else text


def key(first_name: str) -> str:
    """A name's comparison key: its words joined ("Lou-Anne" and "Louanne" give "louanne")."""
    return "".join(words(first_name))


def _joined_runs(text: str) -> set[str]:
    """Every run of one to MAX_WORDS consecutive words of the text, joined, read as typed and
    as shown, with and without a word starting at each capital after a small letter."""
    runs = set()
    for read in {text, shown(text)}:
        for found in (words(read), words(read, camel=True)):
            for start in range(len(found)):
                joined = ""
                for word in found[start : start + MAX_WORDS]:
                    joined += word
                    runs.add(joined)
            runs |= _spelled_out(found)
    return runs


def _spelled_out(found: list[str]) -> set[str]:
    """Every name a run of single letters spells ("I N È S" reads "Inès")."""
    runs, letters = set(), ""
    for word in [*found, ""]:
        if len(word) == 1:
            letters += word
            continue
        for start in range(len(letters)):
            for end in range(start + 2, min(len(letters), start + FIRST_NAME_MAX) + 1):
                runs.add(letters[start:end])
        letters = ""
    return runs


@dataclass(frozen=True)
class Mention:
    """A pupil's first name found in typed text, and the places where it appears."""

    pupil_id: str
    places: tuple[str, ...]


def find(texts: Mapping[str, str], pupils: Iterable[tuple[str, str]]) -> list[Mention]:
    """Which pupils the texts (place -> text) name, and where. A pupil may come once per
    first name they are known by (id, name): one mention holds every place any of them is."""
    runs = {place: _joined_runs(text) for place, text in texts.items() if text}
    found_in: dict[str, set[str]] = {}
    for pupil_id, first_name in pupils:
        wanted = key(first_name)
        if wanted:
            places = {place for place, found in runs.items() if wanted in found}
            found_in.setdefault(pupil_id, set()).update(places)
    return [
        Mention(pupil_id, tuple(p for p in runs if p in places))
        for pupil_id, places in found_in.items()
        if places
    ]


class Named(Protocol):
    """Anyone known by first names (a stored pupil)."""

    id: str

    @property
    def known_names(self) -> tuple[str, ...]: ...


def known_by(pupils: Iterable[Named]) -> list[tuple[str, str]]:
    """(id, first name) for every name each pupil is known by (current and former)."""
    return [(p.id, name) for p in pupils for name in p.known_names]


def redact(text: str, first_names: Iterable[str]) -> str:
    """The text with every way of writing these first names replaced by "—".

    A name that only markup or entities hide is blanked in the text as shown (its markup
    dropped): erasure errs to keeping less."""
    keys = {key(n) for n in first_names if key(n)}
    if not keys or not text:
        return text
    blanked = _redact_typed(text, keys)
    if keys & _joined_runs(blanked):
        blanked = _redact_typed(shown(blanked), keys)
    return blanked


def _word_spans(text: str) -> list[tuple[int, int]]:
    """Where the text's words are: its letter runs, cut where a capital follows a small letter."""
    spans = []
    for match in _LETTER_RUN.finditer(text):
        start, lower = match.start(), False
        for index in range(match.start(), match.end()):
            char = text[index]
            if unicodedata.category(char) in {"Mn", "Cf"}:
                continue
            if lower and char.isupper():
                spans.append((start, index))
                start = index
            lower = char.islower()
        spans.append((start, match.end()))
    return spans


def _redact_typed(text: str, keys: set[str]) -> str:
    """The text with each span of words whose key is one of `keys` replaced by "—"."""
    # Walk the words; replace the shortest span of words whose key matches (a compound name
    # may come as up to three words, each maybe cut in two at a capital).
    spans = _word_spans(text)
    out, cursor, index = [], 0, 0
    while index < len(spans):
        hit = None
        for width in range(1, 2 * MAX_WORDS + 1):
            chunk = spans[index : index + width]
            if len(chunk) < width:
                break
            if key(text[chunk[0][0] : chunk[-1][1]]) in keys:
                hit = width
                break
        if hit is None:
            index += 1
            continue
        start, end = spans[index][0], spans[index + hit - 1][1]
        out.append(text[cursor:start] + ERASED)
        cursor, index = end, index + hit
    out.append(text[cursor:])
    return "".join(out)

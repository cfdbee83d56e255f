"""First names: what a pupil's name may be, and where one appears in typed text.

A reader sees "Inès", "INES", "Ine\u0300s", "ines_interview", "Inès2" and "I\u200bnès" as the
same name, and "Lou-Anne", "Lou Anne" and "Louanne" as the same child. Matching therefore
compares words folded to their letters (case, accents, Unicode form and invisible characters
dropped), with everything that is not a letter as a word boundary, and joins up to three
consecutive words so that compound names match however they are written. A capital after a
small letter also starts a word ("#MerciInès"), letters spaced out spell a word ("I N È S"),
and each text is read a second time as a screen shows it: a podcast app renders a description
as HTML and a WebVTT cue's markup, so "In&egrave;s" and "I<b>n</b>ès" read "Inès".

Each character is read as the letter a reader sees: letters of another alphabet that look like
Latin ones (Cyrillic "Zое", Greek "Ζοé", Armenian, Cherokee; Unicode's confusables, UTS #39, as
the `confusable_homoglyphs` package ships them), Latin small capitals and letters with a stroke
("ᴢᴏᴇ", "Zøé"), full-width and circled letters; characters a screen does not show (Unicode's
default-ignorable code points: soft hyphen, zero-width joiners, Hangul fillers...) are dropped,
and a right-to-left override (U+202E before "éoZ" shows "Zoé") is read in the order it is shown.
Only characters that are not plain Latin letters are changed: French text reads as typed.

A word one letter away from a first name (added, dropped, changed, or two swapped: "Inés",
"Louane", "Jlues"; for a name of three letters, added only: "Zoée") is taken for that name,
unless it is an ordinary French word (pyspellchecker's list of 140,000 words, folded the same
way: "mairie" is not Marie, "zone" is not Zoé) or another pupil's name ("Léon" is Léon, not
Léo). When unsure, a misspelling blocks.
"""

from __future__ import annotations

import functools
import gzip
import html
import json
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Protocol

from webradio.errors import N_, WebradioError

FIRST_NAME_MAX = 40
MAX_WORDS = 3
# Names shorter than this are looked for misspelt only with a letter added ("Zoée", "Tomm"):
# one letter changed in a three-letter name is often another name ("Léa" for Léo, "Tim").
NEAR_MIN = 4
# Letters (any script), joined by one space, hyphen or apostrophe; one to three words.
_WORD = r"[^\W\d_]+"
_JOIN = r"[ \-'\u2019]"
_FIRST_NAME = re.compile(rf"{_WORD}(?:{_JOIN}{_WORD}){{0,{MAX_WORDS - 1}}}")
ERASED = "—"
# Characters a screen does not show (Unicode's Default_Ignorable_Code_Point, DerivedCoreProperties).
_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# A right-to-left override shows the letters after it reversed, until a pop or the line's end.
_RLO, _OVERRIDE_ENDS = "\u202e", "\u202c\u2069\n\r\u2029"
# "LATIN SMALL LETTER O WITH STROKE", "LATIN LETTER SMALL CAPITAL Z": the Latin letter shown.
_LATIN_NAME = re.compile(
    r"LATIN (?:SMALL |CAPITAL )?LETTER (?:SMALL CAPITAL )?([A-Z]{1,2})(?: WITH .*)?"
)
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
    if not _FIRST_NAME.fullmatch(name) or any(map(_ignorable, name)):
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
    return any((unicodedata.category(c)[0] in "CZ" and c != " ") or _ignorable(c) for c in text)


def _ignorable(char: str) -> bool:
    """True for a character a screen does not show (an accent is shown, on its letter)."""
    code = ord(char)
    return unicodedata.category(char) == "Cf" or any(a <= code <= b for a, b in _IGNORABLE)


@functools.cache
def _lookalikes() -> dict[str, str]:
    """Letters that are not plain Latin ones, case folded -> the Latin letters a reader sees
    (Unicode's confusables, UTS #39): the small letter's look-alike, else the capital's, so
    that "ZОЕ" and "Zое" read alike; a capital that looks like "l" reads as "I"."""
    source = files("confusable_homoglyphs").joinpath("confusables.json")
    table: dict[str, str] = {}
    entries = json.loads(source.read_text("utf-8")).items()
    for small_first in (True, False):
        for char, glyphs in entries:
            if len(char) != 1 or not char.isalpha() or _plain(char):
                continue
            if (char == char.casefold()) != small_first or char.casefold() in table:
                continue
            latin = [g["c"] for g in glyphs if g["c"].isascii() and g["c"].isalpha()]
            if latin and len(char.casefold()) == 1:
                shown_as = latin[0].casefold()
                table[char.casefold()] = "i" if shown_as == "l" and char.isupper() else shown_as
    return table


def _i_or_l(text: str) -> tuple[str, ...]:
    """The text read both ways when it holds a look-alike of "I" or "l" from another alphabet
    (a Cyrillic palochka, a Greek capital iota: "Ӏéa" reads "Léa", "Ιnès" reads "Inès");
    the text alone otherwise. Plain "I" and "l" are read as typed: taking one for the other
    would read ordinary French as names ("ail" as Ali, "cella" as Célia)."""
    either = [c for c in set(text) if not _plain(c) and _read(c) in {"i", "l"}]
    if not either:
        return (text,)
    return tuple(text.translate(dict.fromkeys(map(ord, either), letter)) for letter in "il")


def _plain(char: str) -> bool:
    """True for plain Latin letters, maybe accented ("é" is "e" and an accent)."""
    return "".join(c for c in unicodedata.normalize("NFD", char) if c.isalpha()).isascii()


def _latin(letter: str) -> str:
    """A letter (case folded) as a reader of Latin letters reads it."""
    if _plain(letter):
        return letter
    if letter in _lookalikes():
        return _lookalikes()[letter]
    latin = _LATIN_NAME.fullmatch(unicodedata.name(letter, ""))
    return latin.group(1).casefold() if latin else letter


@functools.cache
def _read(char: str) -> str:
    """What a reader reads in one character, folded: its letters (no case, no accent, a
    look-alike as the Latin letter it shows), "" when a screen shows nothing of it (an accent, a
    zero-width character), or a space (anything else: a word boundary)."""
    if _ignorable(char) or unicodedata.category(char) == "Mn":
        return ""
    out = []
    for part in unicodedata.normalize("NFKD", char):
        if _ignorable(part) or unicodedata.category(part) == "Mn":
            continue
        if not part.isalpha():
            out.append(" ")
            continue
        out.extend(_latin(letter) for letter in part.casefold())
    return "".join(out)


def _spans(text: str, camel: bool) -> list[tuple[int, int, str]]:
    """The text's words as (start, end, folded letters). With `camel`, a capital after a small
    letter starts a word too ("MerciInès")."""
    found: list[tuple[int, int, str]] = []
    start, end, word, lower = 0, 0, "", False
    for index, char in enumerate(text):
        read = _read(char)
        if not read:  # nothing shown: the word goes on
            continue
        for letter in read:
            if letter == " " or (camel and lower and char.isupper()):
                if word:
                    found.append((start, end, word))
                word, lower = "", False
                if letter == " ":
                    continue
            if not word:
                start = index
            word, end = word + letter, index + 1
            lower = char.islower()
    if word:
        found.append((start, end, word))
    return found


def words(text: str, camel: bool = False) -> list[str]:
    """The text's words folded as a reader compares them: letters only, no case, no accents.

    With `camel`, a capital after a small letter starts a word too ("MerciInès")."""
    return [word for _, _, word in _spans(text, camel)]


def shown(text: str) -> str:
    """The text as a screen shows it when it renders HTML or WebVTT: tags dropped, entities
    decoded ("I<b>n</b>&egrave;s" shows "Inès")."""
    return html.unescape(_TAG.sub("", text)) if "<" in text or "&" in text else text


def displayed(text: str) -> str:
    """The text in the order a screen shows it: what a right-to-left override reverses,
    reversed (U+202E "éoZ" U+202C shows "Zoé"); the override characters dropped."""
    if _RLO not in text:
        return text
    out: list[str] = []
    reversed_run: list[str] = []
    overriding = False
    for char in text + "\n":
        if char == _RLO:
            overriding = True
        elif overriding and char in _OVERRIDE_ENDS:
            out.extend(reversed(reversed_run))
            reversed_run, overriding = [], False
            out.append(char)
        elif overriding:
            reversed_run.append(char)
        else:
            out.append(char)
    return "".join(out[:-1])


def decoded(text: str) -> str:
    """The text with its entities decoded and its markup kept: what a screen shows of the
    markup itself (an image's alt text, a WebVTT voice's speaker: "<v Zo&eacute;>" reads
    "<v Zoé>")."""
    return html.unescape(text) if "&" in text else text


def readings(text: str) -> set[str]:
    """The text as typed, with entities decoded (markup kept or dropped as a screen renders
    it), and each in the order a screen shows it."""
    seen = {text, decoded(text), shown(text)}
    return {way for typed in seen for read in (typed, displayed(typed)) for way in _i_or_l(read)}


@functools.lru_cache(maxsize=8192)
def key(first_name: str) -> str:
    """A name's comparison key: its words joined ("Lou-Anne" and "Louanne" give "louanne")."""
    return "".join(words(first_name))


@functools.lru_cache(maxsize=8192)
def _compound(first_name: str) -> bool:
    """Whether the name is written in several words ("Lou-Anne", "Marie Claire")."""
    return len(words(first_name)) > 1


def _joined_runs(text: str) -> set[str]:
    """Every run of one to MAX_WORDS consecutive words of the text, joined, read as typed and
    as shown, with and without a word starting at each capital after a small letter."""
    runs = set()
    for found in _word_lists(text):
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


@functools.cache
def _french_words() -> frozenset[str]:
    """Ordinary French words, folded as words() folds them (no case, no accent)."""
    source = files("spellchecker").joinpath("resources/fr.json.gz")
    with source.open("rb") as packed, gzip.open(packed) as raw:
        listed: dict[str, int] = json.load(raw)
    return frozenset(_fold(word) for word in listed)


def _fold(word: str) -> str:
    """A dictionary word's letters, without case or accents ("Mairie" and "mairié": "mairie")."""
    return "".join(c for c in unicodedata.normalize("NFD", word) if c.isalpha()).casefold()


def _near(word: str, wanted: str) -> bool:
    """Whether `word` is `wanted` with one letter added, dropped or changed, or two neighbours
    swapped (never `wanted` itself); a short name only with a letter added."""
    if word == wanted or abs(len(word) - len(wanted)) > 1:
        return False
    if len(wanted) < NEAR_MIN and len(word) != len(wanted) + 1:
        return False
    same = 0
    while same < min(len(word), len(wanted)) and word[same] == wanted[same]:
        same += 1
    typed, meant = word[same:], wanted[same:]
    swapped = len(typed) > 1 and typed[:2] == meant[1::-1] and typed[2:] == meant[2:]
    return typed[1:] == meant or typed == meant[1:] or typed[1:] == meant[1:] or swapped


def _dropped(word: str) -> set[str]:
    """The word with each one of its letters dropped (how near words are looked up)."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@functools.lru_cache(maxsize=256)
def _near_index(keys: frozenset[str]) -> dict[str, frozenset[str]]:
    """Each key, and each key with one letter dropped -> the keys it comes from."""
    index: dict[str, set[str]] = {}
    for wanted in keys:
        if len(wanted) > 1:
            for variant in {wanted} | _dropped(wanted):
                index.setdefault(variant, set()).add(wanted)
    return {variant: frozenset(found) for variant, found in index.items()}


def misspelt(found: Collection[str], keys: Collection[str]) -> dict[str, set[str]]:
    """For each key (a pupil's name), the words of `found` one letter away from it that are
    neither an ordinary French word nor any of `keys`: a misspelling of that name."""
    index = _near_index(frozenset(keys))
    lengths = {len(k) + step for k in keys for step in (-1, 0, 1)}
    near: dict[str, set[str]] = {}
    for word in found:
        if len(word) < 3 or len(word) not in lengths or word in keys:
            continue
        candidates = {k for v in {word} | _dropped(word) for k in index.get(v, ())}
        for wanted in candidates:
            if _near(word, wanted) and word not in _french_words():
                near.setdefault(wanted, set()).add(word)
    return near


@functools.lru_cache(maxsize=64)
def _word_lists(text: str) -> tuple[list[str], ...]:
    """The text's words in every reading, with and without a cut at each capital after a small
    letter (the last few texts are kept: the gate reads the same texts for each pupil)."""
    return tuple(words(read, camel) for read in readings(text) for camel in (False, True))


def _single_words(text: str) -> set[str]:
    """The text's words, each alone, in every reading (where misspellings are looked for)."""
    return {word for found in _word_lists(text) for word in found}


def find(texts: Mapping[str, str], pupils: Iterable[tuple[str, str]]) -> list[Mention]:
    """Which pupils the texts (place -> text) name, and where, exactly or misspelt. A pupil
    may come once per first name they are known by (id, name): one mention holds every place
    any of them is."""
    pupils = list(pupils)
    keys = {key(first_name) for _, first_name in pupils} - {""}
    compound = {key(name) for _, name in pupils if _compound(name)}
    runs = {place: _joined_runs(text) for place, text in texts.items() if text}
    near = {
        place: set(misspelt(_single_words(texts[place]), keys))
        | set(misspelt(found - keys, compound))  # "Lou Ane", unless Louane is a pupil too
        for place, found in runs.items()
    }
    found_in: dict[str, set[str]] = {}
    for pupil_id, first_name in pupils:
        wanted = key(first_name)
        if wanted:
            places = {place for place, found in runs.items() if wanted in found}
            places |= {place for place, misspelt_keys in near.items() if wanted in misspelt_keys}
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
    """The text with every way of writing these first names, misspellings included, replaced
    by "—".

    A name that only markup or entities hide is blanked in the text as shown (its markup
    dropped): erasure errs to keeping less (another child's name one letter away that is not
    an ordinary word goes too)."""
    keys = {key(n) for n in first_names if key(n)}
    if not keys or not text:
        return text
    compound = {key(n) for n in first_names if _compound(n)}
    blanked = _redact_typed(text, keys, compound)
    for read in (decoded, shown, displayed):
        runs = _joined_runs(blanked)
        if keys & runs or misspelt(_single_words(blanked), keys) or misspelt(runs, compound):
            blanked = _redact_typed(read(blanked), keys, compound)
    return blanked


def _redact_typed(text: str, keys: set[str], compound: set[str]) -> str:
    """The text with each span of words whose key is one of `keys`, or a misspelling of one
    (of a compound one in `compound` for a span of several words), replaced by "—"."""
    # Walk the words (cut where a capital follows a small letter); replace the shortest span
    # of words whose key matches: a compound name may come as up to three words, each maybe
    # cut in two at a capital, or spelled out in single letters ("L O U - A N N E").
    # A name as typed wins over a misspelling of it ("L O U A N N" is not taken for Lou-Anne
    # when the "E" follows).
    spans = _spans(text, camel=True)
    out, cursor, index = [], 0, 0
    while index < len(spans):
        exact, near = None, None
        for width in range(1, FIRST_NAME_MAX + 1):
            chunk = spans[index : index + width]
            if len(chunk) < width or (width > 2 * MAX_WORDS and len(chunk[-1][2]) > 1):
                break
            typed = text[chunk[0][0] : chunk[-1][1]]
            ways = {key(way) for way in _i_or_l(typed)}
            if ways & keys:
                exact = width
                break
            if misspelt(ways, keys if width == 1 else compound):
                near = width
        hit = exact or near
        if hit is None:
            index += 1
            continue
        start, end = spans[index][0], spans[index + hit - 1][1]
        out.append(text[cursor:start] + ERASED)
        cursor, index = end, index + hit
    out.append(text[cursor:])
    return "".join(out)

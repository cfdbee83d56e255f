"""Class lists from the school's administration tools (ONDE, SIECLE exports), first names only.

`parse_roster` turns the bytes of a CSV file into one row per pupil: the first name as it would
be stored (checked by `names.check_first_name`), the class, or the reason the line is refused.
It reads the first-name column and the class column and nothing else: a surname, a date of
birth or a parent's name never leaves this function, so it can reach no database, log or page.
The delimiter (`;`, `,` or tab) and the encoding (UTF-8 with or without BOM, UTF-16 with BOM,
Windows-1252) are found from the content.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from webradio import names
from webradio.errors import N_, WebradioError

CLASS_LABEL_MAX = 64
HEADER_LINES_MAX = 10
DELIMITERS = (";", ",", "\t")
# Columns that hold someone else's first name, or a pupil's second or third one.
_NOT_THE_PUPIL = ("2", "3", "respons", "represent", "parent", "mere", "pere", "tuteur", "legal")
_CLASS_HEADERS = ("classe", "division", "classe division", "classes")


@dataclass(frozen=True)
class RosterRow:
    """One line of the file: its number, the first name and class read, and any refusal.

    `error` is a French message marked with N_ and `params` its fields, translated when shown.
    """

    line: int
    first_name: str
    class_label: str
    error: str | None = None
    params: dict[str, object] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """True when the line can be imported as it is."""
        return self.error is None


@dataclass(frozen=True)
class Roster:
    """What a file holds: its rows (empty lines left out) and whether it had a class column."""

    rows: list[RosterRow]
    has_class_column: bool
    # Lines the export repeats word for word (the same child twice): (line, first line), read once.
    repeated: list[tuple[int, int]] = field(default_factory=list)

    @property
    def refused(self) -> list[RosterRow]:
        """The rows that cannot be imported, with their reasons."""
        return [row for row in self.rows if not row.valid]

    @property
    def repeats(self) -> list[tuple[int, RosterRow]]:
        """Each line repeated word for word, with the row it repeats."""
        by_line = {row.line: row for row in self.rows}
        return [(line, by_line[first]) for line, first in self.repeated]


def check_class_label(raw: str) -> str:
    """A class label as stored (trimmed, NFC), or a refusal saying what is wrong with it."""
    label = unicodedata.normalize("NFC", " ".join(raw.split()))
    if not label:
        raise WebradioError(N_("Indiquez le nom de la classe (par exemple « CM2 A »)."))
    if len(label) > CLASS_LABEL_MAX:
        raise WebradioError(
            N_("Le nom d'une classe fait au plus %(max)d caractères."), max=CLASS_LABEL_MAX
        )
    return label


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Windows-1252 leaves five bytes undefined; Latin-1 reads them rather than failing.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _fold(header: str) -> str:
    """A column title as compared: lower case, no accents, words separated by one space."""
    decomposed = unicodedata.normalize("NFKD", header)
    letters = "".join(
        c.casefold() if c.isalnum() else " " for c in decomposed if unicodedata.category(c) != "Mn"
    )
    return " ".join(letters.split())


def _delimiter(line: str) -> str:
    """The separator the header line uses most (`;` when none appears)."""
    counts = {d: line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _first_name_column(headers: list[str]) -> int | None:
    """The index of the pupil's first-name column ("Prénom", "Prénom 1", "Prénom élève"...)."""
    for index, header in enumerate(headers):
        folded = _fold(header)
        if folded.startswith("prenom") and not any(w in folded for w in _NOT_THE_PUPIL):
            return index
    return None


def _class_column(headers: list[str]) -> int | None:
    """The index of the class column ("Classe", "Division", "Classe/Division"), if any."""
    for index, header in enumerate(headers):
        if _fold(header) in _CLASS_HEADERS:
            return index
    return None


def parse_roster(data: bytes, class_label: str | None = None) -> Roster:
    """Read a class list: one row per non-empty line after the header.

    `class_label`, when given, is the class of every line (the head chose it: the file's class
    column is then ignored); otherwise each line's class is read from the file. Refuses, with
    the reason, a file in which no first-name column is found.
    """
    text = decode(data)
    lines = text.splitlines()
    header_at = None
    for number, line in enumerate(lines[:HEADER_LINES_MAX]):
        cells = next(csv.reader([line], delimiter=_delimiter(line)), [])
        if _first_name_column(cells) is not None:
            header_at, delimiter, headers = number, _delimiter(line), cells
            break
    if header_at is None:
        raise WebradioError(
            N_(
                "Aucune colonne « Prénom » dans ce fichier. Exportez la liste de la classe "
                "depuis ONDE ou SIECLE au format CSV, avec sa ligne de titres."
            )
        )
    first_col = _first_name_column(headers)
    class_col = _class_column(headers)
    assert first_col is not None
    reader = csv.reader(io.StringIO("\n".join(lines[header_at + 1 :])), delimiter=delimiter)
    rows = []
    repeated = []
    seen: dict[tuple[str, ...], int] = {}  # whole lines (surnames...), never kept past here
    for cells in reader:
        number = header_at + 1 + reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        whole = tuple(" ".join(cell.split()).casefold() for cell in cells)
        others = [c for i, c in enumerate(whole) if c and i not in (first_col, class_col)]
        if others and whole in seen:  # a surname or a date tells it is the same child
            repeated.append((number, seen[whole]))
            continue
        seen[whole] = number
        raw_name = cells[first_col] if first_col < len(cells) else ""
        if class_label is not None:
            raw_class = class_label
        elif class_col is not None and class_col < len(cells):
            raw_class = cells[class_col]
        else:
            raw_class = ""
        rows.append(_row(number, raw_name, raw_class.strip()))
    return Roster(rows=rows, has_class_column=class_col is not None, repeated=repeated)


def _row(line: int, raw_name: str, raw_class: str) -> RosterRow:
    """One line checked: the name as stored and the class, or the first refusal found."""
    try:
        first_name = names.check_first_name(raw_name)
    except WebradioError as error:
        return RosterRow(line, raw_name.strip(), raw_class, error.message, error.params)
    if not raw_class.strip():
        return RosterRow(
            line,
            first_name,
            "",
            N_("Pas de classe sur cette ligne : choisissez la classe de la liste."),
        )
    try:
        label = check_class_label(raw_class)
    except WebradioError as error:
        return RosterRow(line, first_name, raw_class[:CLASS_LABEL_MAX], error.message, error.params)
    return RosterRow(line, first_name, label)

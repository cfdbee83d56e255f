"""Class lists as ONDE/SIECLE export them: first names only, whatever the delimiter and encoding."""

from __future__ import annotations

import pytest

from webradio.errors import WebradioError
from webradio.roster import check_class_label, parse_roster

ONDE = [
    ["Nom", "Prénom", "Date de naissance", "Classe", "Niveau"],
    ["Dupont", "Lou-Anne", "03/02/2015", "CM2 A", "CM2"],
    [],
    ["Martin", "Zoé2", "12/11/2015", "CM2 A", "CM2"],
    ["Lefèvre", "Élodie", "01/01/2015", "CM1 B", "CM1"],
]


def csv_bytes(rows: list[list[str]], delimiter: str, encoding: str, newline: str = "\r\n") -> bytes:
    """A file as an administration tool writes it."""
    return newline.join(delimiter.join(cells) for cells in rows).encode(encoding) + b"\r\n"


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(";", "cp1252"), (";", "utf-8-sig"), (",", "utf-8"), (",", "cp1252"), ("\t", "utf-8-sig")],
)
def test_reads_first_names_and_classes_whatever_the_delimiter_and_encoding(
    delimiter: str, encoding: str
) -> None:
    roster = parse_roster(csv_bytes(ONDE, delimiter, encoding))
    assert roster.has_class_column
    assert [(r.line, r.first_name, r.class_label, r.valid) for r in roster.rows] == [
        (2, "Lou-Anne", "CM2 A", True),
        (4, "Zoé2", "CM2 A", False),
        (5, "Élodie", "CM1 B", True),
    ]
    (refused,) = roster.refused
    assert refused.error is not None and "n'est pas un prénom" in refused.error
    assert refused.params == {"name": "Zoé2"}


def test_no_surname_or_other_column_leaves_the_parser() -> None:
    roster = parse_roster(csv_bytes(ONDE, ";", "cp1252"))
    kept = repr(roster)
    for other in ("Dupont", "Martin", "Lefèvre", "03/02/2015", "Niveau"):
        assert other not in kept


def test_siecle_division_extra_columns_and_a_title_line_before_the_header() -> None:
    rows = [
        ["Liste des élèves — année 2026-2027"],
        ["NOM", "PRENOM", "PRENOM 2", "DIVISION", "Nom responsable", "Prénom responsable"],
        ["Durand", "Anne Marie", "Louise", "6E3", "Durand", "Paul"],
        ["  ", "", "", "", "", ""],
        ["Petit", "N'Golo", "", "6E3", "Petit", "Awa"],
    ]
    roster = parse_roster(csv_bytes(rows, ";", "utf-8-sig"))
    assert [(r.line, r.first_name, r.class_label) for r in roster.rows] == [
        (3, "Anne Marie", "6E3"),
        (5, "N'Golo", "6E3"),
    ]
    assert all(r.valid for r in roster.rows)
    assert "Paul" not in repr(roster) and "Louise" not in repr(roster)


def test_a_chosen_class_applies_to_every_line_else_a_line_without_class_is_refused() -> None:
    rows = [["Nom", "Prénom"], ["Dupont", "Inès"]]
    chosen = parse_roster(csv_bytes(rows, ",", "utf-8"), class_label="CE1")
    assert not chosen.has_class_column
    assert [(r.first_name, r.class_label, r.valid) for r in chosen.rows] == [("Inès", "CE1", True)]
    (missing,) = parse_roster(csv_bytes(rows, ",", "utf-8")).rows
    assert not missing.valid and missing.error is not None and "classe" in missing.error
    overridden = parse_roster(csv_bytes(ONDE, ";", "cp1252"), class_label="CM2 B")
    assert {r.class_label for r in overridden.rows} == {"CM2 B"}


def test_a_file_without_a_first_name_column_is_refused_in_french() -> None:
    with pytest.raises(WebradioError, match="Aucune colonne « Prénom »"):
        parse_roster(csv_bytes([["Nom", "Classe"], ["Dupont", "CM2"]], ";", "utf-8"))
    with pytest.raises(WebradioError):
        parse_roster(b"\x00\x01\x02binary")


def test_a_class_label_is_trimmed_and_limited() -> None:
    assert check_class_label("  CM2   A ") == "CM2 A"
    with pytest.raises(WebradioError):
        check_class_label("   ")
    with pytest.raises(WebradioError):
        check_class_label("x" * 65)

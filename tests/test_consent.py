"""The consent gate, table-driven: effective audiences = requested tiers ∩ every grant."""

from __future__ import annotations

from datetime import date

import pytest

from webradio.consent import Grant, Participant, clear, parse_audiences, tiers_up_to
from webradio.errors import WebradioError

TODAY = date(2026, 11, 24)
UNTIL = date(2027, 8, 31)


def grant(audiences: str, until: date = UNTIL, withdrawn: bool = False) -> Grant:
    """A grant of the comma-separated audiences."""
    return Grant(parse_audiences(audiences), until, withdrawn)


CASES = [
    # requested, grants of each participant (None: no grant), no_pupil_voices, expected
    ("public", [grant("class,families,public")], False, ("class", "families", "public")),
    (
        "public",
        [grant("class,families,public"), grant("class,families")],
        False,
        ("class", "families"),
    ),
    ("families", [grant("families")], False, ("families",)),  # a set, not a ladder
    (
        "public",
        [grant("class,families,public,directories")],
        False,
        ("class", "families", "public"),
    ),
    ("directories", [grant("class,families,public")], False, ("class", "families", "public")),
    ("public", [None], False, ()),
    ("public", [grant("class,families,public"), None], False, ()),
    ("public", [grant("class,families,public", until=date(2026, 11, 23))], False, ()),
    (
        "public",
        [grant("class,families,public", until=TODAY)],
        False,
        ("class", "families", "public"),
    ),
    ("public", [grant("class,families,public", withdrawn=True)], False, ()),
    ("public", [], False, ()),
    ("public", [], True, ("class", "families", "public")),
    ("class", [grant("class,families,public")], False, ("class",)),
    # a family that refuses the class but allows families: the class tier is blocked
    ("families", [grant("families,public")], False, ("families",)),
    ("class", [grant("families,public")], False, ()),
    # directories need every participant's leave
    (
        "directories",
        [grant("class,families,public,directories")] * 2,
        False,
        ("class", "families", "public", "directories"),
    ),
    (
        "directories",
        [grant("class,families,public,directories"), grant("class,families,public")],
        False,
        ("class", "families", "public"),
    ),
    # an expired grant and a withdrawn one both empty the episode, whoever else agrees
    (
        "public",
        [grant("class,families,public"), grant("class", until=date(2026, 11, 1))],
        False,
        (),
    ),
    ("families", [grant("class,families"), grant("class", withdrawn=True)], False, ()),
    # partial withdrawal leaves the rest
    ("public", [grant("class,public")], False, ("class", "public")),
    # disjoint grants clear nothing though each pupil allows something
    ("public", [grant("class"), grant("public")], False, ()),
    # "no pupil voice" asks nobody, up to directories
    ("directories", [], True, ("class", "families", "public", "directories")),
]


@pytest.mark.parametrize(("requested", "grants", "no_voices", "expected"), CASES)
def test_gate(
    requested: str, grants: list[Grant | None], no_voices: bool, expected: tuple[str, ...]
) -> None:
    participants = [Participant(f"Élève{i}", g) for i, g in enumerate(grants)]
    result = clear(requested, participants, no_voices, TODAY)
    assert result.audiences == expected
    assert {b.audience for b in result.blocked} == set(tiers_up_to(requested)) - set(expected)


def test_blocked_reason_names_the_blocking_pupil() -> None:
    result = clear(
        "public",
        [
            Participant("Léa", grant("class,families,public")),
            Participant("Inès", grant("class,families")),
        ],
        False,
        TODAY,
    )
    (blocked,) = result.blocked
    assert blocked.audience == "public"
    assert "Inès" in blocked.reason and "Léa" not in blocked.reason


def test_authorised_until_is_the_earliest_valid_until() -> None:
    early = date(2027, 3, 1)
    result = clear(
        "public",
        [
            Participant("A", grant("class,families,public")),
            Participant("B", grant("class,families,public", until=early)),
        ],
        False,
        TODAY,
    )
    assert result.authorised_until == early


def test_a_named_pupil_blocks_only_beyond_class_and_only_their_own_name() -> None:
    named = Participant("Léa", grant("class,families,public"), named_in=("transcription",))
    other = Participant("Inès", grant("class,families,public"))
    result = clear("public", [named, other], False, TODAY)
    assert result.audiences == ("class",)
    assert all("Léa" in b.reason and "Inès" not in b.reason for b in result.blocked)
    assert clear("class", [named], False, TODAY).audiences == ("class",)


def test_nothing_is_authorised_until_a_date_when_nothing_is_cleared() -> None:
    assert clear("public", [Participant("A", None)], False, TODAY).authorised_until is None
    assert clear("public", [], True, TODAY).authorised_until is None


def test_unknown_audience_is_refused_with_the_list() -> None:
    with pytest.raises(WebradioError, match="class, families, public, directories"):
        parse_audiences("class,everyone")


def test_a_first_name_in_typed_text_needs_the_family_s_leave_to_go_beyond_class() -> None:
    named = Participant("Léa", grant("class,families,public"), named_in=("titre",))
    result = clear("public", [named], False, TODAY)
    assert result.audiences == ("class",)
    assert all("Léa" in b.reason and "titre" in b.reason for b in result.blocked)
    credited = Participant(
        "Léa",
        Grant(parse_audiences("class,families,public"), UNTIL, credit_first_name=True),
        named_in=("titre",),
    )
    assert clear("public", [credited], False, TODAY).audiences == ("class", "families", "public")

"""The consent gate, table-driven: effective audiences = requested tiers ∩ every grant."""

from __future__ import annotations

from datetime import date

import pytest

from webradio.consent import (
    Case,
    Cause,
    Clearance,
    Grant,
    Pupil,
    Source,
    clear,
    parse_audiences,
    tiers_up_to,
)
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
    # a source nobody declared clears the class, nothing beyond
    ("public", [], False, ("class",)),
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


def gate(
    requested: str,
    grants: list[Grant | None],
    no_voices: bool = False,
    named: dict[int, tuple[str, ...]] | None = None,
) -> Clearance:
    """The gate for one source per pupil (pupil i speaks in source i), or one attested
    voice-free source; `named` maps a pupil's index to where their name is typed."""
    pupils = {f"p{i}": Pupil(f"p{i}", g) for i, g in enumerate(grants)}
    if no_voices:
        sources: tuple[Source, ...] = (Source(voice_free=True),)
    else:
        sources = tuple(Source(frozenset({pid})) for pid in pupils) or (Source(),)
    where = {f"p{i}": places for i, places in (named or {}).items()}
    case = Case(requested, sources, pupils=pupils, named=where)
    return clear(case, TODAY)


@pytest.mark.parametrize(("requested", "grants", "no_voices", "expected"), CASES)
def test_gate(
    requested: str, grants: list[Grant | None], no_voices: bool, expected: tuple[str, ...]
) -> None:
    result = gate(requested, grants, no_voices)
    assert result.audiences == expected
    assert set(result.blocked_audiences()) == set(tiers_up_to(requested)) - set(expected)


def test_blocks_say_the_cause_and_the_blocking_pupil() -> None:
    result = gate("public", [grant("class,families,public"), grant("class,families")])
    (blocked,) = result.blocks
    assert (blocked.audience, blocked.cause, blocked.pupil_ids) == (
        "public",
        "not_granted",
        ("p1",),
    )


def test_authorised_until_is_the_earliest_valid_until() -> None:
    early = date(2027, 3, 1)
    result = gate("public", [grant("class,families,public"), grant("class,families,public", early)])
    assert result.authorised_until == early


def test_a_named_pupil_blocks_only_beyond_class_and_only_their_own_name() -> None:
    both = [grant("class,families,public"), grant("class,families,public")]
    result = gate("public", both, named={0: ("transcript",)})
    assert result.audiences == ("class",)
    assert {b.pupil_ids for b in result.blocks} == {("p0",)}
    assert {b.cause for b in result.blocks} == {Cause.NAMED}
    assert gate("class", both, named={0: ("transcript",)}).audiences == ("class",)


def test_a_classmate_who_does_not_speak_is_asked_when_named() -> None:
    pupils = {"speaker": Pupil("speaker", grant("class,families,public"))}
    pupils["named"] = Pupil("named", grant("class,families"))
    case = Case("public", (Source(frozenset({"speaker"})),), pupils=pupils)
    assert clear(case, TODAY).audiences == ("class", "families", "public")
    named = Case(case.requested, case.sources, pupils=pupils, named={"named": ("title",)})
    assert clear(named, TODAY).audiences == ("class",)


def test_no_pupil_voice_is_what_every_source_says_not_a_switch() -> None:
    withdrawn = Pupil("ines", grant("class,families,public", withdrawn=True))
    sources = (Source(voice_free=True), Source(frozenset({"ines"})))
    assert clear(Case("public", sources, pupils={"ines": withdrawn}), TODAY).audiences == ()


def test_an_erased_voice_clears_nothing_whatever_else_is_declared() -> None:
    erased = Pupil("zoe", grant("class,families,public"), erased=True)
    case = Case("public", (Source(frozenset({"zoe"})),), pupils={"zoe": erased})
    result = clear(case, TODAY)
    assert result.audiences == ()
    assert {b.cause for b in result.blocks} == {Cause.ERASED}


def test_nothing_is_authorised_until_a_date_when_nothing_is_cleared() -> None:
    assert gate("public", [None]).authorised_until is None
    assert gate("public", [], no_voices=True).authorised_until is None


def test_unknown_audience_is_refused_with_the_list() -> None:
    with pytest.raises(WebradioError, match="class, families, public, directories"):
        parse_audiences("class,everyone")


def test_a_first_name_in_typed_text_needs_the_family_s_leave_to_go_beyond_class() -> None:
    result = gate("public", [grant("class,families,public")], named={0: ("title",)})
    assert result.audiences == ("class",)
    assert all(b.places == ("title",) for b in result.blocks)
    credited = Grant(parse_audiences("class,families,public"), UNTIL, credit_first_name=True)
    assert gate("public", [credited], named={0: ("title",)}).audiences == (
        "class",
        "families",
        "public",
    )

"""The consent gate: one pure function decides which audiences an episode is cleared for.

Audiences are tiers, narrowest first: class, families, public, directories. An episode asks for
a tier and, with it, every narrower one; a family grants a *set* of tiers (it may allow
`families` and refuse `class`). Voices come from the sound: every source in the master (a take,
a jingle) carries the pupils declared speaking in it, or a staff attestation that no pupil
speaks in it. The effective audiences are the requested tiers intersected with the granted set
of every voice; a voice without a valid grant empties them; a source whose voices are not
declared clears nothing beyond the class; a pupil of the school named in the typed text blocks
every audience beyond the class that their family did not allow crediting in.

The gate answers with data (causes and pupil ids); sentences are made at display time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from webradio.errors import N_, WebradioError


class Audience(StrEnum):
    """An audience tier; compares equal to its name ("public")."""

    CLASS = "class"
    FAMILIES = "families"
    PUBLIC = "public"
    DIRECTORIES = "directories"


AUDIENCES: tuple[Audience, ...] = tuple(Audience)

AUDIENCE_LABELS = {
    Audience.CLASS: N_("la classe et l’école"),
    Audience.FAMILIES: N_("les familles"),
    Audience.PUBLIC: N_("le public"),
    Audience.DIRECTORIES: N_("les annuaires de podcasts"),
}


class Cause(StrEnum):
    """Why an audience is blocked (CONTRACT section 2)."""

    NO_GRANT = "no_grant"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    NOT_GRANTED = "not_granted"
    NAMED = "named"
    ERASED = "erased"
    UNDECLARED = "undeclared"


def parse_audience(name: str) -> Audience:
    """The audience tier called `name`, else a refusal with the list of tiers."""
    try:
        return Audience(name)
    except ValueError:
        raise WebradioError(
            N_("Audience inconnue « %(name)s » ; choisir parmi : %(choices)s."),
            name=name,
            choices=", ".join(AUDIENCES),
        ) from None


def parse_audiences(text: str) -> frozenset[Audience]:
    """Parse a comma-separated list of tiers ("class,families") into a set."""
    return frozenset(parse_audience(part.strip()) for part in text.split(",") if part.strip())


def tiers_up_to(audience: str) -> tuple[Audience, ...]:
    """The tier `audience` and every narrower one, narrowest first."""
    return AUDIENCES[: AUDIENCES.index(parse_audience(audience)) + 1]


def ordered(audiences: Iterable[str]) -> tuple[Audience, ...]:
    """The given tiers in tier order, narrowest first."""
    chosen = set(audiences)
    return tuple(a for a in AUDIENCES if a in chosen)


@dataclass(frozen=True)
class Grant:
    """A family's authorisation as the gate sees it."""

    audiences: frozenset[str]
    valid_until: date
    withdrawn: bool = False
    credit_first_name: bool = False

    def valid_on(self, day: date) -> bool:
        """True while not withdrawn and `day` is on or before the last valid day."""
        return not self.withdrawn and day <= self.valid_until


@dataclass(frozen=True)
class Pupil:
    """A pupil as the gate sees them: id, grant in force (None if none), erased or not."""

    id: str
    grant: Grant | None
    erased: bool = False

    def invalid_cause(self, day: date) -> Cause | None:
        """Why this pupil's voice clears nothing on `day`, or None when their grant holds."""
        if self.erased:
            return Cause.ERASED
        if self.grant is None:
            return Cause.NO_GRANT
        if self.grant.withdrawn:
            return Cause.WITHDRAWN
        if day > self.grant.valid_until:
            return Cause.EXPIRED
        return None


@dataclass(frozen=True)
class Source:
    """A piece of sound in the master: the pupils declared on it, or attested voice-free."""

    voices: frozenset[str] = frozenset()
    voice_free: bool = False

    @property
    def declared(self) -> bool:
        """True when staff said who speaks in it (or that no pupil does)."""
        return bool(self.voices) or self.voice_free


@dataclass(frozen=True)
class Case:
    """Everything the gate needs about one episode."""

    requested: str
    sources: Sequence[Source]
    participants: frozenset[str] = frozenset()
    pupils: Mapping[str, Pupil] = field(default_factory=dict)  # every pupil referenced
    named: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # pupil id -> places

    def voices(self) -> frozenset[str]:
        """Every pupil whose voice is in the master: declared on a source, or a participant."""
        found = set(self.participants)
        for source in self.sources:
            found |= source.voices
        return frozenset(found)


@dataclass(frozen=True)
class Block:
    """One requested audience blocked, by one cause, because of these pupils (and where)."""

    audience: Audience
    cause: Cause
    pupil_ids: tuple[str, ...] = ()
    places: tuple[str, ...] = ()


@dataclass(frozen=True)
class Clearance:
    """The gate's answer: audiences cleared (narrowest first), every block, and until when."""

    audiences: tuple[Audience, ...]
    blocks: tuple[Block, ...]
    authorised_until: date | None

    def allows(self, audience: str) -> bool:
        """True when the episode may be shown to `audience`."""
        return audience in self.audiences

    def blocks_for(self, audience: str) -> tuple[Block, ...]:
        """The blocks of one audience."""
        return tuple(b for b in self.blocks if b.audience == audience)

    def blocked_audiences(self) -> tuple[Audience, ...]:
        """The requested audiences not cleared, narrowest first."""
        return ordered(b.audience for b in self.blocks)

    def blamed(self, audience: str | None = None) -> tuple[str, ...]:
        """The pupils who block `audience` (or any audience), in first-seen order."""
        found: dict[str, None] = {}
        for block in self.blocks:
            if audience is None or block.audience == audience:
                found.update(dict.fromkeys(block.pupil_ids))
        return tuple(found)


def clear(case: Case, today: date) -> Clearance:
    """Decide the audiences an episode is cleared for on `today` (a Paris calendar day)."""
    wanted = tiers_up_to(case.requested)
    beyond_class = tuple(a for a in wanted if a != Audience.CLASS)
    blocks: list[Block] = []
    if not case.sources or any(not s.declared for s in case.sources):
        blocks += [Block(a, Cause.UNDECLARED) for a in beyond_class]
    voices = sorted(case.voices())
    until: list[date] = []
    for pupil_id in voices:
        pupil = case.pupils.get(pupil_id, Pupil(pupil_id, None))
        cause = pupil.invalid_cause(today)
        if cause is not None:
            blocks += [Block(a, cause, (pupil_id,)) for a in wanted]
            continue
        assert pupil.grant is not None
        until.append(pupil.grant.valid_until)
        blocks += [
            Block(a, Cause.NOT_GRANTED, (pupil_id,))
            for a in wanted
            if a not in pupil.grant.audiences
        ]
    for pupil_id, places in sorted(case.named.items()):
        pupil = case.pupils.get(pupil_id, Pupil(pupil_id, None))
        grant = pupil.grant
        credited = pupil.invalid_cause(today) is None and grant is not None
        for audience in beyond_class:
            if not (credited and grant and grant.credit_first_name and audience in grant.audiences):
                blocks.append(Block(audience, Cause.NAMED, (pupil_id,), places))
        if credited and grant is not None:
            until.append(grant.valid_until)
    blocked = {b.audience for b in blocks}
    audiences = tuple(a for a in wanted if a not in blocked)
    return Clearance(audiences, tuple(blocks), min(until) if audiences and until else None)

"""The consent gate: one pure function decides which audiences an episode is cleared for.

Audiences are tiers, narrowest first: class, families, public, directories. An episode asks for
a tier and, with it, every narrower one; a family grants a *set* of tiers (it may allow
`families` and refuse `class`). The effective audiences are the requested tiers intersected with
the granted set of every participant holding a valid grant; a participant without one empties
them. Every channel (pages, feeds, media, embeds, command line) asks this function.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from webradio.errors import N_, WebradioError

AUDIENCES: tuple[str, ...] = ("class", "families", "public", "directories")

AUDIENCE_LABELS = {
    "class": N_("la classe et l’école"),
    "families": N_("les familles"),
    "public": N_("le public"),
    "directories": N_("les annuaires de podcasts"),
}


def parse_audience(name: str) -> str:
    """Return `name` if it is an audience tier, else refuse with the list of tiers."""
    if name not in AUDIENCES:
        raise WebradioError(
            N_("Audience inconnue « %(name)s » ; choisir parmi : %(choices)s."),
            name=name,
            choices=", ".join(AUDIENCES),
        )
    return name


def parse_audiences(text: str) -> frozenset[str]:
    """Parse a comma-separated list of tiers ("class,families") into a set."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    return frozenset(parse_audience(name) for name in names)


def tiers_up_to(audience: str) -> tuple[str, ...]:
    """The tier `audience` and every narrower one, narrowest first."""
    return AUDIENCES[: AUDIENCES.index(parse_audience(audience)) + 1]


def ordered(audiences: Iterable[str]) -> tuple[str, ...]:
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
class Participant:
    """A pupil who speaks in an episode, with their current grant (None if none).

    `named_in` lists where the typed text (title, description, chapters) names them.
    """

    first_name: str
    grant: Grant | None
    named_in: tuple[str, ...] = ()


@dataclass(frozen=True)
class Blocked:
    """One requested audience the episode is not cleared for, and why, in words."""

    audience: str
    reason: str


@dataclass(frozen=True)
class Clearance:
    """The gate's answer: audiences cleared (narrowest first), those blocked, and until when."""

    audiences: tuple[str, ...]
    blocked: tuple[Blocked, ...]
    authorised_until: date | None

    def allows(self, audience: str) -> bool:
        """True when the episode may be shown to `audience`."""
        return audience in self.audiences


def clear(
    requested: str,
    participants: Sequence[Participant],
    no_pupil_voices: bool,
    today: date,
) -> Clearance:
    """Decide the audiences an episode is cleared for on `today` (a Paris calendar day)."""
    wanted = tiers_up_to(requested)
    if no_pupil_voices:
        return Clearance(wanted, (), None)
    if not participants:
        reason = N_("Aucun participant déclaré : indiquez qui parle, ou « aucune voix d'élève ».")
        return Clearance((), tuple(Blocked(a, reason) for a in wanted), None)
    cleared = set(wanted)
    reasons: dict[str, list[str]] = {a: [] for a in wanted}
    for person in participants:
        grant = person.grant
        if grant is None or not grant.valid_on(today):
            why = _no_valid_grant(person, today)
            for audience in wanted:
                reasons[audience].append(why)
            cleared.clear()
            continue
        if person.named_in and not grant.credit_first_name:
            # A first name the family did not allow may be said in class, never beyond.
            where = ", ".join(person.named_in)
            for audience in wanted[1:]:
                cleared.discard(audience)
                reasons[audience].append(
                    f"le prénom {person.first_name} apparaît ({where}) "
                    "sans l’accord de la famille pour le citer"
                )
        for audience in wanted:
            if audience not in grant.audiences:
                cleared.discard(audience)
                label = AUDIENCE_LABELS[audience]
                reasons[audience].append(f"{person.first_name} : pas d’autorisation pour {label}")
    valid_untils = [p.grant.valid_until for p in participants if p.grant is not None]
    audiences = ordered(cleared)
    blocked = tuple(Blocked(a, " ; ".join(reasons[a])) for a in wanted if a not in cleared)
    return Clearance(audiences, blocked, min(valid_untils) if audiences else None)


def _no_valid_grant(person: Participant, today: date) -> str:
    """Say why a participant's grant does not count."""
    grant = person.grant
    if grant is None:
        return f"{person.first_name} : aucune autorisation parentale enregistrée"
    if grant.withdrawn:
        return f"{person.first_name} : autorisation retirée par la famille"
    return f"{person.first_name} : autorisation expirée le {grant.valid_until.strftime('%d/%m/%Y')}"

"""Domain verbs for parental authorisations: grant, amend, withdraw, expire, each recorded as
an append-only event and an audit line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from webradio import audit, clearance, consent, publication
from webradio.clock import now_utc, school_year_end, school_year_label, today_paris
from webradio.errors import N_, WebradioError
from webradio.extensions import db
from webradio.models import ConsentEvent, ConsentGrant, Pupil


@dataclass(frozen=True)
class GrantRequest:
    """What a head records from a signed form."""

    audiences: frozenset[str]
    valid_until: date | None = None
    credit_first_name: bool = False
    signed_on: date | None = None
    guardians_signed: int | None = None
    pupil_assent: bool | None = None
    scan_key: str | None = None


def grant(pupil: Pupil, request: GrantRequest, actor_id: str | None = None) -> ConsentGrant:
    """Record the pupil's authorisation for this school year; a second one is an amendment."""
    record = stage_grant(pupil, request, actor_id)
    db.session.commit()
    publication.reconsider(clearance.episodes_of_pupil(pupil), actor_id)
    return record


def stage_grant(pupil: Pupil, request: GrantRequest, actor_id: str | None) -> ConsentGrant:
    """Validate and stage a grant or amendment with its event, without committing."""
    if pupil.erased_at is not None:
        raise WebradioError(N_("Cet élève a été effacé ; aucune autorisation ne peut être notée."))
    today = today_paris()
    until = _valid_until(request.valid_until, today)
    if request.guardians_signed not in (None, 1, 2):
        raise WebradioError(N_("Une autorisation est signée par un ou deux responsables légaux."))
    if request.signed_on is not None and request.signed_on > today:
        raise WebradioError(N_("La date de signature ne peut pas être dans le futur."))
    label = school_year_label(today)
    record = next((g for g in pupil.grants if g.school_year == label), None)
    before, kind = "", "granted"
    if record is None:
        record = ConsentGrant(pupil=pupil, school_year=label)
        db.session.add(record)
    else:
        before = record.audiences if record.withdrawn_at is None else ""
        kind = "amended"
    record.audiences = ",".join(consent.ordered(request.audiences))
    record.valid_until = until
    record.credit_first_name = request.credit_first_name
    record.withdrawn_at = None
    record.signed_on = request.signed_on or record.signed_on
    record.guardians_signed = request.guardians_signed or record.guardians_signed
    if request.pupil_assent is not None:
        record.pupil_assent = request.pupil_assent
    record.scan_key = request.scan_key or record.scan_key
    if record.signed_on is None or record.guardians_signed is None:
        raise WebradioError(
            N_(
                "%(name)s : indiquez la date de signature et qui a signé (un ou deux "
                "responsables légaux)."
            ),
            name=pupil.first_name,
        )
    _stage_event(record, kind, before, actor_id)
    return record


def is_first_grant(pupil: Pupil) -> bool:
    """True when no grant of this school year records its signature facts yet."""
    label = school_year_label(today_paris())
    record = next((g for g in pupil.grants if g.school_year == label), None)
    return record is None or record.signed_on is None or record.guardians_signed is None


def unchanged(record: ConsentGrant | None, request: GrantRequest) -> bool:
    """True when saving `request` over `record` would change nothing (the grid skips it)."""
    if record is None or record.withdrawn_at is not None:
        return False
    until = request.valid_until or school_year_end(today_paris())
    return (
        record.audience_set == request.audiences
        and record.valid_until == until
        and record.credit_first_name == request.credit_first_name
        and record.signed_on == (request.signed_on or record.signed_on)
        and record.guardians_signed == (request.guardians_signed or record.guardians_signed)
        and (request.pupil_assent is None or record.pupil_assent == request.pupil_assent)
        and request.scan_key is None
    )


def _valid_until(asked: date | None, today: date) -> date:
    """The last valid day: default and upper bound 31 August ending this school year."""
    year_end = school_year_end(today)
    until = asked or year_end
    if until > year_end:
        raise WebradioError(
            N_("Une autorisation vaut au plus jusqu'au %(end)s (fin de l'année scolaire)."),
            end=year_end.strftime("%d/%m/%Y"),
        )
    if until < today:
        raise WebradioError(N_("La date de fin de validité est déjà passée."))
    return until


def withdraw(
    pupil: Pupil, audiences: frozenset[str] | None = None, actor_id: str | None = None
) -> ConsentGrant:
    """Withdraw all (or some) audiences; every channel drops what is no longer cleared."""
    record = stage_withdrawal(pupil, audiences, actor_id)
    db.session.commit()
    publication.reconsider(clearance.episodes_of_pupil(pupil), actor_id)
    return record


def stage_withdrawal(
    pupil: Pupil, audiences: frozenset[str] | None, actor_id: str | None
) -> ConsentGrant:
    """Stage a total or partial withdrawal with its event, without committing."""
    record = clearance.grant_in_force(pupil, today_paris())
    if record is None or record.withdrawn_at is not None:
        raise WebradioError(N_("Cet élève n'a aucune autorisation en cours à retirer."))
    before = record.audiences
    remaining = set() if audiences is None else record.audience_set - audiences
    record.audiences = ",".join(consent.ordered(remaining))
    if not remaining:
        record.withdrawn_at = now_utc()
    _stage_event(record, "withdrawn", before, actor_id)
    return record


def sweep_expiries(today: date | None = None) -> list[ConsentGrant]:
    """Record an `expired` event for every grant whose last valid day has passed (once each)."""
    today = today or today_paris()
    candidates = db.session.scalars(
        select(ConsentGrant).where(
            ConsentGrant.valid_until < today, ConsentGrant.withdrawn_at.is_(None)
        )
    )
    expired = [g for g in candidates if all(e.kind != "expired" for e in g.events)]
    for record in expired:
        _stage_event(record, "expired", record.audiences, None)
    db.session.commit()
    return expired


def _stage_event(record: ConsentGrant, kind: str, before: str, actor_id: str | None) -> None:
    """Append the consent event and its audit line (committed with the change)."""
    db.session.flush()
    db.session.add(
        ConsentEvent(
            grant=record,
            kind=kind,
            audiences_before=before,
            audiences_after=record.audiences,
            valid_until=record.valid_until,
            actor_id=actor_id,
        )
    )
    audit.record(
        f"consent.{kind}",
        "grant",
        record.id,
        record.pupil.school_id,
        actor_id,
        pupil_id=record.pupil_id,
        audiences_before=list(consent.ordered(filter(None, before.split(",")))),
        audiences_after=list(consent.ordered(record.audience_set)),
        valid_until=record.valid_until,
    )


def history(record: ConsentGrant) -> list[ConsentEvent]:
    """The grant's events, oldest first (append-only)."""
    return sorted(record.events, key=lambda e: (e.at, e.id))


@dataclass(frozen=True)
class Change:
    """One line of the head's grid: a grant or amendment, or (request None) a total withdrawal."""

    pupil: Pupil
    request: GrantRequest | None


def save_many(changes: list[Change], actor_id: str | None) -> int:
    """Record every change in one transaction (all or none), then reconsider their episodes."""
    try:
        for change in changes:
            if change.request is None:
                stage_withdrawal(change.pupil, None, actor_id)
            else:
                stage_grant(change.pupil, change.request, actor_id)
    except WebradioError:
        db.session.rollback()
        raise
    db.session.commit()
    affected = {e.id: e for c in changes for e in clearance.episodes_of_pupil(c.pupil)}
    publication.reconsider(affected.values(), actor_id)
    return len(changes)

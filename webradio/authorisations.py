"""Domain verbs for parental authorisations: grant, amend, withdraw, each recorded as an event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from webradio import consent, publication
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


def grant(pupil: Pupil, request: GrantRequest, actor_id: str | None = None) -> ConsentGrant:
    """Record the pupil's authorisation for this school year; a second one is an amendment."""
    today = today_paris()
    year_end = school_year_end(today)
    until = request.valid_until or year_end
    if until > year_end:
        raise WebradioError(
            N_("Une autorisation vaut au plus jusqu'au %(end)s (fin de l'année scolaire)."),
            end=year_end.strftime("%d/%m/%Y"),
        )
    if until < today:
        raise WebradioError(N_("La date de fin de validité est déjà passée."))
    label = school_year_label(today)
    record = next((g for g in pupil.grants if g.school_year == label), None)
    before = ""
    kind = "granted"
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
    _record(record, kind, before, actor_id)
    publication.reconsider(publication.episodes_of_pupil(pupil))
    return record


def withdraw(
    pupil: Pupil, audiences: frozenset[str] | None = None, actor_id: str | None = None
) -> ConsentGrant:
    """Withdraw all (or some) audiences; every channel drops what is no longer cleared."""
    record = publication.current_grant(pupil, today_paris())
    if record is None or record.withdrawn_at is not None:
        raise WebradioError(N_("Cet élève n'a aucune autorisation en cours à retirer."))
    before = record.audiences
    remaining = set() if audiences is None else record.audience_set - audiences
    record.audiences = ",".join(consent.ordered(remaining))
    if not remaining:
        record.withdrawn_at = now_utc()
    _record(record, "withdrawn", before, actor_id)
    publication.reconsider(publication.episodes_of_pupil(pupil))
    return record


def _record(record: ConsentGrant, kind: str, before: str, actor_id: str | None) -> None:
    """Append the event for a change and commit it with the change."""
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
    db.session.commit()

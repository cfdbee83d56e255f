"""Domain verbs for organisations, schools, classes, pupils and staff accounts."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from werkzeug.security import generate_password_hash

from webradio import names, urls
from webradio.clock import now_utc
from webradio.errors import N_, NotFound, WebradioError
from webradio.extensions import db
from webradio.ids import new_id
from webradio.models import ROLES, Organisation, Pupil, School, SchoolClass, User
from webradio.publishing.feed import podcast_guid_for

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def default_organisation() -> Organisation:
    """The instance's organisation, created on first use."""
    org = db.session.scalars(select(Organisation).limit(1)).first()
    if org is None:
        org = Organisation(name="Ville", podcast_guid=podcast_guid_for(urls.city_feed()))
        db.session.add(org)
        db.session.flush()
    return org


def create_school(slug: str, name: str) -> School:
    """Create a school with a fixed slug; its podcast GUID is computed once and stored."""
    if not SLUG.match(slug):
        raise WebradioError(
            N_("Identifiant d'école invalide « %(slug)s » : minuscules, chiffres et tirets."),
            slug=slug,
        )
    if db.session.scalars(select(School).filter_by(slug=slug)).first():
        raise WebradioError(N_("L'école « %(slug)s » existe déjà."), slug=slug)
    school = School(
        slug=slug,
        name=name,
        organisation_id=default_organisation().id,
        preset=current_app.config["DEFAULT_PRESET"],
        podcast_guid=podcast_guid_for(urls.feed(slug)),
    )
    db.session.add(school)
    db.session.commit()
    return school


def get_school(slug: str) -> School:
    """The school with this slug, or NotFound."""
    school = db.session.scalars(select(School).filter_by(slug=slug)).first()
    if school is None:
        raise NotFound(N_("Aucune école « %(slug)s »."), slug=slug)
    return school


def school_summary(school: School) -> dict[str, object]:
    """What `school show --json` prints."""
    return {
        "id": school.id,
        "slug": school.slug,
        "name": school.name,
        "page_url": urls.school_page(school.slug),
        "feed_url": urls.feed(school.slug),
        "city_feed_url": urls.city_feed(),
        "podcast_guid": school.podcast_guid,
        "preset": school.preset,
        "noise_reduction": bool(school.noise_reduction),
        "classes": [c.label for c in school.classes],
    }


def get_or_create_class(school: School, label: str) -> SchoolClass:
    """The school's class with this label, created if new."""
    found = db.session.scalars(
        select(SchoolClass).filter_by(school_id=school.id, label=label)
    ).first()
    if found is None:
        found = SchoolClass(school_id=school.id, label=label)
        db.session.add(found)
        db.session.flush()
    return found


def add_pupil(school: School, class_label: str, first_name: str) -> Pupil:
    """Add a pupil by first name only (one to three words of letters); never a surname."""
    pupil = Pupil(
        school_id=school.id,
        class_id=get_or_create_class(school, class_label).id,
        first_name=names.check_first_name(first_name),
    )
    db.session.add(pupil)
    db.session.commit()
    return pupil


def get_pupil(pupil_id: str) -> Pupil:
    """The pupil with this id, or NotFound."""
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None:
        raise NotFound(N_("Aucun élève avec l'identifiant « %(id)s »."), id=pupil_id)
    return pupil


def create_user(email: str, role: str, password: str, school: School | None) -> User:
    """Create a staff account with a hashed password; heads and teachers belong to a school."""
    if role not in ROLES:
        raise WebradioError(
            N_("Rôle inconnu « %(role)s » ; choisir parmi : %(choices)s."),
            role=role,
            choices=", ".join(ROLES),
        )
    if role != "city-admin" and school is None:
        raise WebradioError(N_("Un directeur ou un enseignant doit être rattaché à une école."))
    if len(password) < 8:
        raise WebradioError(N_("Le mot de passe doit compter au moins 8 caractères."))
    email = email.strip().lower()
    if db.session.scalars(select(User).filter_by(email=email)).first():
        raise WebradioError(N_("Un compte existe déjà pour %(email)s."), email=email)
    user = User(
        email=email,
        role=role,
        password_hash=generate_password_hash(password),
        school_id=school.id if school else None,
    )
    db.session.add(user)
    db.session.commit()
    return user


def studio_is_open(school_class: SchoolClass) -> bool:
    """True while the class's studio code is live (set and not expired)."""
    return (
        school_class.studio_code is not None
        and school_class.studio_expires_at is not None
        and school_class.studio_expires_at >= now_utc()
    )


def open_studio(school_class: SchoolClass) -> str:
    """Open the class's studio: the live code when there is one (tablets in use keep working),
    otherwise a fresh short code valid for the configured hours."""
    if not studio_is_open(school_class):
        # Compare and set: of two clicks at once (a double tap, two teachers), one opens the
        # studio and the other gets its code, so no tablet is handed a code replaced at once.
        now = now_utc()
        hours = int(current_app.config["STUDIO_CODE_HOURS"])
        closed = or_(SchoolClass.studio_expires_at.is_(None), SchoolClass.studio_expires_at < now)
        db.session.execute(
            update(SchoolClass)
            .where(SchoolClass.id == school_class.id, closed)
            .values(studio_code=new_id(6), studio_expires_at=now + timedelta(hours=hours))
        )
        db.session.commit()
        db.session.refresh(school_class)
    assert school_class.studio_code is not None
    return school_class.studio_code


def new_studio_code(school_class: SchoolClass) -> str:
    """Give the class a fresh studio code. In an open studio the studio stays the same, with
    the same end: tablets that entered with the old code keep their studio ticket
    (webradio.web.studio), so a take being recorded still lands; new tablets need the new code.
    A closed or expired studio opens anew for the configured hours (its end tells one opening
    from the next, so tickets of a closed studio never work again)."""
    if not studio_is_open(school_class):
        hours = int(current_app.config["STUDIO_CODE_HOURS"])
        school_class.studio_expires_at = now_utc() + timedelta(hours=hours)
    school_class.studio_code = new_id(6)
    db.session.commit()
    return school_class.studio_code


def close_studio(school_class: SchoolClass) -> None:
    """Revoke the class's studio code at once (and every tablet's ticket with it)."""
    school_class.studio_code = None
    school_class.studio_expires_at = None
    db.session.commit()


def class_for_studio_code(code: str) -> SchoolClass:
    """The class a live studio code opens, or NotFound (unknown, revoked or expired)."""
    found = db.session.scalars(
        select(SchoolClass).filter_by(studio_code=code.strip().lower())
    ).first()
    if found is None or found.studio_expires_at is None or found.studio_expires_at < now_utc():
        raise NotFound(
            N_("Ce code de studio n'est pas valide ou a expiré. Demandez-en un nouveau.")
        )
    return found


# --- The head's settings page -----------------------------------------------------------------

_CONTACT = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
DESCRIPTION_MAX = 4000  # what Apple Podcasts shows of a show's description


def _check_names_no_pupil(school: School, description: str) -> None:
    """Refuse a radio description naming a pupil of the school: it is public in every feed and
    on the school's page, under no family's authorisation. A first name that is also a word of
    the school's own name ("Jules" at École Jules-Ferry) is left to the head."""
    pupils = list(db.session.scalars(select(Pupil).filter_by(school_id=school.id, erased_at=None)))
    known = names.known_by(pupils)
    named = {m.pupil_id for m in names.find({"description": description}, known)}
    named -= {m.pupil_id for m in names.find({"name": school.name}, known)}
    found = [p for p in pupils if p.id in named]
    if found:
        raise WebradioError(
            N_(
                "La description nomme un élève de l’école (%(name)s) : elle est publique dans "
                "chaque flux et sur la page de la radio, sans autorisation d’aucune famille. "
                "Retirez ce prénom, quelle que soit son écriture."
            ),
            name=", ".join(sorted(p.first_name for p in found)),
            field="description",
        )


def update_settings(
    school: School,
    *,
    description: str,
    contact_email: str,
    directories_opt_in: bool,
    preset: str,
    noise_reduction: bool | None = None,
) -> School:
    """Save the school's radio settings at once, after checking every field (nothing is saved
    when one is refused). The public feed follows the commit (webradio.outputs).

    `noise_reduction` (None: unchanged) reduces background noise in the renders of every
    episode that does not choose for itself; masters already made do not change."""
    from webradio.audio.presets import PRESETS

    description = description.strip()
    if len(description) > DESCRIPTION_MAX:
        raise WebradioError(
            N_("La description est trop longue (au plus %(max)d caractères)."), max=DESCRIPTION_MAX
        )
    contact = contact_email.strip().lower() or None
    if contact is not None and (len(contact) > 200 or not _CONTACT.match(contact)):
        raise WebradioError(
            N_("« %(email)s » n’est pas une adresse e-mail valide (exemple : radio@ecole.fr)."),
            email=contact_email.strip(),
        )
    if preset not in PRESETS:
        raise WebradioError(N_("Choisissez un réglage du son dans la liste."))
    _check_names_no_pupil(school, description)
    school.description = description
    school.contact_email = contact
    school.directories_opt_in = directories_opt_in
    school.preset = preset
    if noise_reduction is not None:
        school.noise_reduction = noise_reduction
    db.session.commit()
    return school

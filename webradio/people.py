"""Who is on record in a school: its classes, pupils and staff accounts, and password resets.

Every query is scoped to one school; an erased pupil is never listed (their first name is gone
and only their id stays, in consent records, as proof).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import selectinload
from werkzeug.security import generate_password_hash

from webradio import sharing
from webradio.errors import N_, NotFound, WebradioError
from webradio.extensions import db
from webradio.models import FamilyToken, Pupil, School, SchoolClass, User

PASSWORD_MIN_CHARS = 8
FAMILIES_MAX = 60
FAMILY_LABEL = "{label} — famille {n}"


@dataclass(frozen=True)
class ClassRow:
    """A class of a school and how many of its pupils are on record (not erased)."""

    id: str
    label: str
    pupils: int

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of `class list --json`."""
        return asdict(self)


@dataclass(frozen=True)
class PupilRow:
    """A pupil on record: their id, first name and class."""

    id: str
    first_name: str
    class_id: str
    class_label: str

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of `pupil list --json`."""
        return asdict(self)


@dataclass(frozen=True)
class UserRow:
    """A staff account: id, e-mail, role code and school slug (None for the city)."""

    id: str
    email: str
    role: str
    school: str | None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of `user list --json`."""
        return asdict(self)


def list_classes(school: School, archived: bool = False) -> list[ClassRow]:
    """The school's classes by label, each with its number of pupils on record (archived
    pupils left out): the classes on roll, or with `archived` the archived ones."""
    counted = (
        select(Pupil.class_id, func.count(Pupil.id).label("n"))
        .where(Pupil.school_id == school.id, Pupil.erased_at.is_(None), Pupil.archived_at.is_(None))
        .group_by(Pupil.class_id)
        .subquery()
    )
    shelved = (
        SchoolClass.archived_at.is_not(None) if archived else SchoolClass.archived_at.is_(None)
    )
    rows = db.session.execute(
        select(SchoolClass.id, SchoolClass.label, func.coalesce(counted.c.n, 0))
        .outerjoin(counted, counted.c.class_id == SchoolClass.id)
        .where(SchoolClass.school_id == school.id, shelved)
        .order_by(SchoolClass.label, SchoolClass.id)
    )
    return [ClassRow(id=i, label=label, pupils=int(n)) for i, label, n in rows]


def get_class(school: School, class_id: str) -> ClassRow:
    """One class of the school (with its count), or NotFound."""
    for row in list_classes(school):
        if row.id == class_id:
            return row
    raise NotFound(N_("Aucune classe « %(id)s » dans cette école."), id=class_id)


def _class_by_label(school: School, label: str) -> SchoolClass:
    """The school's class with this label, or NotFound (never created here)."""
    found = db.session.scalars(
        select(SchoolClass).filter_by(school_id=school.id, label=label)
    ).first()
    if found is None:
        raise NotFound(N_("Aucune classe « %(label)s » dans cette école."), label=label)
    return found


def list_pupils(
    school: School, class_label: str | None = None, archived: bool = False
) -> list[PupilRow]:
    """The school's pupils on roll (erased ones never), by class then first name; with
    `archived`, those archived one by one instead."""
    query = (
        select(Pupil, SchoolClass.label)
        .join(SchoolClass, SchoolClass.id == Pupil.class_id)
        .where(Pupil.school_id == school.id, Pupil.erased_at.is_(None), _shelved(archived))
        .order_by(SchoolClass.label, Pupil.first_name, Pupil.id)
    )
    if class_label is not None:
        query = query.where(Pupil.class_id == _class_by_label(school, class_label).id)
    rows = [
        PupilRow(id=p.id, first_name=p.first_name, class_id=p.class_id, class_label=label)
        for p, label in db.session.execute(query)
    ]
    return sorted(rows, key=lambda r: (r.class_label, reading_order(r.first_name)))


def reading_order(text: str) -> str:
    """A sort key that files names as a French reader does: « Élise » among the E, not after
    « Zoé » (the database sorts by code point); accents and case set aside."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").casefold()


def _shelved(archived: bool) -> ColumnElement[bool]:
    """Pupils on roll (neither they nor their class archived), or those archived one by one
    from a class on roll (an archived class stands for its pupils)."""
    if archived:
        return and_(Pupil.archived_at.is_not(None), SchoolClass.archived_at.is_(None))
    return and_(Pupil.archived_at.is_(None), SchoolClass.archived_at.is_(None))


def pupils_on_roll(school: School) -> list[Pupil]:
    """The pupils staff may pick (participants, voices, whom not to record): not erased, not
    archived, in a class on roll; by first name."""
    found = db.session.scalars(
        select(Pupil)
        .join(SchoolClass, SchoolClass.id == Pupil.class_id)
        .where(Pupil.school_id == school.id, Pupil.erased_at.is_(None), _shelved(False))
        .order_by(Pupil.first_name, Pupil.id)
        .options(selectinload(Pupil.grants))  # whom not to record: one query for every grant
    )
    return sorted(found, key=lambda p: reading_order(p.first_name))


def classes_on_roll(school: School) -> list[SchoolClass]:
    """The school's classes not archived, by label (studio codes, upload pickers)."""
    return list(
        db.session.scalars(
            select(SchoolClass)
            .where(SchoolClass.school_id == school.id, SchoolClass.archived_at.is_(None))
            .order_by(SchoolClass.label, SchoolClass.id)
        )
    )


def list_users(school: School | None = None) -> list[UserRow]:
    """Staff accounts by e-mail: every account, or only those of `school`."""
    query = (
        select(User, School.slug)
        .outerjoin(School, School.id == User.school_id)
        .order_by(User.email, User.id)
    )
    if school is not None:
        query = query.where(User.school_id == school.id)
    return [
        UserRow(id=u.id, email=u.email, role=u.role, school=slug)
        for u, slug in db.session.execute(query)
    ]


def create_class_family_tokens(school: School, class_id: str, count: int) -> list[FamilyToken]:
    """Create `count` family accesses for a class, labelled "CM2 A — famille N" (never a name).

    Numbers follow the highest one the class's labels already carry (revoked ones included), so
    a second batch never repeats a label that was handed out.
    """
    school_class = get_class(school, class_id)
    if not 1 <= count <= FAMILIES_MAX:
        raise WebradioError(
            N_("Indiquez un nombre de familles entre 1 et %(max)d."), max=FAMILIES_MAX
        )
    numbered = re.compile(
        re.escape(FAMILY_LABEL.format(label=school_class.label, n="")) + r"(\d+)$"
    )
    taken = [numbered.match(t.label) for t in sharing.list_tokens(school)]
    start = max((int(m.group(1)) for m in taken if m), default=0) + 1
    return [
        sharing.create_token(school, FAMILY_LABEL.format(label=school_class.label, n=n))
        for n in range(start, start + count)
    ]


def check_password(password: str) -> None:
    """Refuse a password too short to keep an account safe."""
    if len(password) < PASSWORD_MIN_CHARS:
        raise WebradioError(
            N_("Le mot de passe doit compter au moins %(n)d caractères."), n=PASSWORD_MIN_CHARS
        )


def reset_password(email: str, password: str) -> User:
    """Give the account with this e-mail a new password; the old one stops working at once."""
    user = db.session.scalars(select(User).filter_by(email=email.strip().lower())).first()
    if user is None:
        raise NotFound(N_("Aucun compte pour %(email)s."), email=email)
    check_password(password)
    user.password_hash = generate_password_hash(password)
    db.session.commit()
    return user


# The head's page (/ecole/eleves): classes and pupils changed in the browser. Each verb checks,
# then commits once; the app rewrites the public outputs after the commit by itself.

from collections import Counter  # noqa: E402

from webradio import names, roster  # noqa: E402
from webradio.clock import now_utc, school_year_label, today_paris  # noqa: E402


def school_class_of(school: School, class_id: str) -> SchoolClass:
    """The school's class with this id, or NotFound (another school's class is not visible)."""
    found = db.session.get(SchoolClass, class_id)
    if found is None or found.school_id != school.id:
        raise NotFound(N_("Cette classe n'existe pas (ou plus) dans votre école."))
    return found


def _pupil_on_record(school: School, pupil_id: str) -> Pupil:
    """The school's pupil with this id, not erased, or NotFound."""
    found = db.session.get(Pupil, pupil_id)
    if found is None or found.school_id != school.id or found.erased_at is not None:
        raise NotFound(N_("Cet élève n'existe pas (ou plus) dans votre école."))
    return found


def _refuse_taken_label(school: School, label: str, keep: SchoolClass | None = None) -> None:
    """Refuse a class label another class of the school already has."""
    taken = db.session.scalars(
        select(SchoolClass).filter_by(school_id=school.id, label=label)
    ).first()
    if taken is not None and taken is not keep:
        raise WebradioError(N_("Il y a déjà une classe « %(label)s » dans l'école."), label=label)


def create_class(school: School, label: str) -> SchoolClass:
    """Create a class of the school under a label no other class has."""
    checked = roster.check_class_label(label)
    _refuse_taken_label(school, checked)
    created = SchoolClass(school_id=school.id, label=checked)
    db.session.add(created)
    db.session.commit()
    return created


def rename_class(school: School, class_id: str, label: str) -> SchoolClass:
    """Give one of the school's classes a new label no other class has."""
    school_class = school_class_of(school, class_id)
    checked = roster.check_class_label(label)
    _refuse_taken_label(school, checked, keep=school_class)
    school_class.label = checked
    db.session.commit()
    return school_class


def rename_pupil(school: School, pupil_id: str, first_name: str) -> Pupil:
    """Correct a pupil's first name (first names only, checked as when they were added). The
    former name is kept among the names the gate looks for: texts typed before the correction
    still name the child (an erasure removes it with the rest)."""
    pupil = _pupil_on_record(school, pupil_id)
    checked = names.check_first_name(first_name)
    keys = {names.key(checked)}
    kept = []
    for name in pupil.known_names:
        if names.key(name) not in keys:
            keys.add(names.key(name))
            kept.append(name)
    pupil.first_name, pupil.former_names = checked, "\n".join(kept)
    db.session.commit()
    return pupil


def move_pupil(school: School, pupil_id: str, class_id: str) -> Pupil:
    """Move a pupil to another class of the same school."""
    pupil = _pupil_on_record(school, pupil_id)
    pupil.class_id = class_on_roll(school, class_id).id
    db.session.commit()
    return pupil


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the pupils added, how many lines were already on record, and how
    many refused lines the head chose to leave out."""

    added: list[Pupil]
    already: int
    left_out: int = 0


def already_on_record(school: School, lines: list[tuple[str, str]]) -> list[bool]:
    """For each (first name, class label) line, whether a pupil on record already matches it.

    Names compare as the consent gate reads them ("Lou Anne" is "Lou-Anne"); each pupil on
    record matches one line only, so a class with two Léo imports the second one.
    """
    on_record = Counter((names.key(p.first_name), p.class_label) for p in list_pupils(school))
    marks = []
    for first_name, label in lines:
        wanted = (names.key(first_name), " ".join(label.split()))
        marks.append(on_record[wanted] > 0)
        on_record[wanted] -= 1
    return marks


def import_roster(
    school: School, lines: list[tuple[str, str]], skip_refused: bool = False
) -> ImportResult:
    """Add every (first name, class label) line in one transaction: all of them, or none.

    Each line is checked again here (the preview is only what the head saw). A refused line
    stops the whole import unless `skip_refused`, the head's confirmation that refused lines
    are left out; a line matching a pupil already on record in that class is left as it is
    (importing the same list twice adds no one); classes that do not exist yet are created.
    """
    checked: list[tuple[str, str]] = []
    refused = 0
    for raw_name, raw_class in lines:
        try:
            checked.append((names.check_first_name(raw_name), roster.check_class_label(raw_class)))
        except WebradioError:
            refused += 1
    if refused and not skip_refused:
        raise WebradioError(
            N_(
                "%(n)d ligne(s) de la liste sont refusées : corrigez le fichier, ou confirmez "
                "que ces lignes sont laissées de côté. Aucun élève n'a été ajouté."
            ),
            n=refused,
        )
    if not checked:
        raise WebradioError(N_("Aucun élève à importer dans cette liste."))
    known = already_on_record(school, checked)
    classes = {c.label: c for c in school.classes}
    added = []
    try:
        for (first_name, label), on_record in zip(checked, known, strict=True):
            if on_record:
                continue
            if label not in classes:
                classes[label] = SchoolClass(school_id=school.id, label=label)
                db.session.add(classes[label])
                db.session.flush()
            pupil = Pupil(school_id=school.id, class_id=classes[label].id, first_name=first_name)
            db.session.add(pupil)
            added.append(pupil)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return ImportResult(added=added, already=sum(known), left_out=refused)


# Archives: a class or a pupil of a past year leaves the lists and pickers, and comes back on
# demand. Nothing is erased: consent records, takes and published episodes stay as they are.

ARCHIVED = N_("Cette classe est archivée : restaurez-la d'abord.")


def class_on_roll(school: School, class_id: str) -> SchoolClass:
    """The school's class with this id, refused when archived (no pupil goes into it)."""
    found = school_class_of(school, class_id)
    if found.archived_at is not None:
        raise WebradioError(ARCHIVED)
    return found


def _archived_label(school: School, label: str) -> str:
    """The label an archived class takes, so that next year's class may take its name back:
    "CM2 A (2025-2026)", numbered when two archives of a year share it."""
    year = school_year_label(today_paris())
    taken = set(db.session.scalars(select(SchoolClass.label).filter_by(school_id=school.id)))
    for n in range(1, 1000):
        suffix = f" ({year})" if n == 1 else f" ({year}, {n})"
        candidate = label[: roster.CLASS_LABEL_MAX - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
    raise WebradioError(N_("Trop de classes archivées sous ce nom."))


def archive_classes(school: School, class_ids: list[str]) -> list[SchoolClass]:
    """Archive these classes of the school at once (a school-year rollover): each leaves the
    lists with its pupils, its studio code stops working, and its name becomes free."""
    if not class_ids:
        raise WebradioError(N_("Cochez au moins une classe à archiver."))
    chosen = [school_class_of(school, i) for i in dict.fromkeys(class_ids)]
    now = now_utc()
    for school_class in chosen:
        if school_class.archived_at is not None:
            continue
        school_class.label = _archived_label(school, school_class.label)
        school_class.archived_at = now
        school_class.studio_code = school_class.studio_expires_at = None
        db.session.flush()
    db.session.commit()
    return chosen


def restore_class(school: School, class_id: str) -> SchoolClass:
    """Bring an archived class back on roll, with its pupils (its name stays as archived)."""
    school_class = school_class_of(school, class_id)
    school_class.archived_at = None
    db.session.commit()
    return school_class


def archive_pupil(school: School, pupil_id: str) -> Pupil:
    """Archive a pupil who left: out of the lists and pickers; consent and episodes unchanged."""
    pupil = _pupil_on_record(school, pupil_id)
    pupil.archived_at = pupil.archived_at or now_utc()
    db.session.commit()
    return pupil


def restore_pupil(school: School, pupil_id: str) -> Pupil:
    """Bring an archived pupil back on roll (in a class on roll)."""
    pupil = _pupil_on_record(school, pupil_id)
    if pupil.school_class.archived_at is not None:
        raise WebradioError(
            N_("La classe de %(name)s est archivée : restaurez la classe."), name=pupil.first_name
        )
    pupil.archived_at = None
    db.session.commit()
    return pupil

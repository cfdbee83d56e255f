"""The tables. No surname column exists anywhere: pupils have a first name or a pseudonym."""

from __future__ import annotations

import contextlib
import json
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webradio.clock import now_utc
from webradio.errors import WebradioError
from webradio.extensions import db
from webradio.ids import new_id

ROLES = ("city-admin", "head", "teacher")


class EpisodeState(StrEnum):
    """Where an episode stands; compares equal to the stored name."""

    DRAFT = "draft"
    RENDERING = "rendering"
    READY = "ready"
    FAILED = "failed"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class TakeState(StrEnum):
    """Where a take stands."""

    UPLOADED = "uploaded"
    ANALYSING = "analysing"
    READY = "ready"
    FAILED = "failed"


class JobState(StrEnum):
    """Where a background job stands."""

    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


class TakeOrigin(StrEnum):
    """How a piece of sound arrived: staff upload, a class studio (pupils' voices by
    definition, never attested voice-free), or a school jingle."""

    STAFF = "staff"
    STUDIO = "studio"
    JINGLE = "jingle"


def _id_column() -> Mapped[str]:
    """A primary key holding a short opaque id."""
    return mapped_column(String(16), primary_key=True, default=new_id)


def _created() -> Mapped[datetime]:
    """A creation timestamp (naive UTC)."""
    return mapped_column(DateTime, default=now_utc, nullable=False)


# Refusals of the file itself (too long, unreadable, silent, only room tone, an empty cut):
# processing it again gives the same answer, so no page offers to.
FILE_REFUSALS = frozenset(
    {"not_audio", "empty", "too_short", "too_long", "silence", "room_tone", "empty_part"}
)


class Failing:
    """A take or an episode that can fail: its reason in French (as the command line and the
    JSON show it), and the message and fields it was made of (`failure_json`), so that a page
    says it in its reader's language and knows whether trying again can help."""

    failure_reason: Mapped[str | None] = mapped_column(Text)
    failure_json: Mapped[str | None] = mapped_column(Text)

    def fail_with(self, reason: str | WebradioError | None) -> None:
        """Record `reason` (a refusal keeps its message, fields and code beside the text)."""
        self.failure_reason = None if reason is None else str(reason)
        self.failure_json = None
        if isinstance(reason, WebradioError):
            stored = {"message": reason.message, "params": reason.params}
            with contextlib.suppress(TypeError, ValueError):
                self.failure_json = json.dumps(stored | {"code": getattr(reason, "code", None)})

    def _stored_failure(self) -> dict[str, Any]:
        """What fail_with kept, when it still makes the reason shown (code elsewhere may set
        the reason alone, leaving an older record behind: it is ignored)."""
        try:
            stored = json.loads(self.failure_json or "{}")
            message, params = stored["message"], stored["params"]
            made = message % params if params else message
        except (KeyError, TypeError, ValueError):
            return {}
        return stored if made == self.failure_reason else {}

    @property
    def failure_message(self) -> tuple[str, dict[str, Any]]:
        """The reason's French message and its fields, to translate then fill."""
        stored = self._stored_failure()
        return (stored["message"], stored["params"]) if stored else (self.failure_reason or "", {})

    @property
    def worth_retrying(self) -> bool:
        """Whether processing again may succeed (not when the file itself was refused)."""
        return self._stored_failure().get("code") not in FILE_REFUSALS


class Organisation(db.Model):  # type: ignore[name-defined]
    """The city or group of towns that runs this instance."""

    __tablename__ = "organisation"
    id: Mapped[str] = _id_column()
    name: Mapped[str] = mapped_column(String(200))
    podcast_guid: Mapped[str | None] = mapped_column(String(36))  # the city feed's, set once
    created_at: Mapped[datetime] = _created()


class School(db.Model):  # type: ignore[name-defined]
    """A school and its radio (one podcast)."""

    __tablename__ = "school"
    id: Mapped[str] = _id_column()
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    preset: Mapped[str] = mapped_column(String(32), default="podcast")
    podcast_guid: Mapped[str] = mapped_column(String(36))
    directories_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_email: Mapped[str | None] = mapped_column(String(200))
    artwork_key: Mapped[str | None] = mapped_column(String(200))
    intro_jingle_id: Mapped[str | None] = mapped_column(ForeignKey("take.id", use_alter=True))
    outro_jingle_id: Mapped[str | None] = mapped_column(ForeignKey("take.id", use_alter=True))
    # Broadband noise reduction in every render (ventilation, hiss), unless an episode says.
    noise_reduction: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now_utc, onupdate=now_utc)

    classes: Mapped[list[SchoolClass]] = relationship(back_populates="school")
    intro_jingle: Mapped[Take | None] = relationship(
        foreign_keys=[intro_jingle_id], post_update=True
    )
    outro_jingle: Mapped[Take | None] = relationship(
        foreign_keys=[outro_jingle_id], post_update=True
    )


class User(UserMixin, db.Model):  # type: ignore[name-defined]
    """A staff account: city admin, school head or teacher. Pupils have none."""

    __tablename__ = "user_account"
    id: Mapped[str] = _id_column()
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    school_id: Mapped[str | None] = mapped_column(ForeignKey("school.id"))
    created_at: Mapped[datetime] = _created()
    # Bumped at each sign-out: session cookies made before it stop working (web.auth).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A disabled account cannot sign in and its sessions end (webradio.accounts).
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)

    school: Mapped[School | None] = relationship()


class PasswordLink(db.Model):  # type: ignore[name-defined]
    """A one-time link to choose a password (an invitation or a reset): only the SHA-256 of
    its secret is stored; it works once, until `expires_at`."""

    __tablename__ = "password_link"
    id: Mapped[str] = _id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))  # invitation, reset
    created_by: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class SchoolClass(db.Model):  # type: ignore[name-defined]
    """A class of a school; its studio code lets a tablet upload takes into it."""

    __tablename__ = "school_class"
    __table_args__ = (UniqueConstraint("school_id", "label"),)
    id: Mapped[str] = _id_column()
    school_id: Mapped[str] = mapped_column(ForeignKey("school.id"))
    label: Mapped[str] = mapped_column(String(64))
    studio_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    studio_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Archived (a past school year): hidden from lists and pickers, kept with its pupils.
    archived_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = _created()

    school: Mapped[School] = relationship(back_populates="classes")
    pupils: Mapped[list[Pupil]] = relationship(back_populates="school_class")


class Pupil(db.Model):  # type: ignore[name-defined]
    """A pupil, known by first name or pseudonym only."""

    __tablename__ = "pupil"
    id: Mapped[str] = _id_column()
    school_id: Mapped[str] = mapped_column(ForeignKey("school.id"))
    class_id: Mapped[str] = mapped_column(ForeignKey("school_class.id"))
    first_name: Mapped[str] = mapped_column(String(64))
    # The first names they had before a correction, one a line: texts typed under an old name
    # still name them (the gate looks for these too; erasure removes them).
    former_names: Mapped[str] = mapped_column(Text, default="", server_default="")
    erased_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Archived (left the school): hidden from lists and pickers; consent and episodes unchanged.
    archived_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = _created()

    school_class: Mapped[SchoolClass] = relationship(back_populates="pupils")
    grants: Mapped[list[ConsentGrant]] = relationship(back_populates="pupil")

    @property
    def known_names(self) -> tuple[str, ...]:
        """Every first name typed text may know them by: the current one, then the former."""
        return (self.first_name, *(n for n in (self.former_names or "").splitlines() if n))


class ConsentGrant(db.Model):  # type: ignore[name-defined]
    """A family's authorisation for one school year: a set of audiences, until a date."""

    __tablename__ = "consent_grant"
    __table_args__ = (UniqueConstraint("pupil_id", "school_year"),)
    id: Mapped[str] = _id_column()
    pupil_id: Mapped[str] = mapped_column(ForeignKey("pupil.id"))
    school_year: Mapped[str] = mapped_column(String(9))
    audiences: Mapped[str] = mapped_column(String(64), default="")  # comma-separated tiers
    credit_first_name: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_until: Mapped[date] = mapped_column(Date)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    signed_on: Mapped[date | None] = mapped_column(Date)
    guardians_signed: Mapped[int | None] = mapped_column(Integer)  # 1 or 2, never their names
    pupil_assent: Mapped[bool | None] = mapped_column(Boolean)  # older pupils' own agreement
    scan_key: Mapped[str | None] = mapped_column(String(200))  # the signed form, kept private
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now_utc, onupdate=now_utc)

    pupil: Mapped[Pupil] = relationship(back_populates="grants")
    events: Mapped[list[ConsentEvent]] = relationship(
        back_populates="grant", order_by="ConsentEvent.at"
    )

    @property
    def audience_set(self) -> frozenset[str]:
        """The granted tiers as a set."""
        return frozenset(a for a in self.audiences.split(",") if a)


class ConsentEvent(db.Model):  # type: ignore[name-defined]
    """An append-only record of a consent change: who recorded what, when."""

    __tablename__ = "consent_event"
    id: Mapped[str] = _id_column()
    grant_id: Mapped[str] = mapped_column(ForeignKey("consent_grant.id"))
    kind: Mapped[str] = mapped_column(String(16))  # granted, amended, withdrawn, expired
    audiences_before: Mapped[str] = mapped_column(String(64), default="")
    audiences_after: Mapped[str] = mapped_column(String(64), default="")
    valid_until: Mapped[date | None] = mapped_column(Date)
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=now_utc)

    grant: Mapped[ConsentGrant] = relationship(back_populates="events")


class Take(Failing, db.Model):  # type: ignore[name-defined]
    """A raw recording, kept untouched and addressed by its content hash."""

    __tablename__ = "take"
    id: Mapped[str] = _id_column()
    school_id: Mapped[str] = mapped_column(ForeignKey("school.id"))
    class_id: Mapped[str | None] = mapped_column(ForeignKey("school_class.id"))
    uploaded_by: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    label: Mapped[str] = mapped_column(String(200), default="")
    origin: Mapped[str] = mapped_column(String(16), default=TakeOrigin.STAFF)
    # Staff attestation that no pupil speaks in it (never for a studio take).
    voice_free: Mapped[bool] = mapped_column(Boolean, default=False)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=TakeState.UPLOADED)
    analysis_json: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)  # raw audio gone (retention)
    created_at: Mapped[datetime] = _created()

    speakers: Mapped[list[Pupil]] = relationship(secondary="take_speaker")

    @property
    def analysis(self) -> dict[str, Any] | None:
        """The stored analysis report, decoded."""
        return json.loads(self.analysis_json) if self.analysis_json else None


class Episode(Failing, db.Model):  # type: ignore[name-defined]
    """An episode: ordered parts rendered to one master, its participants and audience."""

    __tablename__ = "episode"
    id: Mapped[str] = _id_column()
    guid: Mapped[str] = mapped_column(String(64), unique=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("school.id"))
    created_by: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    series: Mapped[str] = mapped_column(String(100), default="")
    requested_audience: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=EpisodeState.DRAFT)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)  # a teacher's request
    # The head's answer to the last request: approved or refused, and why, for the teacher.
    review_decision: Mapped[str | None] = mapped_column(String(16))
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    approved_by: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    media_key: Mapped[str | None] = mapped_column(String(200))
    media_size: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    chapters_json: Mapped[str | None] = mapped_column(Text)
    render_report_json: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_audiences: Mapped[str] = mapped_column(String(64), default="")  # ever shown to
    transcript: Mapped[str | None] = mapped_column(Text)
    shared_with_city: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(String(32))  # consent, expiry, erasure
    abandoned_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The jingles rendered into the current master (their voices are the episode's too).
    intro_jingle_id: Mapped[str | None] = mapped_column(ForeignKey("take.id"))
    outro_jingle_id: Mapped[str | None] = mapped_column(ForeignKey("take.id"))
    # Noise reduction for this episode's renders; None follows the school's setting.
    noise_reduction: Mapped[bool | None] = mapped_column(Boolean)
    # A teacher's correction of the words of an episode published beyond the class, waiting
    # for the head (JSON: title, description, chapter titles by part id); the episode shows
    # its former words meanwhile. Then the head's answer to the last correction, and why.
    pending_edit_json: Mapped[str | None] = mapped_column(Text)
    pending_edit_by: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    pending_edit_at: Mapped[datetime | None] = mapped_column(DateTime)
    edit_review_decision: Mapped[str | None] = mapped_column(String(16))
    edit_review_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now_utc, onupdate=now_utc)

    school: Mapped[School] = relationship()
    parts: Mapped[list[EpisodePart]] = relationship(
        order_by="EpisodePart.position", cascade="all, delete-orphan"
    )
    participants: Mapped[list[Pupil]] = relationship(secondary="episode_participant")
    intro_jingle: Mapped[Take | None] = relationship(foreign_keys=[intro_jingle_id])
    outro_jingle: Mapped[Take | None] = relationship(foreign_keys=[outro_jingle_id])

    @property
    def published_set(self) -> frozenset[str]:
        """The audiences the episode was ever shown to (so a lost one answers 410, not 404)."""
        return frozenset(a for a in self.published_audiences.split(",") if a)

    def jingles(self) -> list[Take]:
        """The jingles in the current master."""
        return [t for t in (self.intro_jingle, self.outro_jingle) if t is not None]


class EpisodePart(db.Model):  # type: ignore[name-defined]
    """One take in an episode, in order, with optional in and out points (seconds)."""

    __tablename__ = "episode_part"
    id: Mapped[str] = _id_column()
    episode_id: Mapped[str] = mapped_column(ForeignKey("episode.id"))
    position: Mapped[int] = mapped_column(Integer)
    take_id: Mapped[str] = mapped_column(ForeignKey("take.id"))
    in_s: Mapped[float | None] = mapped_column(Float)
    out_s: Mapped[float | None] = mapped_column(Float)
    title: Mapped[str] = mapped_column(String(200), default="")

    take: Mapped[Take] = relationship()


class TakeSpeaker(db.Model):  # type: ignore[name-defined]
    """A pupil who speaks in a take (so a withdrawal finds the parts to cut)."""

    __tablename__ = "take_speaker"
    take_id: Mapped[str] = mapped_column(ForeignKey("take.id"), primary_key=True)
    pupil_id: Mapped[str] = mapped_column(ForeignKey("pupil.id"), primary_key=True)


class EpisodeParticipant(db.Model):  # type: ignore[name-defined]
    """A pupil who speaks in an episode."""

    __tablename__ = "episode_participant"
    episode_id: Mapped[str] = mapped_column(ForeignKey("episode.id"), primary_key=True)
    pupil_id: Mapped[str] = mapped_column(ForeignKey("pupil.id"), primary_key=True)


class FamilyToken(db.Model):  # type: ignore[name-defined]
    """A revocable secret that opens a school's family feed (no e-mail is collected)."""

    __tablename__ = "family_token"
    id: Mapped[str] = _id_column()
    school_id: Mapped[str] = mapped_column(ForeignKey("school.id"))
    label: Mapped[str] = mapped_column(String(100))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = _created()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditEvent(db.Model):  # type: ignore[name-defined]
    """An append-only line of the audit log: consent changes and publications, ids only."""

    __tablename__ = "audit_event"
    id: Mapped[str] = _id_column()
    school_id: Mapped[str | None] = mapped_column(ForeignKey("school.id"), index=True)
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(48))  # e.g. consent.granted, episode.published
    subject_type: Mapped[str] = mapped_column(String(16))  # grant, episode, pupil, token
    subject_id: Mapped[str] = mapped_column(String(16), index=True)
    detail_json: Mapped[str] = mapped_column(Text, default="{}")  # audiences, dates; no names
    at: Mapped[datetime] = mapped_column(DateTime, default=now_utc)


class Job(db.Model):  # type: ignore[name-defined]
    """A background job's visible state: queued, running, ready, or failed with a reason."""

    __tablename__ = "job"
    id: Mapped[str] = _id_column()
    kind: Mapped[str] = mapped_column(String(32))  # analyse_take, render_episode
    subject_id: Mapped[str] = mapped_column(String(16), index=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    failure_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now_utc, onupdate=now_utc)


class OutputsDue(db.Model):  # type: ignore[name-defined]
    """A school whose public outputs must be rewritten (its id, or "*" for every school).

    Marked in the same transaction as the change, removed once the rewrite after the commit
    has landed: a rewrite that failed (a full disk) or never ran (a crash) is retried by the
    worker until it lands (webradio.outputs)."""

    __tablename__ = "outputs_due"
    # Marks are only added and deleted (never updated): concurrent writers never collide.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    school_id: Mapped[str] = mapped_column(String(16), index=True)
    since: Mapped[datetime] = mapped_column(DateTime, default=now_utc)

"""Typed ORM rows: no Flask, no engine."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, TypeDecorator, UniqueConstraint, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from workflow.roles import OrgKind, Role

__all__ = ["OrgKind", "Role"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC and always hands back aware datetimes, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime}


class ZoneStatus(enum.StrEnum):
    APPLYING = "applying"
    RECOMMENDING = "recommending"
    ACCEPTING = "accepting"
    APPROVING = "approving"
    OPERATING = "operating"
    REJECTED = "rejected"
    REVOKED = "revoked"


class MeasureKind(enum.StrEnum):
    INSTITUTIONAL = "institutional"
    MODEL = "model"
    MEASURE = "measure"


class ItemStatus(enum.StrEnum):
    """State of a measure or a proposed experience, set by the end events of its process."""

    PENDING = "pending"
    IN_EFFECT = "in_effect"
    PUBLISHED = "published"
    REJECTED = "rejected"


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


def _enum(cls: type[enum.Enum], name: str):
    from sqlalchemy import Enum

    return Enum(cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[OrgKind] = mapped_column(_enum(OrgKind, "org_kind"))
    province: Mapped[str | None] = mapped_column(String(32))

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                     order_by="UserRole.role")

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.role_rows)

    @property
    def role_label(self) -> str:
        """The roles as one string (for history rows), e.g. ``bureau`` or ``hq_clearance,process_owner``."""
        return ",".join(sorted(r.value for r in self.roles))

    def has(self, *roles: Role) -> bool:
        return self.active and bool(self.roles.intersection(roles))


class UserRole(Base):
    """One role of a user; a user holds one or more."""

    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role_name"), primary_key=True)


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship(lazy="joined")


class ProcessVersion(Base):
    """A deployed BPMN model, stored once per content hash."""

    __tablename__ = "process_version"
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
        UniqueConstraint("process_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200), default="")
    filename: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    decisions: Mapped[dict[str, Any]] = mapped_column(default=dict)  # DMN files deployed with it, by name
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class Zone(Base):
    __tablename__ = "zone"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    province: Mapped[str] = mapped_column(String(32), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[ZoneStatus] = mapped_column(_enum(ZoneStatus, "zone_status"), index=True)
    application: Mapped[dict[str, Any]] = mapped_column(default=dict)
    approval_number: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    applicant: Mapped[Organisation] = relationship(lazy="joined")
    instances: Mapped[list[ProcessInstance]] = relationship(back_populates="zone", order_by="ProcessInstance.id")


class ProcessInstance(Base):
    """One run of a deployed model; ``state`` is the engine's JSON without the spec."""

    __tablename__ = "process_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    state: Mapped[dict[str, Any]]
    completed: Mapped[bool] = mapped_column(default=False)
    end_event: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[str] = mapped_column(String(500), default="")
    next_timer_at: Mapped[datetime | None] = mapped_column(index=True)
    period_no: Mapped[int | None]
    period_start: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    zone: Mapped[Zone] = relationship(back_populates="instances")
    process_version: Mapped[ProcessVersion] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class HumanTask(Base):
    """A human task of a process instance: open rows are the inbox."""

    __tablename__ = "human_task"
    __table_args__ = (Index("ix_human_task_open", "status", "zone_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"))
    engine_id: Mapped[str] = mapped_column(String(36), unique=True)
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    lane: Mapped[str] = mapped_column(String(100), default="")
    stage: Mapped[str] = mapped_column(String(32), default="")
    assignee: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[TaskStatus] = mapped_column(_enum(TaskStatus, "task_status"), default=TaskStatus.OPEN)
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    claimed_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]

    zone: Mapped[Zone] = relationship(lazy="joined")
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id], lazy="joined")
    instance: Mapped[ProcessInstance] = relationship()
    candidates: Mapped[list[TaskCandidate]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    def label(self, lang: str = "zh") -> str:
        return (self.name_en or self.name) if lang == "en" else self.name

    def groups(self) -> list[str]:
        return [c.name for c in self.candidates if c.kind == CandidateKind.GROUP]


class CandidateKind(enum.StrEnum):
    GROUP = "group"
    USER = "user"


class TaskCandidate(Base):
    """Who may act on a task, from camunda:candidateGroups / candidateUsers."""

    __tablename__ = "task_candidate"
    __table_args__ = (Index("ix_task_candidate_lookup", "kind", "name", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CandidateKind] = mapped_column(_enum(CandidateKind, "candidate_kind"))
    name: Mapped[str] = mapped_column(String(64))


class Event(Base):
    """Append-only history and audit log: who did what to which zone, when, and why."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_kind_actor_at", "kind", "actor", "at"),
                      Index("ix_event_kind_ip_at", "kind", "ip", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(32), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    organisation_en: Mapped[str] = mapped_column(String(200), default="")
    bpmn_id: Mapped[str | None] = mapped_column(String(100))
    task_name: Mapped[str] = mapped_column(String(200), default="")
    task_name_en: Mapped[str] = mapped_column(String(200), default="")
    decision: Mapped[str | None] = mapped_column(String(40))
    comment: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    zone: Mapped[Zone | None] = relationship()
    instance: Mapped[ProcessInstance | None] = relationship()

    def label(self, lang: str = "zh") -> str:
        return (self.task_name_en or self.task_name) if lang == "en" else self.task_name

    def organisation_label(self, lang: str = "zh") -> str:
        return (self.organisation_en or self.organisation) if lang == "en" else self.organisation


class ZoneRecord(Base):
    """A result the model asked to keep (``record`` property): reports, ratings, commendations, rectifications."""

    __tablename__ = "zone_record"
    __table_args__ = (Index("ix_zone_record_zone_kind", "zone_id", "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    kind: Mapped[str] = mapped_column(String(40))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    period_no: Mapped[int | None]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64), default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    def label(self, lang: str = "zh") -> str:
        return (self.name_en or self.name) if lang == "en" else self.name


class Measure(Base):
    """An innovation measure (创新措施) of an operating zone."""

    __tablename__ = "measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[MeasureKind] = mapped_column(_enum(MeasureKind, "measure_kind"))
    departs: Mapped[bool] = mapped_column(default=False)
    unit_concerned: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[ItemStatus] = mapped_column(_enum(ItemStatus, "measure_status"), default=ItemStatus.PENDING)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    zone: Mapped[Zone] = relationship(lazy="joined")


class Experience(Base):
    """A measure or typical case proposed for replication (复制推广); published ones form the catalogue."""

    __tablename__ = "experience"

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measure.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[ItemStatus] = mapped_column(_enum(ItemStatus, "experience_status"), default=ItemStatus.PENDING,
                                               index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None]

    zone: Mapped[Zone] = relationship(lazy="joined")
    measure: Mapped[Measure | None] = relationship(lazy="joined")
    adoptions: Mapped[list[Adoption]] = relationship(back_populates="experience", lazy="selectin",
                                                     order_by="Adoption.adopted_at")


class Adoption(Base):
    """A zone adopting a published experience; shown on both zones and on the catalogue entry."""

    __tablename__ = "adoption"
    __table_args__ = (UniqueConstraint("experience_id", "zone_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    experience_id: Mapped[int] = mapped_column(ForeignKey("experience.id"))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    adopted_at: Mapped[datetime] = mapped_column(default=utcnow)
    adopted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    experience: Mapped[Experience] = relationship(back_populates="adoptions")
    zone: Mapped[Zone] = relationship(lazy="joined")


@event.listens_for(Session, "before_flush")
def _events_are_append_only(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Event) and (obj in session.deleted or session.is_modified(obj)):
            raise ValueError("events are append-only")

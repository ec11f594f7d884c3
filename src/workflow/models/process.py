"""Deployed models, process instances, the human tasks (inbox rows), the append-only history."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from workflow.models.base import NO_DUE_DATE, Base, CandidateKind, TaskStatus, enum_column, utcnow

if TYPE_CHECKING:
    from workflow.models.accounts import User
    from workflow.models.zone import Zone


class ProcessVersion(Base):
    """A deployed BPMN model; deploying an older content again makes a new version that is current again."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    filename: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    # The model's XML (tens of KB) loads when used: a step reads its version's parsed model from a cache.
    source: Mapped[str] = mapped_column(Text, deferred=True)
    decisions: Mapped[dict[str, Any]] = mapped_column(default=dict)  # DMN files deployed with it, by name
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")

    deployed_by: Mapped[User | None] = relationship()

    def label(self, lang: str = "zh") -> str:
        return (self.name_en or self.name) if lang == "en" else self.name


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
    timer_failures: Mapped[int] = mapped_column(default=0, server_default="0")  # in a row; 0 once timers fire
    timer_retry_at: Mapped[datetime | None]  # the worker leaves a failing instance alone until then

    zone: Mapped[Zone] = relationship(back_populates="instances")
    process_version: Mapped[ProcessVersion] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class InstanceMigration(Base):
    """An instance moved to another version of its process, with its state before, so it can be moved back."""

    __tablename__ = "instance_migration"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    from_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    to_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    state_before: Mapped[dict[str, Any]]
    row_version_after: Mapped[int]  # the instance's row version right after the move: unchanged since = may go back
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    rolled_back_at: Mapped[datetime | None]

    instance: Mapped[ProcessInstance] = relationship()
    from_version: Mapped[ProcessVersion] = relationship(foreign_keys=[from_version_id], lazy="joined")
    to_version: Mapped[ProcessVersion] = relationship(foreign_keys=[to_version_id], lazy="joined")


class HumanTask(Base):
    """A human task of a process instance: open rows are the inbox."""

    __tablename__ = "human_task"
    __table_args__ = (Index("ix_human_task_open", "status", "zone_id"),
                      Index("ix_human_task_inbox", "status", "priority_rank", "due_sort", "id"),
                      Index("ix_human_task_inbox_province", "status", "province", "priority_rank", "due_sort", "id"),
                      Index("ix_human_task_claimed", "claimed_by_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"))
    engine_id: Mapped[str] = mapped_column(String(36), unique=True)
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    lane: Mapped[str] = mapped_column(String(100), default="")
    lane_en: Mapped[str] = mapped_column(String(100), default="")
    stage: Mapped[str] = mapped_column(String(32), default="")
    assignee: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus, "task_status"), default=TaskStatus.OPEN)
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    claimed_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    # Copied from the zone and the model when the task opens, so that the inbox filters and sorts on this row alone.
    province: Mapped[str] = mapped_column(String(32), default="", server_default="")
    applicant_id: Mapped[int | None]
    zone_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    priority_rank: Mapped[int] = mapped_column(default=0, server_default="0")  # minus camunda:priority: ascending
    # due_at, or far in the future without one (sorts last)
    due_sort: Mapped[datetime] = mapped_column(default=NO_DUE_DATE, server_default="9999-12-31 00:00:00")
    period_year: Mapped[int | None]  # the year of a periodic instance's period ("2027 年第一季度…")
    # offered to several HQ units at once, any of which may take it
    shared: Mapped[bool] = mapped_column(default=False, server_default="0")
    delegated_by_id: Mapped[int | None]  # who handed the task to its holder, and gets it back when resolved

    zone: Mapped[Zone] = relationship(lazy="joined")
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id], lazy="joined")
    delegated_by: Mapped[User | None] = relationship(primaryjoin="User.id == foreign(HumanTask.delegated_by_id)",
                                                     lazy="joined", viewonly=True)
    instance: Mapped[ProcessInstance] = relationship()
    candidates: Mapped[list[TaskCandidate]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    def label(self, lang: str = "zh") -> str:
        name = (self.name_en or self.name) if lang == "en" else self.name
        if self.period_year is None:
            return name
        return f"{self.period_year}: {name}" if lang == "en" else f"{self.period_year} 年{name}"

    def lane_label(self, lang: str = "zh") -> str:
        return (self.lane_en or self.lane) if lang == "en" else self.lane

    def groups(self) -> list[str]:
        return [c.name for c in self.candidates if c.kind == CandidateKind.GROUP]


class TaskCandidate(Base):
    """Who may act on a task, from camunda:candidateGroups / candidateUsers."""

    __tablename__ = "task_candidate"
    __table_args__ = (Index("ix_task_candidate_lookup", "kind", "name", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CandidateKind] = mapped_column(enum_column(CandidateKind, "candidate_kind"))
    name: Mapped[str] = mapped_column(String(64))


class TaskKey(Base):
    """One key under which an open task is offered (see :func:`workflow.access.task_keys`); gone once it closes."""

    __tablename__ = "task_key"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)

    task: Mapped[HumanTask] = relationship()


class ChainHead(Base):
    """The newest link of the event chain: one row, locked by each transaction that appends events."""

    __tablename__ = "event_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """Append-only history and audit log: who did what to which zone, when, and why.

    ``seq``, ``prev_hash`` and ``hash`` chain the rows (see :mod:`workflow.chain`); they are written
    when the transaction that added the row commits.
    """

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
    seq: Mapped[int | None] = mapped_column(index=True, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    zone: Mapped[Zone | None] = relationship()
    instance: Mapped[ProcessInstance | None] = relationship()
    person: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="selectin")
    actor_user: Mapped[User | None] = relationship(lazy="joined", viewonly=True)

    def label(self, lang: str = "zh") -> str:
        return (self.task_name_en or self.task_name) if lang == "en" else self.task_name

    def organisation_label(self, lang: str = "zh") -> str:
        return (self.organisation_en or self.organisation) if lang == "en" else self.organisation


class RefusalTally(Base):
    """Refusals of requests without a login, counted per address and minute instead of one audit row each."""

    __tablename__ = "refusal_tally"
    __table_args__ = (UniqueConstraint("ip", "minute"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(String(64))
    minute: Mapped[datetime] = mapped_column(index=True)
    count: Mapped[int] = mapped_column(default=0)
    last_at: Mapped[datetime]
    last_request: Mapped[str] = mapped_column(String(600), default="")


@event.listens_for(Session, "before_flush")
def _events_are_append_only(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Event) and (obj in session.deleted or session.is_modified(obj)):
            raise ValueError("events are append-only")

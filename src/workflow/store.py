"""Queries and writes; takes a session, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from workflow import access
from workflow.models import (
    Adoption,
    CandidateKind,
    Event,
    Experience,
    HumanTask,
    Measure,
    ProcessInstance,
    ProcessVersion,
    TaskCandidate,
    TaskStatus,
    User,
    Zone,
    ZoneRecord,
)


def latest_version(session: Session, process_id: str) -> ProcessVersion | None:
    return session.scalar(
        select(ProcessVersion).where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.version.desc()).limit(1)
    )


def versions(session: Session) -> Sequence[ProcessVersion]:
    return session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id, ProcessVersion.version)).all()


def version_by_hash(session: Session, process_id: str, content_hash: str) -> ProcessVersion | None:
    """The newest version of a process with this content, if any."""
    return session.scalar(
        select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                     ProcessVersion.content_hash == content_hash)
        .order_by(ProcessVersion.version.desc()).limit(1)
    )


def next_version_number(session: Session, process_id: str) -> int:
    current = session.scalar(select(func.max(ProcessVersion.version)).where(ProcessVersion.process_id == process_id))
    return (current or 0) + 1


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def visible_zones(session: Session, user: User, limit: int | None = None, offset: int = 0,
                  province: str | None = None, status: str | None = None) -> Sequence[Zone]:
    query = (select(Zone).where(access.zone_scope(user)).options(selectinload(Zone.instances))
             .order_by(Zone.updated_at.desc(), Zone.id.desc()))
    if province:
        query = query.where(Zone.province == province)
    if status:
        query = query.where(Zone.status == status)
    return session.scalars(query.limit(limit).offset(offset)).all()


def count_visible_zones(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Zone).where(access.zone_scope(user))) or 0


MAX_ID = 2**31 - 1


def visible_zone(session: Session, user: User, zone_id: int) -> Zone | None:
    if not 0 < zone_id <= MAX_ID:
        return None
    return session.scalar(select(Zone).where(Zone.id == zone_id, access.zone_scope(user)))


def zone_by_name(session: Session, name: str) -> Zone | None:
    return session.scalar(select(Zone).where(Zone.name == name))


def inbox(session: Session, user: User, limit: int | None = None, offset: int = 0) -> Sequence[HumanTask]:
    return session.scalars(
        select(HumanTask).where(HumanTask.status == TaskStatus.OPEN, access.task_scope(user))
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id)
        .limit(limit).offset(offset)
    ).all()


def count_inbox(session: Session, user: User) -> int:
    query = select(func.count()).select_from(HumanTask).where(HumanTask.status == TaskStatus.OPEN,
                                                              access.task_scope(user))
    return session.scalar(query) or 0


def actionable_task(session: Session, user: User, task_id: int) -> HumanTask | None:
    if not 0 < task_id <= MAX_ID:
        return None
    return session.scalar(select(HumanTask).where(HumanTask.id == task_id, access.task_scope(user)))


def actionable_task_ids(session: Session, user: User, zone_id: int) -> Sequence[int]:
    """The open tasks of a zone that the user may act on."""
    return session.scalars(select(HumanTask.id).where(HumanTask.zone_id == zone_id,
                                                      HumanTask.status == TaskStatus.OPEN,
                                                      access.task_scope(user))).all()


def visible_task(session: Session, user: User, task_id: int) -> HumanTask | None:
    if not 0 < task_id <= MAX_ID:
        return None
    visible = select(Zone.id).where(Zone.id == HumanTask.zone_id, access.zone_scope(user)).exists()
    return session.scalar(select(HumanTask).where(HumanTask.id == task_id, visible))


def open_tasks(session: Session, instance_id: int) -> Sequence[HumanTask]:
    return session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN)
        .order_by(HumanTask.id)
    ).all()


def zone_open_tasks(session: Session, zone_id: int) -> Sequence[HumanTask]:
    return session.scalars(
        select(HumanTask).where(HumanTask.zone_id == zone_id, HumanTask.status == TaskStatus.OPEN)
        .order_by(HumanTask.id)
    ).all()


def add_task(session: Session, task: HumanTask, groups: Sequence[str], users: Sequence[str]) -> None:
    task.candidates = [TaskCandidate(kind=CandidateKind.GROUP, name=g) for g in groups] + [
        TaskCandidate(kind=CandidateKind.USER, name=u) for u in users
    ]
    session.add(task)


def stages_opened(session: Session, instance_id: int) -> list[tuple[datetime, str]]:
    """When each task of an instance that sets the zone's stage opened, and the stage, oldest first."""
    rows = session.execute(select(HumanTask.created_at, HumanTask.stage)
                           .where(HumanTask.instance_id == instance_id, HumanTask.stage != "")
                           .order_by(HumanTask.created_at, HumanTask.id))
    return [(at, stage) for at, stage in rows]


def history(session: Session, zone_id: int) -> Sequence[Event]:
    return session.scalars(select(Event).where(Event.zone_id == zone_id).order_by(Event.at, Event.id)).all()


def add_event(session: Session, event: Event) -> None:
    session.add(event)


def instance_for_update(session: Session, instance_id: int, skip_locked: bool = False) -> ProcessInstance | None:
    """The instance row, locked until commit (PostgreSQL) and re-read, so its state is current.

    With ``skip_locked`` a row another worker holds is skipped (None) instead of waited for.
    """
    return session.scalars(
        select(ProcessInstance).where(ProcessInstance.id == instance_id)
        .with_for_update(of=ProcessInstance, skip_locked=skip_locked).execution_options(populate_existing=True)
    ).one_or_none()


def due_instance_ids(session: Session, now: datetime, limit: int, exclude: Sequence[int] = ()) -> list[int]:
    """Running instances whose earliest timer is due (an index range scan on next_timer_at)."""
    query = (select(ProcessInstance.id)
             .where(ProcessInstance.completed.is_(False), ProcessInstance.next_timer_at <= now)
             .order_by(ProcessInstance.next_timer_at, ProcessInstance.id).limit(limit))
    if exclude:
        query = query.where(ProcessInstance.id.not_in(list(exclude)))
    return list(session.scalars(query))


def overdue_tasks(session: Session, now: datetime, limit: int) -> Sequence[HumanTask]:
    """Open tasks past their due time that have not been reminded of yet."""
    return session.scalars(
        select(HumanTask).where(HumanTask.status == TaskStatus.OPEN, HumanTask.due_at <= now,
                                HumanTask.reminded_at.is_(None)).order_by(HumanTask.due_at).limit(limit)
    ).all()


def touch(zone: Zone, now: datetime) -> None:
    zone.updated_at = now


def records(session: Session, zone_id: int) -> Sequence[ZoneRecord]:
    return session.scalars(select(ZoneRecord).where(ZoneRecord.zone_id == zone_id)
                           .order_by(ZoneRecord.at, ZoneRecord.id)).all()


def measures(session: Session, zone_id: int) -> Sequence[Measure]:
    return session.scalars(select(Measure).where(Measure.zone_id == zone_id).order_by(Measure.filed_at)).all()


def experiences(session: Session, zone_id: int) -> Sequence[Experience]:
    return session.scalars(select(Experience).where(Experience.zone_id == zone_id)
                           .order_by(Experience.proposed_at)).all()


def adoptions(session: Session, zone_id: int) -> Sequence[Adoption]:
    return session.scalars(select(Adoption).where(Adoption.zone_id == zone_id).order_by(Adoption.adopted_at)).all()

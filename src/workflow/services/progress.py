"""Moving a zone's processes on: save a step, and start the processes its end events ask for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import access
from workflow.engine import Done, Run
from workflow.errors import EngineFailure, Msg, PermissionDenied
from workflow.models import ProcessInstance, User, Zone, ZoneRecord
from workflow.services import deploy, instances
from workflow.timeparse import add_duration

MAX_CHAIN = 5


def settle(session: Session, instance: ProcessInstance, run: Run, zone: Zone, now: datetime,
           done: Sequence[Done] = (), actor: User | None = None, depth: int = 0) -> None:
    """Save one step of ``instance``; start each process its completed end events name (``starts``)."""
    for process_id in instances.save(session, instance, run, zone, now, done, actor):
        if depth >= MAX_CHAIN:
            raise EngineFailure(Msg("流程之间的自动启动超过 %(n)s 层，请检查模型的 starts 属性", n=MAX_CHAIN))
        start(session, zone, process_id, now, previous=instance, depth=depth + 1)


def start(session: Session, zone: Zone, process_id: str, now: datetime, previous: ProcessInstance | None = None,
          depth: int = 0) -> ProcessInstance:
    """Start the newest version of a process for a zone, seeded with what the zone knows."""
    version, model = deploy.current(session, process_id)
    period = model.properties.get("period")
    period_no, period_start = None, None
    if period:
        last = previous if previous is not None and previous.process_version.process_id == process_id else None
        period_no = (last.period_no or 0) + 1 if last else 1
        period_start = add_duration(last.period_start, period) if last and last.period_start else now
    instance = ProcessInstance(zone=zone, process_version=version, state={}, created_at=now,
                               period_no=period_no, period_start=period_start)
    session.add(instance)
    session.flush()
    run = model.start(seed(session, zone, period_no, period_start), now)
    settle(session, instance, run, zone, now, depth=depth)
    return instance


def open_first(session: Session, process_id: str, data: Mapping[str, Any], now: datetime):
    """Start a process in memory up to its first task (a form someone fills to begin it)."""
    version, model = deploy.current(session, process_id)
    run = model.start(data, now)
    ready = run.ready_tasks()
    if len(ready) != 1:
        raise EngineFailure(Msg("流程 %(p)s 的开始之后必须恰好是一个用户任务", p=process_id))
    return version, run, ready[0]


def begin_for(session: Session, user: User, zone: Zone, process_id: str, refusal: Msg, now: datetime,
              **extra: Any):
    """Open a zone's new process up to its first task, if ``user`` is a candidate for that task."""
    version, run, task = open_first(session, process_id, {**seed(session, zone, None, None), **extra}, now)
    if not access.may_start(user, task.element.groups, task.element.candidate_users):
        raise PermissionDenied(refusal)
    return version, run, task


def finish_first(session: Session, user: User, zone: Zone, version, run: Run, task, data: Mapping[str, Any],
                 now: datetime, subject: Any = None) -> ProcessInstance:
    """Persist a process begun with :func:`open_first` and complete its first task with ``data``.

    ``subject`` (a measure, an experience) is linked to the instance before the run moves on, so
    end events that set its status find it.
    """
    instance = ProcessInstance(zone=zone, process_version=version, state={}, created_at=now)
    session.add(instance)
    session.flush()
    if subject is not None:
        subject.instance_id = instance.id
        session.flush()
    done = run.complete(task.engine_id, data, now)
    session.add(instances.task_event(user, zone, instance, task.element, data, now))
    settle(session, instance, run, zone, now, done, user)
    return instance


def seed(session: Session, zone: Zone, period_no: int | None, period_start: datetime | None) -> dict[str, Any]:
    """The data a zone's new process starts with (documented in the README for process owners)."""
    data: Mapping[str, Any] = zone.application or {}
    return {
        "zone_id": zone.id, "zone_name": zone.name, "province": zone.province,
        "priority_policies": list(data.get("priority_policies") or []),
        "period_no": period_no, "period_start": period_start.isoformat() if period_start else None,
        "previous_rating": latest_rating(session, zone.id),
    }


def latest_rating(session: Session, zone_id: int) -> str | None:
    record = session.scalar(select(ZoneRecord).where(ZoneRecord.zone_id == zone_id, ZoneRecord.kind == "evaluation")
                            .order_by(ZoneRecord.at.desc(), ZoneRecord.id.desc()).limit(1))
    return record.data.get("rating") if record else None

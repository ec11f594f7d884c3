"""Moving a zone's processes on: save a step, and start the processes its end events ask for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import access
from workflow.engine import Done, Model, ReadyTask, Run
from workflow.errors import EngineFailure, Msg, NotFound, PermissionDenied
from workflow.limits import MAX_CHAIN, MAX_STARTED
from workflow.models import ProcessInstance, ProcessVersion, User, Zone, ZoneRecord
from workflow.modelxml import Element
from workflow.services import deploy, instances
from workflow.timeparse import add_duration


def settle(session: Session, instance: ProcessInstance, run: Run, zone: Zone, now: datetime,
           done: Sequence[Done] = (), actor: User | None = None, depth: int = 0,
           started: list[str] | None = None) -> None:
    """Save one step of ``instance``; start each process its completed end events name (``starts``).

    ``started`` collects what one request has started so far, across the chain, against the limits.
    """
    started = [] if started is None else started
    for process_id in instances.save(session, instance, run, zone, now, done, actor):
        started.append(process_id)
        if depth >= MAX_CHAIN or len(started) > MAX_STARTED:
            raise EngineFailure(Msg("流程之间的自动启动超过 %(n)s 层或 %(m)s 个，请检查模型的 starts 属性",
                                    n=MAX_CHAIN, m=MAX_STARTED), process=instance.process_version.process_id)
        start(session, zone, process_id, now, previous=instance, depth=depth + 1, started=started)


def _current(session: Session, process_id: str, asked_by: ProcessInstance | None) -> tuple[ProcessVersion, Model]:
    try:
        return deploy.current(session, process_id)
    except NotFound:
        if asked_by is None:
            raise
        raise EngineFailure(f"property starts names {process_id}, which is not deployed",
                            process=asked_by.process_version.process_id) from None


def start(session: Session, zone: Zone, process_id: str, now: datetime, previous: ProcessInstance | None = None,
          depth: int = 0, started: list[str] | None = None) -> ProcessInstance:
    """Start the newest version of a process for a zone, seeded with what the zone knows."""
    version, model = _current(session, process_id, previous)
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
    settle(session, instance, run, zone, now, depth=depth, started=started)
    return instance


def first_task(session: Session, process_id: str) -> tuple[ProcessVersion, Element]:
    """The newest version of a process and the task that begins it, read from the diagram: nothing runs.

    Pages that show the form to begin a process (GET) use this; only submitting it runs the model.
    """
    version, model = deploy.current(session, process_id)
    element = model.first_task()
    if element is None:
        raise EngineFailure(Msg("流程 %(p)s 的开始之后必须恰好是一个用户任务", p=process_id), process=process_id)
    return version, element


def may_begin(user: User, element: Element, refusal: Msg) -> None:
    """Refuse ``user`` unless they are a candidate for the task that begins the process."""
    if not access.may_start(user, element.groups, element.candidate_users):
        raise PermissionDenied(refusal)


def open_first(session: Session, process_id: str, data: Mapping[str, Any],
               now: datetime) -> tuple[ProcessVersion, Run, ReadyTask]:
    """Start a process in memory up to its first task (a form someone fills to begin it)."""
    version, element = first_task(session, process_id)
    run = deploy.model_for(version).start(data, now)
    ready = run.ready_tasks()
    if len(ready) != 1 or ready[0].element.id != element.id:
        raise EngineFailure(Msg("流程 %(p)s 的开始之后必须恰好是一个用户任务", p=process_id), process=process_id)
    return version, run, ready[0]


def begin_for(session: Session, user: User, zone: Zone, process_id: str, refusal: Msg, now: datetime,
              **extra: Any) -> tuple[ProcessVersion, Run, ReadyTask]:
    """Open a zone's new process up to its first task, if ``user`` is a candidate for that task."""
    may_begin(user, first_task(session, process_id)[1], refusal)
    return open_first(session, process_id, {**seed(session, zone, None, None), **extra}, now)


def form_for(session: Session, user: User, process_id: str, refusal: Msg) -> Element:
    """The form that begins a process, if ``user`` may fill it (read from the diagram)."""
    _, element = first_task(session, process_id)
    may_begin(user, element, refusal)
    return element


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

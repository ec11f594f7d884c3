"""Keeping our rows in step with a run: open tasks, statuses set by the model, records, saved state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import store
from workflow.engine import Done, ReadyTask, Run
from workflow.models import (
    Event,
    Experience,
    HumanTask,
    ItemStatus,
    Measure,
    ProcessInstance,
    TaskStatus,
    User,
    Zone,
    ZoneRecord,
    ZoneStatus,
    utcnow,
)
from workflow.modelxml import Element, resolve
from workflow.services import holidays, notifications

SHANGHAI = ZoneInfo("Asia/Shanghai")

_STATUSES = {s.value for s in ZoneStatus}
_ITEM = {s.value for s in ItemStatus}


def save(session: Session, instance: ProcessInstance, run: Run, zone: Zone, now: datetime,
         done: Sequence[Done] = (), actor: User | None = None) -> list[str]:
    """Write the run's state and rows; apply what the completed elements ask for.

    Returns the process ids that completed end events ask to start next (property ``starts``).
    """
    ready = run.ready_tasks()
    stage = next((s for s in (t.element.prop("stage") for t in ready) if s in _STATUSES), "")
    if stage:
        _set_status(zone, stage, now, {})
    opened = _sync_tasks(session, instance, ready, zone, now)
    instance.state = run.state()
    instance.updated_at = now
    instance.next_timer_at = run.next_timer()
    instance.position = ",".join(run.position())[:500]
    if run.completed:
        instance.completed = True
        end = run.end_event()
        instance.end_event = end.id if end else None
    starts: list[str] = []
    for item in done:
        starts.extend(_apply(session, instance, zone, item, now, actor))
    store.touch(zone, now)
    notifications.task_opened(session, instance, opened, now)
    return starts


def _sync_tasks(session: Session, instance: ProcessInstance, ready_tasks: Sequence[ReadyTask], zone: Zone,
                now: datetime) -> list[HumanTask]:
    ready = {t.engine_id: t for t in ready_tasks}
    for row in _open_rows(session, instance):
        if row.engine_id not in ready:
            row.status = TaskStatus.CANCELLED
            row.completed_at = now
            store.drop_keys(session, row.id)
            store.add_event(session, Event(kind="task_withdrawn", at=now, zone=zone, instance=instance,
                                           actor="system", bpmn_id=row.bpmn_id, task_name=row.name,
                                           task_name_en=row.name_en))
        else:
            del ready[row.engine_id]
    opened = []
    for task in ready.values():
        el = task.element
        opened.append(HumanTask(
            instance=instance, zone=zone, engine_id=task.engine_id, bpmn_id=el.id, name=el.name or el.id,
            name_en=el.name_en, lane=el.lane, lane_en=el.lane_en, stage=stage_of(el, zone),
            assignee=(resolve((el.assignee,), task.data) or (None,))[0] if el.assignee else None,
            due_at=holidays.due_at(session, el, now), created_at=now, priority_rank=-priority_of(el),
            period_year=local_year(instance.period_start),
        ))
        store.add_task(session, opened[-1], resolve(el.groups, task.data), resolve(el.candidate_users, task.data))
    return opened


def _open_rows(session: Session, instance: ProcessInstance) -> Sequence[HumanTask]:
    """The instance's open task rows, without flushing the step's other changes first (they flush once, at commit)."""
    if instance.id is None:
        return []
    if any(isinstance(o, HumanTask) for o in (*session.new, *session.dirty)):
        session.flush()
    with session.no_autoflush:
        return store.open_tasks(session, instance.id)


def priority_of(element: Element) -> int:
    """``camunda:priority`` as a number (higher first in inboxes); 0 without one or when it is not a number."""
    try:
        return int(element.priority or 0)
    except ValueError:
        return 0


def local_year(at: datetime | None) -> int | None:
    return at.astimezone(SHANGHAI).year if at else None


def stage_of(element: Element, zone: Zone) -> str:
    """The zone status while a task is open: its ``stage`` property, else the zone's status as the task opens."""
    stage = element.prop("stage")
    return stage if stage in _STATUSES else zone.status.value


def _set_status(zone: Zone, status: str, now: datetime, data: Mapping[str, Any]) -> None:
    if zone.status == status:
        return
    zone.status = ZoneStatus(status)
    if zone.status == ZoneStatus.OPERATING:
        zone.approved_at = now
        zone.approval_number = data.get("approval_number")


def _apply(session: Session, instance: ProcessInstance, zone: Zone, item: Done, now: datetime,
           actor: User | None) -> list[str]:
    el, data = item.element, item.data
    status = el.prop("zone_status")
    if status in _STATUSES:
        _set_status(zone, status, now, data)
        store.add_event(session, automatic_event(zone, instance, el, now, decision=status))
    for model, prop in ((Measure, "measure_status"), (Experience, "experience_status")):
        value = el.prop(prop)
        if value in _ITEM:
            row = session.scalar(select(model).where(model.instance_id == instance.id))
            if row is not None:
                row.status = ItemStatus(value)
                if isinstance(row, Experience) and row.status == ItemStatus.PUBLISHED:
                    row.published_at = now
    kind = el.prop("record")
    if kind:
        wanted = [f.strip() for f in el.prop("record_fields").split(",") if f.strip()] or [f.id for f in el.form]
        kept = {k: data.get(k) for k in wanted}
        by_person = el.kind in {"userTask", "manualTask"}
        session.add(ZoneRecord(zone_id=zone.id, instance_id=instance.id, kind=kind, bpmn_id=el.id,
                               name=el.name or el.id, name_en=el.name_en, period_no=instance.period_no, at=now,
                               actor=actor.username if actor and by_person else "",
                               actor_id=actor.id if actor and by_person else None, data=kept))
        if not by_person:
            first = kept.get(wanted[0]) if wanted else None
            store.add_event(session, automatic_event(zone, instance, el, now, decision=first, data=kept))
    starts = el.prop("starts")
    return [p.strip() for p in starts.split(",") if p.strip()] if starts else []


def automatic_event(zone: Zone, instance: ProcessInstance, element: Element, now: datetime,
                    decision: Any = None, data: Mapping[str, Any] | None = None) -> Event:
    """A history row for a step the engine took by itself (a rating, a status change)."""
    return Event(kind="automatic", at=now, zone=zone, instance=instance, actor="system", bpmn_id=element.id,
                 task_name=element.name or element.id, task_name_en=element.name_en,
                 decision=str(decision)[:40] if decision is not None else None, data=dict(data or {}))


def timer_event(zone: Zone, instance: ProcessInstance, element: Element, opens: Sequence[Element],
                now: datetime) -> Event:
    """A history row for a timer that fired (a quarter's end, a deadline that opened an escalation)."""
    return Event(kind="timer_fired", at=now, zone=zone, instance=instance, actor="system", bpmn_id=element.id,
                 task_name=element.name or element.id, task_name_en=element.name_en,
                 data={"opens": [{"id": el.id, "name": el.name or el.id, "name_en": el.name_en} for el in opens]})


def task_event(user: User, zone: Zone, instance: ProcessInstance, element: Element,
               data: Mapping[str, Any], now: datetime) -> Event:
    """The history row of a completed human task."""
    decision = data.get("decision")
    return Event(
        kind="task_completed", at=now, zone=zone, instance=instance, actor_id=user.id, actor=user.username,
        role=user.role_label, organisation=user.organisation.name,
        organisation_en=user.organisation.name_en, bpmn_id=element.id,
        task_name=element.name or element.id, task_name_en=element.name_en,
        decision=str(decision) if decision is not None else None,
        comment=str(data.get("comment") or ""), data=dict(data),
    )


def audit_event(kind: str, user: User, task: HumanTask, now: datetime) -> Event:
    """A history row about a task that is not its completion (claims)."""
    return Event(kind=kind, at=now, zone_id=task.zone_id, instance_id=task.instance_id, actor_id=user.id,
                 actor=user.username, role=user.role_label, organisation=user.organisation.name,
                 organisation_en=user.organisation.name_en, bpmn_id=task.bpmn_id, task_name=task.name,
                 task_name_en=task.name_en)


def account_event(kind: str, user: User, absentee: User, substitute: User, starts_on, ends_on) -> Event:
    """An audit row (no zone) about who stands in for whom and when."""
    return Event(kind=kind, at=utcnow(), actor_id=user.id, actor=user.username, role=user.role_label,
                 organisation=user.organisation.name, organisation_en=user.organisation.name_en,
                 data={"absentee": absentee.username, "substitute": substitute.username,
                       "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()})

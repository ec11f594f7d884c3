"""Keeping our rows in step with a run: open tasks, zone status, saved state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflow import store
from workflow.engine import Run
from workflow.models import Event, HumanTask, ProcessInstance, TaskStatus, User, Zone, ZoneStatus
from workflow.modelxml import Element
from workflow.timeparse import due_from

_STATUSES = {s.value for s in ZoneStatus}


def save(session: Session, instance: ProcessInstance, run: Run, zone: Zone, now: datetime) -> None:
    """Write the run's state, open a row per new human task, close rows the run no longer waits on."""
    ready = {t.engine_id: t for t in run.ready_tasks()}
    for row in store.open_tasks(session, instance.id) if instance.id else []:
        if row.engine_id not in ready:
            row.status = TaskStatus.CANCELLED
            row.completed_at = now
        else:
            del ready[row.engine_id]
    for task in ready.values():
        el = task.element
        store.add_task(session, HumanTask(
            instance=instance, zone=zone, engine_id=task.engine_id, bpmn_id=el.id, name=el.name or el.id,
            name_en=el.name_en, lane=el.lane, stage=el.prop("stage"), assignee=el.assignee or None,
            due_at=due_from(el.due, now), created_at=now,
        ), el.groups, el.candidate_users)
    instance.state = run.state()
    instance.updated_at = now
    if run.completed:
        instance.completed = True
        end = run.end_event()
        instance.end_event = end.id if end else None
        status = end.prop("zone_status") if end else ""
    else:
        stages = [t.element.prop("stage") for t in run.ready_tasks()]
        status = next((s for s in stages if s), "")
    if status in _STATUSES and zone.status != status:
        zone.status = ZoneStatus(status)
        if zone.status == ZoneStatus.OPERATING:
            zone.approved_at = now
            zone.approval_number = run.data.get("approval_number")
    store.touch(zone, now)


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

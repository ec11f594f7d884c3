"""Human tasks: the inbox, one task's page, completing it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflow import forms, store
from workflow.errors import ClaimedByOther, Msg, NotFound, PermissionDenied, TaskAlreadyDone, Text
from workflow.models import Event, HumanTask, Measure, TaskStatus, User, utcnow
from workflow.modelxml import Element, Field, Option
from workflow.services import commit, deploy, instances, progress, zones


def inbox(session: Session, user: User, limit: int | None = None, offset: int = 0) -> Sequence[HumanTask]:
    """Open tasks the user may act on, soonest due first."""
    return store.inbox(session, user, limit, offset)


def inbox_size(session: Session, user: User) -> int:
    return store.count_inbox(session, user)


@dataclass
class TaskPage:
    """What the task page shows: the form, the application, the policies in this unit's remit."""

    task: HumanTask
    element: Element
    application: Element | None
    history: Sequence[Event]
    remit: list[Option] = field(default_factory=list)
    measures: Sequence[Measure] = ()


def _take(session: Session, user: User, task_id: int) -> HumanTask:
    """The task if the user may act on it: 404 if unseen, 403 if not theirs, 409 if done."""
    task = store.actionable_task(session, user, task_id)
    if task is None:
        if store.visible_task(session, user, task_id) is None:
            raise NotFound(Msg("没有这个任务"))
        raise PermissionDenied(Msg("这个任务不由您办理"))
    _ensure_open(task)
    return task


def _ensure_open(task: HumanTask) -> None:
    if task.status != TaskStatus.OPEN:
        raise TaskAlreadyDone(Msg("这个任务已经办结"))


def _ensure_free_for(task: HumanTask, user: User) -> None:
    if task.claimed_by_id is not None and task.claimed_by_id != user.id:
        who = task.claimed_by
        raise ClaimedByOther(Msg("这个任务已由 %(who)s 认领", who=Text(who.label("zh"), who.label("en"))))


def claim(session: Session, user: User, task_id: int, now: datetime | None = None) -> HumanTask:
    """Take a task so that colleagues with the same role leave it to you."""
    task = _take(session, user, task_id)
    _ensure_free_for(task, user)
    if task.claimed_by_id is None:
        task.claimed_by, task.claimed_at = user, now or utcnow()
        store.add_event(session, instances.audit_event("task_claimed", user, task, now or utcnow()))
        commit(session)
    return task


def unclaim(session: Session, user: User, task_id: int, now: datetime | None = None) -> HumanTask:
    """Give a claimed task back to everyone with the role."""
    task = _take(session, user, task_id)
    _ensure_free_for(task, user)
    if task.claimed_by_id is not None:
        task.claimed_by, task.claimed_at = None, None
        store.add_event(session, instances.audit_event("task_unclaimed", user, task, now or utcnow()))
        commit(session)
    return task


def page(session: Session, user: User, task_id: int) -> TaskPage:
    task = _take(session, user, task_id)
    model = deploy.model_for(task.instance.process_version)
    element = model.element(task.bpmn_id)
    application = zones.application_element(deploy.model_for(task.zone.instances[0].process_version))
    return TaskPage(task, element, application, store.history(session, task.zone_id),
                    _remit(element, application, task.zone.application), store.measures(session, task.zone_id))


def _remit(element: Element, application: Element | None, data: Mapping[str, Any]) -> list[Option]:
    wanted = {p.strip() for p in element.prop("remit").split(",") if p.strip()}
    policies: Field | None = next((f for f in application.form if f.id == "priority_policies"), None) \
        if application else None
    if not wanted or policies is None:
        return []
    requested = set(data.get("priority_policies") or [])
    return [o for o in policies.options if o.id in wanted and o.id in requested]


def complete(session: Session, user: User, task_id: int, raw: Mapping[str, Any], *,
             strict: bool = False, now: datetime | None = None) -> HumanTask:
    """Validate, run the engine, save state, rows and history: one commit, or nothing at all."""
    now = now or utcnow()
    task = _take(session, user, task_id)
    _ensure_free_for(task, user)
    instance = store.instance_for_update(session, task.instance_id)
    session.refresh(task)
    _ensure_open(task)
    _ensure_free_for(task, user)
    model = deploy.model_for(instance.process_version)
    element = model.element(task.bpmn_id)
    data = forms.clean(element.form, raw, strict=strict)
    zone = task.zone
    if any(f.id == zones.NAME_FIELD for f in element.form):
        zones.check_application(session, user, element, data, zone)
        zones.apply_application(zone, data)
    run = model.restore(instance.state)
    done = run.complete(task.engine_id, data, now)
    task.status = TaskStatus.DONE
    task.completed_at = now
    task.completed_by_id = user.id
    store.add_event(session, instances.task_event(user, zone, instance, element, data, now))
    progress.settle(session, instance, run, zone, now, done, user)
    commit(session)
    return task

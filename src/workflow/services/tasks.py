"""Human tasks: the inbox, one task's page, completing it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflow import files, store
from workflow.errors import ClaimedByOther, Msg, NotFound, PermissionDenied, StaleInstance, TaskAlreadyDone, Text
from workflow.models import Event, HumanTask, Measure, TaskStatus, User, utcnow
from workflow.modelxml import Element, Field, Option
from workflow.services import (
    briefing,
    commit,
    deploy,
    disclosure,
    documents,
    failures,
    handover,
    holidays,
    instances,
    opinions,
    progress,
    zones,
)
from workflow.services import inbox as inbox_service

ACT, HELD, DONE = "act", "held", "done"  # what the task page lets its viewer do: act, watch a colleague's claim, read
ATTEMPTS = 8  # parallel branches of one instance finishing at once; each lost attempt means another step won


def inbox(session: Session, user: User, limit: int | None = None, offset: int = 0) -> Sequence[HumanTask]:
    """Open tasks the user may act on, most urgent first (the inbox's default tab and order)."""
    return inbox_service.tasks(session, user, limit, offset)


def following(session: Session, user: User) -> int | None:
    """The task the user should do next (the first of the inbox), where a submit leads."""
    first = inbox_service.tasks(session, user, limit=1)
    return first[0].id if first else None


@dataclass
class TaskPage:
    """What the task page shows: the form, the application, the policies in this unit's remit."""

    task: HumanTask
    element: Element
    application: Element | None
    history: Sequence[Event]
    remit: list[Option] = field(default_factory=list)
    measures: Sequence[Measure] = ()
    sections: Sequence[briefing.Section] = ()  # the earlier data the task's ``show`` property names
    opinions: Sequence[opinions.Opinion] = ()  # the opinions a consolidation weighs (``opinions`` property)
    tally: Sequence[opinions.Tally] = ()
    mode: str = ACT
    decided: briefing.Section | None = None  # a done task: what was decided, by whom, when
    values: Mapping[str, Any] = field(default_factory=dict)  # a returned task starts with its last submission
    colleagues: Sequence[User] = ()  # whom the user may delegate the task to
    uncounted: Sequence[int] = ()  # years its deadline in working days went through without their holidays


def take(session: Session, user: User, task_id: int, now: datetime | None = None,
         lock_instance: bool = False) -> HumanTask:
    """The task if the user (or a colleague on leave the user stands in for) may act on it.

    404 if unseen, 403 if not theirs, 409 if done. With ``lock_instance`` its instance is read and locked
    in the same statement (``task.instance``), for a step.
    """
    task = store.actionable_task(session, user, task_id, lock_instance)
    if task is None:
        task = next((t for a in store.absentees(session, user, now or utcnow())
                     if (t := store.actionable_task(session, a, task_id, lock_instance)) is not None), None)
    if task is None:
        if store.visible_task(session, user, task_id) is None:
            raise NotFound(Msg("没有这个任务"))
        raise PermissionDenied(Msg("这个任务不由您办理"))
    _ensure_open(task)
    return task


_take = take


def _ensure_open(task: HumanTask) -> None:
    if task.status != TaskStatus.OPEN:
        raise TaskAlreadyDone(Msg("这个任务已经办结"))


def _ensure_free_for(task: HumanTask, user: User) -> None:
    if task.claimed_by_id is not None and task.claimed_by_id != user.id:
        who = task.claimed_by
        raise ClaimedByOther(Msg("这个任务已由 %(who)s 认领", who=Text(who.label("zh"), who.label("en"))))


ensure_free_for = _ensure_free_for


def claim(session: Session, user: User, task_id: int, now: datetime | None = None) -> HumanTask:
    """Take a task so that colleagues with the same role leave it to you; of two at once, one wins."""
    now = now or utcnow()
    task = take(session, user, task_id, now)
    away = {a.id for a in store.absentees(session, user, now)}
    was = task.claimed_by_id if task.claimed_by_id in away else None  # a substitute takes over the absentee's claim
    if was is None:
        _ensure_free_for(task, user)
    if task.claimed_by_id == was:
        if store.set_claim(session, task, user.id, was, now):
            store.add_event(session, instances.audit_event("task_claimed", user, task, now))
            commit(session)
        else:
            _still_yours(task, user)
    return task


def unclaim(session: Session, user: User, task_id: int, now: datetime | None = None) -> HumanTask:
    """Give a claimed task back to everyone with the role."""
    now = now or utcnow()
    task = _take(session, user, task_id)
    _ensure_free_for(task, user)
    if task.claimed_by_id is not None:
        if store.set_claim(session, task, None, user.id, None):
            store.add_event(session, instances.audit_event("task_unclaimed", user, task, now))
            commit(session)
        else:
            _still_yours(task, user)
    return task


def _still_yours(task: HumanTask, user: User) -> None:
    """After a conditional update matched nothing: why (done, or another's claim), as a 409."""
    _ensure_open(task)
    _ensure_free_for(task, user)


def page(session: Session, user: User, task_id: int) -> TaskPage:
    """The page of a task the user may act on now (409 once done)."""
    return _build(session, user, _take(session, user, task_id), ACT)


def view(session: Session, user: User, task_id: int) -> TaskPage:
    """The task page for whoever may see it: the form for a candidate, read-only under a colleague's claim,
    and for a done task what was decided, by whom and when."""
    task = store.visible_task(session, user, task_id)
    if task is None:
        raise NotFound(Msg("没有这个任务"))
    if task.status != TaskStatus.OPEN:
        return _done(session, user, task)
    if store.actionable_task(session, user, task_id) is None:
        raise PermissionDenied(Msg("这个任务不由您办理"))
    held = task.claimed_by_id is not None and task.claimed_by_id != user.id
    return _build(session, user, task, HELD if held else ACT)


def _history(session: Session, user: User, task: HumanTask) -> list[Event]:
    return disclosure.Reader(user, task.zone.instances).rows(store.history(session, task.zone_id))


def _done(session: Session, user: User, task: HumanTask) -> TaskPage:
    model = deploy.model_for(task.instance.process_version)
    event = store.completion(session, task)
    done = [briefing.from_event(event, model)] if event is not None and event.kind == "task_completed" else []
    return TaskPage(task, model.element(task.bpmn_id), None, _history(session, user, task), mode=DONE,
                    decided=briefing.readable(user, task.zone, done)[0] if done else None)


def _build(session: Session, user: User, task: HumanTask, mode: str) -> TaskPage:
    model = deploy.model_for(task.instance.process_version)
    element = zones.narrowed(model.element(task.bpmn_id), user)
    application = zones.application_element(deploy.model_for(task.zone.lifecycle.process_version))
    weighed = opinions.of_task(session, task, model, element)
    return TaskPage(task, element, application, _history(session, user, task),
                    _remit(element, application, task.zone.application), store.measures(session, task.zone_id),
                    briefing.sections(session, user, task, element), weighed, opinions.tally(weighed), mode,
                    values=_last_submission(session, task, element),
                    colleagues=handover.colleagues(session, user, task), uncounted=_uncounted(session, task, element))


def _uncounted(session: Session, task: HumanTask, element: Element) -> list[int]:
    if task.due_at is None or not element.prop("due_working_days"):
        return []
    return holidays.uncovered_between(session, task.created_at, task.due_at)


def _last_submission(session: Session, task: HumanTask, element: Element) -> dict[str, Any]:
    """What was last submitted at this same step of the instance (a returned application, a redone report)."""
    last = store.latest_steps(session, task.instance_id, [task.bpmn_id]).get(task.bpmn_id)
    if last is None:
        return {}
    return {f.id: last.data[f.id] for f in element.form if last.data.get(f.id) not in (None, "", [])}


def check(page: TaskPage, raw: Mapping[str, Any]) -> None:
    """Validate a submission without completing (before asking to confirm it): InvalidForm as ``complete``."""
    opinions.clean(page.element, page.opinions, raw)


def irreversible(element: Element, values: Mapping[str, Any]) -> tuple[Field, str] | None:
    """The field and choice among ``values`` that its ``irreversible`` property names (asked to confirm first)."""
    for f in element.form:
        chosen = values.get(f.id)
        if isinstance(chosen, str) and chosen in {v.strip() for v in dict(f.properties).get("irreversible", "")
                                                  .split(",") if v.strip()}:
            return f, chosen
    return None


def form(session: Session, user: User, task_id: int) -> Element:
    """The form of a task the user may act on: what a submitted task page is read against."""
    task = _take(session, user, task_id)
    return deploy.model_for(task.instance.process_version).element(task.bpmn_id)


def _remit(element: Element, application: Element | None, data: Mapping[str, Any]) -> list[Option]:
    wanted = {p.strip() for p in element.prop("remit").split(",") if p.strip()}
    policies: Field | None = next((f for f in application.form if f.id == "priority_policies"), None) \
        if application else None
    if not wanted or policies is None:
        return []
    requested = set(data.get("priority_policies") or [])
    return [o for o in policies.options if o.id in wanted and o.id in requested]


def complete(session: Session, user: User, task_id: int, raw: Mapping[str, Any], *,
             strict: bool = False, now: datetime | None = None, limit: int = files.LIMIT) -> HumanTask:
    """Validate, run the engine, save state, rows and history: one commit, or nothing at all.

    A parallel step on the same instance that commits first (another branch, a timer) makes this one
    stale; it is then redone on the new state, as long as the task is still open and the user's
    (each attempt checks that again), at most ``ATTEMPTS`` times.
    """
    now = now or utcnow()
    attempt = 1
    while True:
        try:
            return _complete(session, user, task_id, raw, strict, now, limit)
        except StaleInstance:
            session.rollback()
            if attempt >= ATTEMPTS:
                raise
            attempt += 1


def _complete(session: Session, user: User, task_id: int, raw: Mapping[str, Any], strict: bool,
              now: datetime, limit: int) -> HumanTask:
    task = _take(session, user, task_id, lock_instance=True)
    _ensure_free_for(task, user)
    instance = task.instance
    model = deploy.model_for(instance.process_version)
    element = model.element(task.bpmn_id)
    data = opinions.clean(element, opinions.of_task(session, task, model, element, people=False), raw,
                          strict)
    documents.check_fields(element.form, data, limit)
    zone = task.zone
    if any(f.id == zones.NAME_FIELD for f in element.form):
        zones.check_application(session, user, element, data, zone)
    if not store.close_task(session, task, user.id, now):  # done or claimed meanwhile: the row was read again
        _still_yours(task, user)
        raise TaskAlreadyDone(Msg("这个任务已经办结"))
    # This transaction now writes. On SQLite that took the database's write lock (the row lock above is
    # PostgreSQL's only), so reading the state again here gives the state no one can change before commit.
    store.reread_after_write(session, instance)
    data = documents.take_fields(session, user, zone, task, element.form, data, limit, now)
    if any(f.id == zones.NAME_FIELD for f in element.form):
        zones.apply_application(zone, data)
        store.copy_zone_to_tasks(session, zone)
    with failures.reported(session, f"completing {task.bpmn_id}", zone.id, instance.id, user):
        run = model.restore(instance.state)
        done = run.complete(task.engine_id, data, now)
        store.add_event(session, instances.task_event(user, zone, instance, element, data, now))
        progress.settle(session, instance, run, zone, now, done, user)
        commit(session)
    return task

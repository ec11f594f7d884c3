"""Handing work over: a supervisor reassigns, an official delegates and gets it back, substitutes during leave."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from workflow import store
from workflow.errors import ClaimedByOther, Conflict, InvalidForm, Msg, NotFound, PermissionDenied, Text
from workflow.models import HumanTask, Substitute, TaskStatus, User, utcnow
from workflow.roles import Role
from workflow.services import commit, instances, notifications

SUPERVISORS = frozenset({Role.BUREAU_HEAD})  # who may reassign the tasks of their organisation's people


def _who(user: User) -> Text:
    return Text(user.label("zh"), user.label("en"))


def _colleague(session: Session, user: User, username: str, field: str = "to") -> User:
    """A user of the same organisation; 400 when the name is missing or unknown, 403 from another organisation."""
    other = store.user_by_name(session, username.strip()) if isinstance(username, str) and username.strip() else None
    if other is None or not other.active:
        raise InvalidForm(Msg("表单有误，请按提示修改"), {field: Msg("没有这个用户")})
    if other.organisation_id != user.organisation_id:
        raise PermissionDenied(Msg("只能交给本单位的人员：%(who)s 不在本单位", who=_who(other)))
    return other


def _able(session: Session, other: User, task: HumanTask) -> None:
    """The colleague must see the zone and be a candidate for the task."""
    if store.visible_task(session, other, task.id) is None:
        raise PermissionDenied(Msg("%(who)s 无权查看这个试验区", who=_who(other)))
    if store.actionable_task(session, other, task.id) is None:
        raise PermissionDenied(Msg("%(who)s 不能办理这个任务", who=_who(other)))


def _open(task: HumanTask) -> None:
    if task.status != TaskStatus.OPEN:
        raise Conflict(Msg("这个任务已经办结"))


def _event(session: Session, kind: str, user: User, task: HumanTask, now: datetime, comment: str = "",
           **data: str | None) -> None:
    event = instances.audit_event(kind, user, task, now)
    event.comment, event.data = comment, {k: v for k, v in data.items() if v}
    store.add_event(session, event)


def reassign(session: Session, head: User, task_id: int, to: str, reason: str, now: datetime | None = None
             ) -> HumanTask:
    """A supervisor gives a task of the organisation to one of its people, with a reason (in the history)."""
    now = now or utcnow()
    task = store.visible_task(session, head, task_id)
    if task is None:
        raise NotFound(Msg("没有这个任务"))
    if not head.has(*SUPERVISORS):
        raise PermissionDenied(Msg("只有本单位的负责人可以改派任务"))
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > 500:
        raise InvalidForm(Msg("表单有误，请按提示修改"), {"reason": Msg("必填项，最多 500 个字")})
    _open(task)
    target = _colleague(session, head, to)
    _able(session, target, task)
    before = task.claimed_by
    if not store.set_claim(session, task, target.id, task.claimed_by_id, now):
        raise Conflict(Msg("这个任务刚刚有了变化，请刷新后重试"))
    _event(session, "task_reassigned", head, task, now, reason, to=target.username,
           previous=before.username if before else None)
    notifications.notify(session, [target.id], "reassigned", task=task, actor=head, note=reason, now=now)
    commit(session)
    return task


def delegate(session: Session, user: User, task_id: int, to: str, now: datetime | None = None) -> HumanTask:
    """Hand a task to a colleague who may act on it; it comes back when the colleague resolves it."""
    from workflow.services import tasks

    now = now or utcnow()
    task = tasks.take(session, user, task_id, now)
    tasks.ensure_free_for(task, user)
    target = _colleague(session, user, to)
    if target.id == user.id:
        raise InvalidForm(Msg("表单有误，请按提示修改"), {"to": Msg("不能委托给自己")})
    _able(session, target, task)
    if not store.set_claim(session, task, target.id, task.claimed_by_id, now, delegated_by=user.id):
        raise ClaimedByOther(Msg("这个任务刚刚有了变化，请刷新后重试"))
    _event(session, "task_delegated", user, task, now, to=target.username)
    notifications.notify(session, [target.id], "delegated", task=task, actor=user, now=now)
    commit(session)
    return task


def resolve(session: Session, user: User, task_id: int, comment: str = "", now: datetime | None = None) -> HumanTask:
    """The colleague gives a delegated task back to the official who delegated it."""
    from workflow.services import tasks

    now = now or utcnow()
    task = tasks.take(session, user, task_id, now)
    if task.delegated_by_id is None or task.claimed_by_id != user.id:
        raise Conflict(Msg("这个任务不是委托给您的"))
    owner = task.delegated_by
    if not store.set_claim(session, task, task.delegated_by_id, user.id, now):
        raise Conflict(Msg("这个任务刚刚有了变化，请刷新后重试"))
    _event(session, "task_resolved", user, task, now, (comment or "")[:500] if isinstance(comment, str) else "",
           to=owner.username if owner else None)
    commit(session)
    return task


def reassign_page(session: Session, head: User, task_id: int) -> tuple[HumanTask, list[User]]:
    """The task a supervisor may reassign, and the people of the organisation who may act on it."""
    task = store.visible_task(session, head, task_id)
    if task is None:
        raise NotFound(Msg("没有这个任务"))
    if not head.has(*SUPERVISORS):
        raise PermissionDenied(Msg("只有本单位的负责人可以改派任务"))
    _open(task)
    return task, colleagues(session, head, task)


def colleagues(session: Session, user: User, task: HumanTask) -> list[User]:
    """The people of the user's organisation (the user aside) who may act on the task."""
    return [u for u in store.users_of(session, user.organisation_id)
            if u.id != user.id and u.active and store.actionable_task(session, u, task.id) is not None]


def add_substitute(session: Session, user: User, substitute: str, starts_on: date, ends_on: date,
                   absentee: str = "") -> Substitute:
    """While ``absentee`` (the user, or for a supervisor one of the organisation) is on leave, a colleague stands in."""
    away = user if not absentee or absentee == user.username else _colleague(session, user, absentee, "absentee")
    if away.id != user.id and not user.has(*SUPERVISORS):
        raise PermissionDenied(Msg("只有本单位的负责人可以为他人安排代理"))
    stand_in = _colleague(session, user, substitute, "substitute")
    errors = {}
    if stand_in.id == away.id:
        errors["substitute"] = Msg("不能由本人代理")
    if ends_on < starts_on:
        errors["ends_on"] = Msg("结束日期不能早于开始日期")
    if errors:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)
    row = Substitute(absentee_id=away.id, substitute_id=stand_in.id, starts_on=starts_on, ends_on=ends_on,
                     created_by_id=user.id, created_at=utcnow())
    session.add(row)
    store.add_event(session, instances.account_event("substitute_set", user, away, stand_in, starts_on, ends_on))
    commit(session)
    return row


def substitutes(session: Session, user: User) -> Sequence[Substitute]:
    """The leave arrangements the user is part of (as absentee, substitute or the one who made them)."""
    return store.substitutes_of(session, user.id)

"""In-app notifications (new task, due soon, overdue, escalation, reassigned, delegated) and their e-mails."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel.support import Translations
from sqlalchemy import Row, Select, bindparam, func, literal, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflow import access, inputs, store
from workflow.errors import InvalidForm, Msg, NotFound, Text
from workflow.models import HumanTask, MailOutbox, Notification, ProcessInstance, TaskStatus, User, Zone, utcnow
from workflow.services import commit, deploy

KINDS = ("new_task", "due_soon", "overdue", "escalation", "reassigned", "delegated")
ONCE = {"new_task", "due_soon", "overdue", "escalation"}  # at most one per task and person
PAGE = 50
SUBJECTS = {
    "new_task": Msg("新任务：%(task)s（%(zone)s）"), "due_soon": Msg("即将到期：%(task)s（%(zone)s）"),
    "overdue": Msg("已逾期：%(task)s（%(zone)s）"), "escalation": Msg("逾期督办：%(task)s（%(zone)s）"),
    "reassigned": Msg("转交给您：%(task)s（%(zone)s）"), "delegated": Msg("委托给您：%(task)s（%(zone)s）"),
}


@dataclass(frozen=True)
class Message:
    """One notification to send: to whom (user ids and candidate keys), of what kind, about which task."""

    to: Sequence[int | str]
    kind: str
    task: HumanTask | None = None


def notify(session: Session, to: Iterable[int | str], kind: str, task: HumanTask | None = None,
           zone: Zone | None = None, actor: User | None = None, note: str = "",
           now: datetime | None = None) -> list[int]:
    """Tell people about a task or zone, in the app and, when they have an address, by e-mail (sent by the worker).

    ``to`` holds user ids and candidate keys (``group:<role>``, ``user:<username>``); only people who may
    see the zone are told. Kinds in ``ONCE`` reach a person once per task, however often they are asked
    for (two workers at once included). Adds rows, the caller commits. Returns the ids of the people told now.
    """
    zone = zone or (task.zone if task else None)
    if zone is None:
        raise ValueError("a notification is about a task or a zone")
    return send(session, zone, [Message(list(to), kind, task)], actor, note, now)[0]


def send(session: Session, zone: Zone, messages: Sequence[Message], actor: User | None = None, note: str = "",
         now: datetime | None = None) -> list[list[int]]:
    """Several notifications about one zone in two statements: who is told of each, then one insert of them all.

    Returns, for each message, the ids of the people told now.
    """
    for message in messages:
        if message.kind not in KINDS:
            raise ValueError(f"unknown notification kind {message.kind!r}")
    people = _recipients(session, zone, messages)
    if not people:
        return [[] for _ in messages]
    now = now or utcnow()
    rows = [{"user_id": person.id, "kind": message.kind, "task_id": message.task.id if message.task else None,
             "zone_id": zone.id, "actor_id": actor.id if actor else None, "note": note[:2000], "created_at": now,
             "dedup": f"{message.kind}:{message.task.id}:{person.id}"
             if message.task is not None and message.kind in ONCE else None}
            for n, message in enumerate(messages) for person in people.get(n, ())]
    inserted = session.connection().execute(_INSERT[session.get_bind().dialect.name], rows).all()
    told = {(row.kind, row.task_id, row.user_id): row.id for row in inserted}
    result: list[list[int]] = []
    for n, message in enumerate(messages):
        key = (message.kind, message.task.id if message.task else None)
        now_told = [person for person in people.get(n, ()) if (*key, person.id) in told]
        mailed = [person for person in now_told if person.email]
        if mailed:
            subject, body = mail_text(message.kind, message.task, zone, note)
            session.add_all(MailOutbox(notification_id=told[(*key, person.id)], to_addr=person.email,
                                       subject=subject, body=body, created_at=now) for person in mailed)
        result.append(sorted(person.id for person in now_told))
    return result


def _recipients(session: Session, zone: Zone, messages: Sequence[Message]) -> dict[int, list[Row]]:
    """For each message (by its place), the people it names who may see the zone: one statement for up to
    ``PER_STATEMENT`` messages (a step rarely opens more than a handful of tasks)."""
    people: dict[int, list[Row]] = {}
    for first in range(0, len(messages), PER_STATEMENT):
        chunk = messages[first:first + PER_STATEMENT]
        params: dict[str, Any] = {"province": zone.province, "applicant_id": zone.applicant_id}
        for n, message in enumerate(chunk):
            params[f"ids{n}"] = [k for k in message.to if isinstance(k, int)]
            params[f"roles{n}"] = access.candidate_roles(k.removeprefix("group:") for k in message.to
                                                         if isinstance(k, str) and k.startswith("group:"))
            params[f"names{n}"] = [k.removeprefix("user:") for k in message.to
                                   if isinstance(k, str) and k.startswith("user:")]
        for row in session.execute(_recipients_query(len(chunk)), params):
            people.setdefault(first + row.n, []).append(row)
    return people


PER_STATEMENT = 50


@lru_cache(maxsize=PER_STATEMENT)
def _recipients_query(count: int) -> Select:
    """The people ``count`` messages name among those who may see a zone, built once for each count."""
    audience = access.zone_audience(bindparam("province"), bindparam("applicant_id"))
    queries = [select(literal(n).label("n"), User.id, User.email)
               .where(audience, access.named(bindparam(f"ids{n}", expanding=True),
                                             bindparam(f"roles{n}", expanding=True),
                                             bindparam(f"names{n}", expanding=True)))
               for n in range(count)]
    return (queries[0] if count == 1 else union_all(*queries)).order_by("n", "id")


_INSERT = {name: dialect.insert(Notification.__table__).on_conflict_do_nothing()
           .returning(Notification.id, Notification.user_id, Notification.kind, Notification.task_id)
           for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}


@cache
def _english() -> Translations:
    return Translations.load(str(Path(__file__).parents[1] / "translations"), ["en"])


def mail_text(kind: str, task: HumanTask | None, zone: Zone, note: str) -> tuple[str, str]:
    """Subject and body of the e-mail for a notification: Chinese, then English."""
    name = Text(task.name, task.name_en) if task else Text("")
    subject = SUBJECTS[kind]
    params = {"task": name, "zone": zone.name}
    zh, en = Msg(subject.msgid, **params), Msg(subject.msgid, **params)
    lines = [zh.render(), en.render(_english().gettext, "en")]
    if note:
        lines.append(note)
    return f"[国检试验区] {zh.render()}"[:300], "\n\n".join(lines) + "\n"


def task_opened(session: Session, instance: ProcessInstance, opened: Sequence[HumanTask], now: datetime) -> None:
    """Tell the candidates of newly opened tasks; a task opened by a timer on another task is an escalation."""
    if not opened:
        return
    model = deploy.model_for(instance.process_version)
    chased = {t for el in model.elements.values() if el.kind == "boundaryEvent" and el.trigger == "timer"
              for t in el.targets}
    session.flush()  # the new rows' ids
    send(session, instance.zone, [Message([f"user:{task.assignee}"] if task.assignee else
                                          [f"{c.kind.value}:{c.name}" for c in task.candidates],
                                          "escalation" if task.bpmn_id in chased else "new_task", task)
                                  for task in opened], now=now)


def remind_due_soon(session: Session, task_id: int, now: datetime) -> int:
    """The ``due_soon`` notification of one task to its candidates (once each); commits. How many were told."""
    task = session.get(HumanTask, task_id)
    if task is None:
        return 0
    told = notify(session, _keys(task), "due_soon", task=task, now=now)
    commit(session)
    return len(told)


def _keys(task: HumanTask) -> list[int | str]:
    if task.claimed_by_id is not None:
        return [task.claimed_by_id]
    if task.assignee:
        return [f"user:{task.assignee}"]
    return [f"{c.kind.value}:{c.name}" for c in task.candidates]


def overdue(session: Session, task: HumanTask, now: datetime) -> None:
    """The ``overdue`` notification of a task to whoever holds it or may take it; the caller commits."""
    notify(session, _keys(task), "overdue", task=task, now=now)


def due_soon_tasks(session: Session, now: datetime, until: datetime, limit: int = 10_000) -> list[int]:
    """Open tasks due between now and ``until`` whose due-soon reminder has not gone out."""
    told = select(Notification.id).where(Notification.task_id == HumanTask.id, Notification.kind == "due_soon")
    return list(session.scalars(select(HumanTask.id).where(HumanTask.status == TaskStatus.OPEN, HumanTask.due_at > now,
                                                           HumanTask.due_at <= until, ~told.exists())
                                .order_by(HumanTask.due_at, HumanTask.id).limit(limit)))


@dataclass(frozen=True)
class Inbox:
    """A page of someone's notifications, newest first; ``total`` counts every one the filter matches."""

    items: list[Notification]
    unread: int
    total: int = 0


QUERY = ("unread", "limit", "offset")


def parse_query(args: Mapping[str, str]) -> tuple[bool, int, int]:
    """``unread`` (true/false), ``limit`` (1–200), ``offset`` of a listing request; anything else is a 400."""
    errors: dict[str, Msg] = {k: Msg("不是可用的查询参数") for k in args if k not in (*QUERY, "lang")}
    unread = args.get("unread", "false")
    if unread not in ("true", "false"):
        errors["unread"] = Msg("应为 true 或 false")
    limit = inputs.bounded(args, "limit", PAGE, 1, 200, errors)
    offset = inputs.bounded(args, "offset", 0, 0, 10**6, errors)
    if errors:
        raise InvalidForm(Msg("查询参数有误"), errors)
    return unread == "true", limit or PAGE, offset or 0


def page(session: Session, user: User, unread_only: bool = False, limit: int = PAGE, offset: int = 0) -> Inbox:
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    items = list(session.scalars(query.order_by(Notification.id.desc()).limit(limit).offset(offset)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return Inbox(items, unread_count(session, user), total)


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, user: User, notification_id: int | None = None, now: datetime | None = None) -> int:
    """Mark one of the user's notifications read (or all of them); someone else's is left alone. How many."""
    statement = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    changed = session.execute(statement.values(read_at=now or utcnow())
                              .execution_options(synchronize_session=False)).rowcount
    commit(session)
    return changed


def mark_one_read(session: Session, user: User, notification_id: int, now: datetime | None = None) -> int:
    """Mark one of the user's notifications read (again is fine); someone else's or an unknown one is a 404."""
    mine = select(Notification.id).where(Notification.id == notification_id, Notification.user_id == user.id)
    if not 0 < notification_id <= store.MAX_ID or session.scalar(mine) is None:
        raise NotFound(Msg("没有这条通知"))
    return mark_read(session, user, notification_id, now)



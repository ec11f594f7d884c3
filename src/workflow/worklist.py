"""The inbox queries: one indexed query over task rows that carry what it filters and sorts on, and its counts.

A task is offered under keys (``task_key``, see :func:`workflow.access.task_keys`); a user holds keys too. The
page is the open tasks whose id is among those of the user's keys (one uncorrelated sub-select), inside the
user's scope on the copied zone columns, filtered and sorted on the task row alone.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, distinct, func, select, union
from sqlalchemy.orm import Session, aliased, lazyload

from workflow.models import HumanTask, TaskKey, TaskStatus

DUE_SOON = timedelta(days=3)
ORDERED_FROM = 500  # matches beyond which walking the ordered index beats sorting them
TABS = ("mine", "groups", "all")
SORTS = {
    "due": (HumanTask.priority_rank, HumanTask.due_sort, HumanTask.id),
    "created": (HumanTask.created_at.desc(), HumanTask.id.desc()),
    "zone": (HumanTask.zone_name, HumanTask.due_sort, HumanTask.id),
}


@dataclass(frozen=True)
class Reach:
    """Whose inbox: the keys held (one's own and those of colleagues one stands in for) and the rows in scope."""

    user_id: int
    usernames: frozenset[str]
    keys: frozenset[str]
    scope: ColumnElement[bool]
    sees_all: bool = False  # the scope is every zone: counting the keys alone is enough


@dataclass(frozen=True)
class Query:
    """Filters and order of an inbox page; empty values filter nothing."""

    tab: str = "all"
    zone: int | None = None
    province: str = ""
    stage: str = ""
    type: str = ""
    due: str = ""  # "soon" or "overdue"
    claimed: str = ""  # "me" or "none"
    q: str = ""
    sort: str = "due"
    limit: int = 50
    offset: int = 0


def _offered(keys: Collection[str], ordered: bool = False) -> ColumnElement[bool]:
    """The task is offered under one of ``keys``. ``ordered``: as a filter (``id + 0`` is not indexed), so that the
    planner walks an inbox index in the page's order and stops after one page, instead of sorting every match."""
    column = HumanTask.id + 0 if ordered else HumanTask.id
    return column.in_(select(TaskKey.task_id).where(TaskKey.key.in_(sorted(keys))))


def _tab(reach: Reach, tab: str, ordered: bool = False) -> list[ColumnElement[bool]]:
    if tab == "mine":  # claimed by me, or offered to me by name (assignee, candidate user): two index lookups
        names = sorted(k for k in reach.keys if not k.startswith("g:"))
        return [HumanTask.id.in_(union(
            select(HumanTask.id).where(HumanTask.claimed_by_id == reach.user_id, HumanTask.status == TaskStatus.OPEN),
            select(TaskKey.task_id).where(TaskKey.key.in_(names))))]
    if tab == "groups":
        return [_offered({k for k in reach.keys if k.startswith("g:")}, ordered)]
    return [_offered(reach.keys, ordered)]


def _filters(query: Query, user_id: int, now: datetime) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    for column, value in ((HumanTask.zone_id, query.zone), (HumanTask.province, query.province),
                          (HumanTask.stage, query.stage), (HumanTask.bpmn_id, query.type)):
        if value:
            clauses.append(column == value)
    if query.due == "overdue":
        clauses.append(HumanTask.due_sort <= now)
    elif query.due == "soon":
        clauses.extend([HumanTask.due_sort > now, HumanTask.due_sort <= now + DUE_SOON])
    if query.claimed == "me":
        clauses.append(HumanTask.claimed_by_id == user_id)
    elif query.claimed == "none":
        clauses.append(HumanTask.claimed_by_id.is_(None))
    if query.q:
        escaped = query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(HumanTask.zone_name.like(f"%{escaped}%", escape="\\"))
    return clauses


def _where(reach: Reach, query: Query, tab: str, now: datetime, ordered: bool = False) -> list[ColumnElement[bool]]:
    return [HumanTask.status == TaskStatus.OPEN, reach.scope, *_tab(reach, tab, ordered),
            *_filters(query, reach.user_id, now)]


def _page_where(reach: Reach, query: Query, now: datetime, matches: int) -> list[ColumnElement[bool]]:
    """Many matches by due date (the default): the page walks ``ix_human_task_inbox(_province)`` in order and stops
    after a page; a few are found by their keys and sorted."""
    return _where(reach, query, query.tab, now, ordered=query.sort == "due" and matches > ORDERED_FROM)


def page(session: Session, reach: Reach, query: Query, now: datetime, matches: int = 0) -> Sequence[HumanTask]:
    """One page of the inbox tab, in the order asked for; ``matches``: how many the tab holds (its count)."""
    statement: Select = (select(HumanTask).where(*_page_where(reach, query, now, matches))
                         .order_by(*SORTS[query.sort]).limit(query.limit).offset(query.offset)
                         .options(lazyload(HumanTask.zone), lazyload(HumanTask.candidates)))
    return session.scalars(statement).unique().all()


def counts(session: Session, reach: Reach, query: Query, now: datetime) -> dict[str, int]:
    """How many tasks each tab holds with these filters."""
    return {tab: session.scalar(count_statement(reach, query, tab, now)) or 0 for tab in TABS}


def count_statement(reach: Reach, query: Query, tab: str, now: datetime) -> Select:
    """A count over the task rows; over the keys' index alone when nothing but the keys decides (keys are open only)."""
    if reach.sees_all and tab != "mine" and not _filters(query, reach.user_id, now):
        return _count_keys(reach, tab)
    return select(func.count()).select_from(HumanTask).where(*_where(reach, query, tab, now))


def _count_keys(reach: Reach, tab: str) -> Select:
    """Tasks under the group keys (one key: no task twice, an index range count), plus those offered to the user
    by name alone (a few rows)."""
    groups = sorted(k for k in reach.keys if k.startswith("g:"))
    names = sorted(k for k in reach.keys if not k.startswith("g:"))
    if len(groups) > 1:
        wanted = groups if tab == "groups" else [*groups, *names]
        return select(func.count(distinct(TaskKey.task_id))).where(TaskKey.key.in_(wanted))
    grouped = select(func.count()).select_from(TaskKey).where(TaskKey.key.in_(groups)).scalar_subquery()
    if tab == "groups":
        return select(grouped)
    other = aliased(TaskKey)
    named = (select(func.count(distinct(TaskKey.task_id))).where(
        TaskKey.key.in_(names), ~select(other.task_id).where(other.task_id == TaskKey.task_id,
                                                            other.key.in_(groups)).exists())).scalar_subquery()
    return select(grouped + named)


def statement(reach: Reach, query: Query, now: datetime, matches: int = 0) -> Select:
    """The page's statement, for query plans (``bench/inbox.py``)."""
    return (select(HumanTask.id).where(*_page_where(reach, query, now, matches))
            .order_by(*SORTS[query.sort]).limit(query.limit).offset(query.offset))

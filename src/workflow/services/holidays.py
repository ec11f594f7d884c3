"""The working-day calendar kept as data: loading the official calendars, an administrator's edits, due dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import store, workdays
from workflow.characters import name_problem, normalise_name
from workflow.errors import InvalidForm, Msg
from workflow.models import CalendarDay, Event, User, utcnow
from workflow.modelxml import Element
from workflow.services import commit
from workflow.services.accounts import ensure_admin
from workflow.timeparse import due_from

DUE_SOON_WORKING_DAYS = 2  # a task due by the end of the second working day from today is "due soon"


def current(session: Session) -> workdays.Calendar:
    """The calendar as the database holds it now (a few dozen rows a year); no flush of a step half made."""
    with session.no_autoflush:
        return workdays.Calendar.of([_day(row) for row in session.scalars(select(CalendarDay))])


def _day(row: CalendarDay) -> workdays.Day:
    return workdays.Day(row.day, row.working, row.name, row.name_en)


def due_at(session: Session, element: Element, now: datetime) -> datetime | None:
    """When a task of ``element`` opened at ``now`` is due: ``due_working_days`` if set, else ``camunda:dueDate``."""
    working_days = element.prop("due_working_days")
    if working_days:
        return current(session).add(now, int(working_days))
    return due_from(element.due, now)


def soon(session: Session, now: datetime | None = None) -> datetime:
    """Tasks due up to this instant are "due soon"."""
    return current(session).add(now or utcnow(), DUE_SOON_WORKING_DAYS)


def uncovered_years(session: Session, today: date | None = None) -> list[int]:
    """Which of this year and the next (Beijing time) have no holiday in the calendar yet.

    In such a year deadlines in working days count Monday to Friday only: the official calendar is
    published late each year and must be entered, nothing here guesses it.
    """
    this = (today or utcnow().astimezone(workdays.LOCAL).date()).year
    return _uncovered(session, range(this, this + 2))


def uncovered_between(session: Session, start: datetime, end: datetime) -> list[int]:
    """The years from ``start`` to ``end`` (Beijing time) without a holiday: a deadline counted through them
    counted Monday to Friday only there."""
    first, last = (t.astimezone(workdays.LOCAL).year for t in (start, end))
    return _uncovered(session, range(first, min(last, first + 10) + 1))


def _uncovered(session: Session, years: range) -> list[int]:
    holidays = select(CalendarDay.day).where(~CalendarDay.working)
    return [y for y in years
            if session.scalar(holidays.where(CalendarDay.day >= date(y, 1, 1), CalendarDay.day <= date(y, 12, 31))
                              .limit(1)) is None]


def load_shipped(session: Session) -> int:
    """Add the shipped official days that are missing; an administrator's edit of a day is kept. No commit."""
    have = set(session.scalars(select(CalendarDay.day)))
    added = 0
    for _year, _source, day in workdays.shipped():
        if day.day not in have:
            session.add(CalendarDay(day=day.day, working=day.working, name=day.name, name_en=day.name_en))
            have.add(day.day)
            added += 1
    return added


@dataclass(frozen=True)
class Year:
    """One year of the calendar as the administrator's page shows it."""

    year: int
    days: list[CalendarDay]
    sources: list[str]
    holidays: int
    working_days: int
    years: list[int]  # the years worth a link: those with days, the shipped ones, this year and the next


def year(session: Session, admin: User, year_no: int) -> Year:
    ensure_admin(admin)
    if not 2000 <= year_no <= 2999:
        raise InvalidForm(Msg("查询参数有误"),
                          {"year": Msg("应为 %(low)s 到 %(high)s 之间的整数", low=2000, high=2999)})
    rows = list(session.scalars(select(CalendarDay).where(CalendarDay.day >= date(year_no, 1, 1),
                                                          CalendarDay.day <= date(year_no, 12, 31))
                                .order_by(CalendarDay.day)))
    sources = sorted({source for y, source, _ in workdays.shipped() if y == year_no})
    cal = workdays.Calendar.of(_day(r) for r in rows)
    this_year = utcnow().year
    years = {d.year for d in session.scalars(select(CalendarDay.day))} | {y for y, _, _ in workdays.shipped()}
    return Year(year_no, rows, sources, sum(not r.working for r in rows),
                cal.between(date(year_no - 1, 12, 31), date(year_no, 12, 31)),
                sorted(years | {this_year, this_year + 1, year_no}))


def set_day(session: Session, admin: User, day_text: str, working: str, name: str, name_en: str) -> CalendarDay:
    """Make one day a holiday or a working day (调休), or change its name; the audit log records before → after."""
    ensure_admin(admin)
    errors: dict[str, Msg] = {}
    day = _parse_day(day_text, errors)
    if working not in {"holiday", "working"}:
        errors["working"] = Msg("不是可选的值")
    name, name_en = normalise_name(name)[:100], normalise_name(name_en)[:100]
    for key, value in (("name", name), ("name_en", name_en)):
        problem = name_problem(value)
        if problem:
            errors[key] = problem
    if not name:
        errors["name"] = Msg("请填写名称")
    if errors or day is None:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)
    row = session.get(CalendarDay, day)
    before = _state(row)
    if row is None:
        row = CalendarDay(day=day)
        session.add(row)
    row.working, row.name, row.name_en = working == "working", name, name_en or name
    store.add_event(session, _event(admin, day, before, _state(row)))
    commit(session)
    return row


def remove_day(session: Session, admin: User, day_text: str) -> None:
    """Let a day follow the ordinary week again."""
    ensure_admin(admin)
    errors: dict[str, Msg] = {}
    day = _parse_day(day_text, errors)
    row = session.get(CalendarDay, day) if day else None
    if row is None:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors or {"day": Msg("这一天没有特别安排")})
    store.add_event(session, _event(admin, row.day, _state(row), None))
    session.delete(row)
    commit(session)


def _parse_day(text: str, errors: dict[str, Msg]) -> date | None:
    try:
        day = date.fromisoformat(text.strip()) if text.strip().isascii() and len(text.strip()) == 10 else None
    except ValueError:
        day = None
    if day is None or not 2000 <= day.year <= 2999:
        errors["day"] = Msg("请填写日期，如 2026-10-01")
        return None
    return day


def _state(row: CalendarDay | None) -> dict[str, object] | None:
    return None if row is None else {"working": row.working, "name": row.name, "name_en": row.name_en}


def _event(admin: User, day: date, before: dict | None, after: dict | None) -> Event:
    return Event(kind="calendar_changed", actor=admin.username, actor_id=admin.id, role=admin.role_label,
                 organisation=admin.organisation.name, organisation_en=admin.organisation.name_en,
                 comment=day.isoformat(), data={"day": day.isoformat(), "before": before, "after": after})

"""Working days in mainland China: Monday to Friday, except public holidays, plus adjusted working days (调休)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")
SHIPPED = Path(__file__).with_name("data") / "holidays_cn.json"
MAX_WORKING_DAYS = 1000
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class Day:
    """A day that differs from the ordinary week: a holiday (``working`` False) or a 调休 working day."""

    day: date
    working: bool
    name: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class Calendar:
    """The exceptions to Monday–Friday; every other date follows the ordinary week."""

    exceptions: dict[date, bool]

    @classmethod
    def of(cls, days: Iterable[Day]) -> Calendar:
        return cls({d.day: d.working for d in days})

    def is_working(self, day: date) -> bool:
        return self.exceptions.get(day, day.weekday() < 5)

    def add(self, start: datetime, working_days: int) -> datetime:
        """The end (23:59:59 Beijing time) of the ``working_days``-th working day after the day of ``start``.

        The day the period starts is not counted, as with deadlines in Chinese administrative law.
        """
        if not 0 < working_days <= MAX_WORKING_DAYS:
            raise ValueError(f"a deadline counts 1 to {MAX_WORKING_DAYS} working days, not {working_days}")
        day = start.astimezone(LOCAL).date()
        left = working_days
        while left:
            day += timedelta(days=1)
            left -= self.is_working(day)
        return datetime.combine(day, END_OF_DAY, LOCAL).astimezone(UTC)

    def between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        return sum(self.is_working(start + timedelta(days=n)) for n in range(1, (end - start).days + 1))


def working_days_problem(text: str) -> str | None:
    """Why ``text`` is not a usable ``due_working_days`` value (a whole number 1–1000), or None."""
    text = str(text).strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_WORKING_DAYS:
        return f"due_working_days must be a whole number of working days from 1 to {MAX_WORKING_DAYS}: {text[:20]!r}"
    return None


def shipped(path: Path = SHIPPED) -> Iterator[tuple[int, str, Day]]:
    """The official calendars shipped with the application: (year, source, day) for each exceptional day."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for year, entry in data["years"].items():
        for holiday in entry["holidays"]:
            first, last = date.fromisoformat(holiday["from"]), date.fromisoformat(holiday["to"])
            for n in range((last - first).days + 1):
                yield int(year), entry["source"], Day(first + timedelta(days=n), False, holiday["name"],
                                                      holiday["name_en"])
        for working in entry["working"]:
            yield int(year), entry["source"], Day(date.fromisoformat(working["day"]), True, working["name"],
                                                  working["name_en"])

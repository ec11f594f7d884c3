"""ISO 8601 times as the models write them: durations (P30D, PT12H, P1Y2M), instants and cycles (R4/P3M).

Every value is bounded, so that a model cannot ask for a timer 10^9 days away (which overflows
``datetime``) or a cycle that fires endlessly: lint refuses such values, and the engine checks
the values computed at run time with the same functions.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_YEARS = 100
MAX_CYCLES = 1000
MAX_YEAR = 2999
_DAY = 86_400
_MAX_SECONDS = MAX_YEARS * 366 * _DAY
_DURATION = re.compile(
    r"P(?:(?P<y>[0-9]{1,9})Y)?(?:(?P<mo>[0-9]{1,9})M)?(?:(?P<w>[0-9]{1,9})W)?(?:(?P<d>[0-9]{1,9})D)?"
    r"(?:T(?:(?P<h>[0-9]{1,9})H)?(?:(?P<mi>[0-9]{1,9})M)?(?:(?P<s>[0-9]{1,9})S)?)?"
)


@dataclass(frozen=True)
class Duration:
    """A parsed duration: calendar months, then a fixed time span."""

    months: int
    delta: timedelta

    @property
    def empty(self) -> bool:
        return not self.months and not self.delta


def parse_duration(text: str) -> Duration:
    """A bounded ISO 8601 duration; ValueError saying why when ``text`` is not one or is too long."""
    text = str(text).strip()
    match = _DURATION.fullmatch(text)
    if not match or text in {"P", "PT"} or text.endswith("T"):
        raise ValueError(f"not an ISO 8601 duration such as P30D or PT12H: {text[:40]!r}")
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    if parts["w"] and (parts["y"] or parts["mo"] or parts["d"]):
        raise ValueError(f"weeks cannot be combined with years, months or days: {text!r}")
    months = parts["y"] * 12 + parts["mo"]
    seconds = (parts["w"] * 7 + parts["d"]) * _DAY + parts["h"] * 3600 + parts["mi"] * 60 + parts["s"]
    if months * 31 * _DAY + seconds > _MAX_SECONDS:
        raise ValueError(f"longer than {MAX_YEARS} years: {text!r}")
    return Duration(months, timedelta(seconds=seconds))


def add_duration(start: datetime, duration: str) -> datetime:
    """``start`` plus an ISO 8601 duration, with calendar months and years."""
    parsed = parse_duration(duration)
    if parsed.months:
        month_index = start.month - 1 + parsed.months
        year, month = start.year + month_index // 12, month_index % 12 + 1
        if year > 9998:
            raise ValueError(f"{duration!r} after {start.isoformat()} is past the calendar")
        day = min(start.day, calendar.monthrange(year, month)[1])
        start = start.replace(year=year, month=month, day=day)
    try:
        return start + parsed.delta
    except OverflowError:
        raise ValueError(f"{duration!r} after {start.isoformat()} is past the calendar") from None


def due_from(due: str, now: datetime) -> datetime | None:
    """The due instant of a task created at ``now`` with ``camunda:dueDate`` = ``due``."""
    return add_duration(now, due) if due else None


def duration_problem(text: str, positive: bool = False) -> str | None:
    """Why ``text`` is not a usable duration (``positive``: nor longer than zero), or None."""
    try:
        parsed = parse_duration(text)
    except ValueError as exc:
        return str(exc)
    if positive and parsed.empty:
        return f"a duration of zero length is not allowed: {text!r}"
    return None


def is_duration(text: str) -> bool:
    return duration_problem(text) is None


def instant_problem(text: str) -> str | None:
    """Why ``text`` is not a usable timer date-time (ISO 8601, no later than MAX_YEAR), or None."""
    text = str(text).strip()
    try:
        if "W" in text.upper() or len(text) > 40:
            raise ValueError
        moment = datetime.fromisoformat(text)
    except ValueError:
        return f"not an ISO 8601 date-time such as 2030-01-01T09:00:00+08:00: {text[:40]!r}"
    if moment.year > MAX_YEAR:
        return f"a date after {MAX_YEAR} is not allowed: {text!r}"
    return None


def cycle_problem(text: str) -> str | None:
    """Why ``text`` is not a usable timer cycle (R<n>/<duration>, with an optional start or end), or None."""
    parts = str(text).strip().upper().split("/")
    example = "write a repeat count and a duration such as R4/P3M"
    if len(parts) not in {2, 3} or not parts[0].startswith("R"):
        return f"not an ISO 8601 cycle ({example}): {str(text)[:40]!r}"
    count = parts[0][1:]
    if not (count.isascii() and count.isdigit()):
        return f"a cycle needs a repeat count ({example}): {str(text)[:40]!r}"
    if len(count) > 9 or not 1 <= int(count) <= MAX_CYCLES:
        return f"a cycle repeats 1 to {MAX_CYCLES} times, not {count[:12]}: {str(text)[:40]!r}"
    durations = [p for p in parts[1:] if p.startswith("P")]
    if len(durations) != 1:
        return f"a cycle needs exactly one duration ({example}): {text!r}"
    for part in parts[1:]:
        problem = duration_problem(part, positive=True) if part.startswith("P") else instant_problem(part)
        if problem:
            return problem
    return None

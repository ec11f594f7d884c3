"""ISO 8601 durations as the models write them (P30D, PT12H, P1Y2M) applied to UTC instants."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta

_DURATION = re.compile(
    r"^P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+)S)?)?$"
)


def add_duration(start: datetime, duration: str) -> datetime:
    """``start`` plus an ISO 8601 duration, with calendar months and years."""
    match = _DURATION.match(duration.strip())
    if not match or duration.strip() in {"P", "PT"}:
        raise ValueError(f"not an ISO 8601 duration: {duration!r}")
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    months = parts["y"] * 12 + parts["mo"]
    if months:
        month_index = start.month - 1 + months
        year, month = start.year + month_index // 12, month_index % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        start = start.replace(year=year, month=month, day=day)
    return start + timedelta(weeks=parts["w"], days=parts["d"], hours=parts["h"],
                             minutes=parts["mi"], seconds=parts["s"])


def due_from(due: str, now: datetime) -> datetime | None:
    """The due instant of a task created at ``now`` with ``camunda:dueDate`` = ``due``."""
    return add_duration(now, due) if due else None


def is_duration(text: str) -> bool:
    try:
        add_duration(datetime(2000, 1, 31), text)
    except ValueError:
        return False
    return True

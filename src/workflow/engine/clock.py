"""The engine's clock: SpiffWorkflow's timers see the instant the application says it is."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

_NOW: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("workflow_now", default=None)


class _Clock(datetime):
    """``datetime`` for SpiffWorkflow's timer module: "now" is the instant the application says it is."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        fixed = _NOW.get()
        if fixed is None:
            return datetime.now(tz)
        return fixed.astimezone(tz) if tz else fixed.replace(tzinfo=None)


# SpiffWorkflow has no clock hook: its timer module calls datetime.now(timezone.utc) directly.
_spiff_timer.datetime = _Clock  # type: ignore[misc]


@contextmanager
def clock(now: datetime | None) -> Iterator[None]:
    """Run engine steps as of ``now`` (UTC-aware), e.g. for a worker catching up or a test."""
    if now is not None and now.tzinfo is None:
        raise ValueError("clock needs an aware datetime")
    token = _NOW.set(now)
    try:
        yield
    finally:
        _NOW.reset(token)

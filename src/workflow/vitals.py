"""What /readyz and /metrics read from the database: schema revision, heartbeats, open work, failures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from workflow.models import Event, HumanTask, ProcessInstance, TaskStatus, WorkerBeat
from workflow.store import MODEL_FAILURE

FORGET_WORKERS_AFTER = timedelta(days=1)  # heartbeats of workers silent this long are dropped


@cache
def head_revisions() -> frozenset[str]:
    """The Alembic head(s) this code expects."""
    from workflow.db import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def schema_revisions(session: Session) -> frozenset[str]:
    """The revision(s) the database is at."""
    return frozenset(MigrationContext.configure(session.connection()).get_current_heads())


def heartbeats(session: Session) -> Sequence[WorkerBeat]:
    return session.scalars(select(WorkerBeat).order_by(WorkerBeat.name)).all()


def heartbeat(session: Session, name: str, interval: float, now: datetime) -> WorkerBeat:
    """This worker's row, created at its first pass; rows of workers long gone are dropped meanwhile."""
    beat = session.get(WorkerBeat, name)
    if beat is None:
        cutoff = now - FORGET_WORKERS_AFTER
        session.execute(delete(WorkerBeat).where(WorkerBeat.started_at < cutoff,
                                                 or_(WorkerBeat.last_pass_at.is_(None),
                                                     WorkerBeat.last_pass_at < cutoff)))
        beat = WorkerBeat(name=name, interval_s=interval, started_at=now, last_duration_s=0.0, passes=0,
                          failed_passes=0, failed_instances=0)
        session.add(beat)
    beat.interval_s = interval
    return beat


def open_tasks(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == TaskStatus.OPEN)) or 0


def overdue_tasks(session: Session, now: datetime) -> int:
    return session.scalar(select(func.count()).select_from(HumanTask)
                          .where(HumanTask.status == TaskStatus.OPEN, HumanTask.due_at < now)) or 0


def due_timers(session: Session, now: datetime) -> int:
    """Running instances whose earliest timer is due now (the worker's backlog)."""
    return session.scalar(select(func.count()).select_from(ProcessInstance)
                          .where(ProcessInstance.completed.is_(False), ProcessInstance.next_timer_at <= now)) or 0


def failing_instances(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ProcessInstance)
                          .where(ProcessInstance.completed.is_(False), ProcessInstance.timer_failures > 0)) or 0


def model_failures(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Event).where(Event.kind == MODEL_FAILURE)) or 0

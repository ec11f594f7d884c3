"""Is this process ready to serve (database, schema, timer worker)? And the worker's heartbeat."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from workflow import vitals
from workflow.db import Database
from workflow.services import commit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str = ""  # a short code: database_unreachable, schema_behind, schema_ahead, no_worker, worker_stale
    detail: str = ""


def readiness(session: Session, now: datetime) -> Readiness:
    """Ready when the database answers, its schema is at this code's head and a worker passed recently."""
    try:
        current = vitals.schema_revisions(session)
        expected = vitals.head_revisions()
        if current != expected:
            behind = current <= _all_revisions()
            return Readiness(False, "schema_behind" if behind else "schema_ahead",
                             f"database at {sorted(current)}, this code at {sorted(expected)}; run `workflow init`")
        beats = vitals.heartbeats(session)
    except DBAPIError as exc:
        session.rollback()
        return Readiness(False, "database_unreachable", str(exc.orig or exc).strip().splitlines()[0][:200])
    passed = [b for b in beats if b.last_pass_at is not None]
    if not passed:
        return Readiness(False, "no_worker", "no timer worker has completed a pass; start `workflow worker`")
    fresh = [b for b in passed if now - b.last_pass_at <= timedelta(seconds=2 * b.interval_s)]
    if not fresh:
        latest = max(passed, key=lambda b: b.last_pass_at)
        return Readiness(False, "worker_stale", f"last timer worker pass at {latest.last_pass_at.isoformat()} "
                                                f"by {latest.name}, more than twice its interval ago")
    return Readiness(True)


@cache
def _all_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    from workflow.db import alembic_config

    return frozenset(s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def beat(db: Database, name: str, interval: float, now: datetime, duration: float, failed_instances: int,
         ok: bool) -> None:
    """Record one pass of the worker ``name``; a heartbeat that cannot be written never stops the worker."""
    try:
        with db.session() as session:
            row = vitals.heartbeat(session, name, interval, now)
            row.passes += 1
            row.last_duration_s = duration
            row.failed_instances += failed_instances
            if ok:
                row.last_pass_at = now
            else:
                row.failed_passes += 1
            commit(session)
    except Exception as exc:  # the heartbeat is for monitoring; the timers matter more
        log.warning("could not record the worker's heartbeat: %s", exc)

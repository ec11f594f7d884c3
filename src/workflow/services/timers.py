"""The worker: fire due timers, remind of overdue tasks; one transaction per instance, and it keeps going.

A pass is idempotent: run it twice, or in two workers at once, and each timer fires and each overdue
task is reminded of once. What one instance does wrong stays with that instance:

- another step changed it first (a lost race): it is taken again later in the same pass;
- anything else it raises is recorded (``timer_failed``, with the reason) and the instance is left
  alone for a while (``backoff``), while the pass goes on with the others;
- the database going away is no instance's fault: the pass ends with ``DatabaseUnavailable`` and
  :func:`work` waits and tries again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from workflow import modelxml, store
from workflow.db import Database
from workflow.errors import Conflict, DatabaseUnavailable, EngineFailure, Msg, PermissionDenied, WorkflowError
from workflow.models import Event, ProcessInstance, User
from workflow.roles import Role
from workflow.services import commit, deploy, failures, health, instances, progress

BATCH = 100
MAX_ROUNDS_PER_INSTANCE = 20
FIRST_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=24)
FIRST_OUTAGE_PAUSE = 1.0
log = logging.getLogger(__name__)


@dataclass
class PassResult:
    fired: int = 0
    reminded: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)


def backoff(failures: int) -> timedelta:
    """How long an instance whose timers failed ``failures`` times in a row is left alone: 5 min, doubling, ≤ 24 h."""
    return min(FIRST_BACKOFF * 2 ** min(max(failures - 1, 0), 16), MAX_BACKOFF)


def run_pass(db: Database, now: datetime) -> PassResult:
    """Everything due at ``now``: run it twice and the second pass finds nothing to do."""
    try:
        return _run_pass(db, now)
    except _Transient as exc:  # outside an instance: end the pass, and let the caller try again shortly
        raise DatabaseUnavailable(Msg("数据库暂时无法连接：%(reason)s", reason=str(exc)[:200])) from exc


def _run_pass(db: Database, now: datetime) -> PassResult:
    result = PassResult()
    rounds: dict[int, int] = {}
    while True:
        skip = [i for i, n in rounds.items() if n >= MAX_ROUNDS_PER_INSTANCE] + [i for i, _ in result.failed]
        with db.session() as session, _outage(db):
            due = store.due_instance_ids(session, now, BATCH, skip)
        if not due:
            break
        for instance_id in due:
            rounds[instance_id] = rounds.get(instance_id, 0) + 1
            _fire_one(db, instance_id, now, result)
    result.reminded = remind(db, now)
    return result


def _fire_one(db: Database, instance_id: int, now: datetime, result: PassResult) -> None:
    with db.session() as session:
        try:
            with _outage(db):
                result.fired += fire(session, instance_id, now)
        except (Conflict, _Transient):
            session.rollback()  # someone moved the instance on first, or the connection was lost: take it again
        except DatabaseUnavailable:
            raise
        except Exception as exc:  # whatever one instance raises must not stop the others
            session.rollback()
            expected = isinstance(exc, WorkflowError)
            reason = str(exc) if expected else f"{type(exc).__name__}: {exc}"
            log.error("timers of instance %s failed: %s", instance_id, reason, exc_info=None if expected else exc)
            result.failed.append((instance_id, reason))
            _record_failure(db, instance_id, now, reason)
            if isinstance(exc, EngineFailure):
                _record_model_failure(db, exc, instance_id, now)


def fire(session: Session, instance_id: int, now: datetime) -> bool:
    """Fire the due timers of one instance and save it, in one transaction; False if nothing was due."""
    instance = store.instance_for_update(session, instance_id, skip_locked=True)
    if instance is None or instance.completed or instance.next_timer_at is None or instance.next_timer_at > now \
            or (instance.timer_retry_at is not None and instance.timer_retry_at > now):
        session.rollback()
        return False
    model = deploy.model_for(instance.process_version)
    run = model.restore(instance.state)
    done = run.fire_timers(now)
    instance.timer_failures, instance.timer_retry_at = 0, None
    for item in done:
        if item.element.trigger == "timer":
            opens = [model.element(t) for t in item.element.targets
                     if t in model.elements and model.element(t).kind in modelxml.HUMAN]
            store.add_event(session, instances.timer_event(instance.zone, instance, item.element, opens, now))
    progress.settle(session, instance, run, instance.zone, now, done)
    commit(session)
    return True


def remind(db: Database, now: datetime) -> int:
    """Note each open task once when it passes its due time (the inbox flags it; the zone history shows it).

    Each note is a transaction of its own, conditional on no one having noted the task yet: two workers
    at once remind once, and a worker never holds one task's row while waiting for another's.
    """
    with db.session() as session, _outage(db):
        overdue = list(store.overdue_tasks(session, now, 10_000))
    count = 0
    for task in overdue:
        with db.session() as session, _outage(db):
            if not store.mark_reminded(session, task.id, now):
                continue
            store.add_event(session, Event(kind="task_overdue", at=now, zone_id=task.zone_id,
                                           instance_id=task.instance_id, actor="system", bpmn_id=task.bpmn_id,
                                           task_name=task.name, task_name_en=task.name_en,
                                           data={"due_at": task.due_at.isoformat() if task.due_at else None}))
            commit(session)
            count += 1
    return count


def _record_failure(db: Database, instance_id: int, now: datetime, reason: str) -> None:
    """A ``timer_failed`` history row, and the instance left alone until its backoff has passed."""
    with db.session() as session, _outage(db):
        instance = session.get(ProcessInstance, instance_id)
        if instance is None:
            return
        instance.timer_failures += 1
        instance.timer_retry_at = now + backoff(instance.timer_failures)
        store.add_event(session, Event(
            kind="timer_failed", at=now, zone_id=instance.zone_id, instance_id=instance_id, actor="system",
            comment=reason[:500], data={"failures": instance.timer_failures,
                                        "retry_at": instance.timer_retry_at.isoformat()}))
        try:
            commit(session)
        except Conflict:
            return  # the instance moved on meanwhile; the next round takes it again
        log.warning("instance %s: failure %s in a row, next attempt at %s", instance_id,
                    instance.timer_failures, instance.timer_retry_at.isoformat())


def _record_model_failure(db: Database, failure: EngineFailure, instance_id: int, now: datetime) -> None:
    """A model that cannot run also goes on the process owner's list of run-time model failures."""
    with db.session() as session, _outage(db):
        instance = session.get(ProcessInstance, instance_id)
        failures.record(session, failure, "firing timers", instance.zone_id if instance else None, instance_id,
                        now=now)


class _Transient(Exception):
    """The connection broke or the database refused one statement, but it answers: try again."""


@contextmanager
def _outage(db: Database) -> Iterator[None]:
    """Turn database connectivity errors into ``_Transient`` (it answers) or ``DatabaseUnavailable``."""
    try:
        yield
    except DBAPIError as exc:
        if not (isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated):
            raise
        if db.answers():
            raise _Transient(str(exc)) from exc
        raise DatabaseUnavailable(Msg("数据库暂时无法连接：%(reason)s", reason=str(exc.orig or exc)[:200])) from exc


def work(db: Database, interval: float, stop: threading.Event, clock: Callable[[], datetime],
         report: Callable[[datetime, PassResult], None] = lambda _now, _result: None) -> None:
    """Run a pass every ``interval`` seconds until ``stop`` is set; outlive database outages and failing passes.

    After an outage it tries again after 1 s, then 2 s, 4 s … up to ``interval``, logging each time.
    """
    first = pause = min(FIRST_OUTAGE_PAUSE, interval)
    outage = False
    name = f"{socket.gethostname()}:{os.getpid()}"
    while not stop.is_set():
        now, began = clock(), time.monotonic()
        try:
            result = run_pass(db, now)
        except DatabaseUnavailable as exc:
            log.warning("%s; next attempt in %.1f s", exc, pause)
            outage = True
            stop.wait(pause)
            pause = min(pause * 2, interval)
            continue
        except Exception:  # a bug in a pass must not stop the timers of every zone
            log.exception("the timer pass of %s failed; next pass in %s s", now.isoformat(), interval)
            health.beat(db, name, interval, clock(), time.monotonic() - began, 0, ok=False)
        else:
            if outage:
                log.warning("database answers again")
            pause, outage = first, False
            health.beat(db, name, interval, clock(), time.monotonic() - began, len(result.failed), ok=True)
            report(now, result)
        stop.wait(interval)


@dataclass(frozen=True)
class Stuck:
    """An instance whose timers keep failing, with the latest ``timer_failed`` row."""

    instance: ProcessInstance
    last: Event | None


def stuck(session: Session, zone_id: int | None = None) -> list[Stuck]:
    """Instances (of one zone, or all) whose timers failed at their last attempt."""
    instances = store.failing_instances(session, zone_id)
    last = store.last_events(session, "timer_failed", [i.id for i in instances])
    return [Stuck(i, last.get(i.id)) for i in instances]


def stuck_for(session: Session, user: User) -> list[Stuck]:
    """What the process owner looks after: every instance whose timers are failing."""
    if not user.has(Role.PROCESS_OWNER, Role.ADMIN):
        raise PermissionDenied(Msg("只有流程管理员可以查看定时器故障"))
    return stuck(session)

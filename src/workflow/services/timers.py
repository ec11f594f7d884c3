"""The worker's pass: fire due timers, remind of overdue tasks. Idempotent, one transaction per instance."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from workflow import store
from workflow.db import Database
from workflow.errors import EngineFailure
from workflow.models import Event, ProcessInstance
from workflow.services import commit, deploy, instances, progress, zones

log = logging.getLogger(__name__)
BATCH = 100
MAX_ROUNDS_PER_INSTANCE = 20


@dataclass
class PassResult:
    fired: int = 0
    reminded: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)


def run_pass(db: Database, now: datetime) -> PassResult:
    """Everything due at ``now``: run it twice and the second pass finds nothing to do."""
    result = PassResult()
    rounds: dict[int, int] = {}
    while True:
        with db.session() as session:
            skip = [i for i, n in rounds.items() if n >= MAX_ROUNDS_PER_INSTANCE] + [i for i, _ in result.failed]
            due = store.due_instance_ids(session, now, BATCH, skip)
        if not due:
            break
        for instance_id in due:
            rounds[instance_id] = rounds.get(instance_id, 0) + 1
            with db.session() as session:
                try:
                    result.fired += fire(session, instance_id, now)
                except EngineFailure as exc:
                    session.rollback()
                    result.failed.append((instance_id, str(exc)))
                    _record_failure(session, instance_id, now, str(exc))
    with db.session() as session:
        result.reminded = remind(session, now)
    return result


def fire(session: Session, instance_id: int, now: datetime) -> bool:
    """Fire the due timers of one instance and save it, in one transaction; False if nothing was due."""
    instance = store.instance_for_update(session, instance_id, skip_locked=True)
    if instance is None or instance.completed or instance.next_timer_at is None or instance.next_timer_at > now:
        session.rollback()
        return False
    model = deploy.model_for(instance.process_version)
    run = model.restore(instance.state)
    done = run.fire_timers(now)
    for item in done:
        if item.element.trigger == "timer":
            opens = [model.element(t) for t in item.element.targets
                     if t in model.elements and model.element(t).kind in zones.HUMAN_TASKS]
            store.add_event(session, instances.timer_event(instance.zone, instance, item.element, opens, now))
    progress.settle(session, instance, run, instance.zone, now, done)
    commit(session)
    return True


def remind(session: Session, now: datetime) -> int:
    """Note each open task once when it passes its due time (the inbox flags it; the zone history shows it)."""
    count = 0
    for task in store.overdue_tasks(session, now, 10_000):
        task.reminded_at = now
        store.add_event(session, Event(kind="task_overdue", at=now, zone_id=task.zone_id,
                                       instance_id=task.instance_id, actor="system", bpmn_id=task.bpmn_id,
                                       task_name=task.name, task_name_en=task.name_en,
                                       data={"due_at": task.due_at.isoformat() if task.due_at else None}))
        count += 1
    commit(session)
    return count


def _record_failure(session: Session, instance_id: int, now: datetime, message: str) -> None:
    log.error("timer of instance %s failed: %s", instance_id, message)
    instance = session.get(ProcessInstance, instance_id)
    store.add_event(session, Event(kind="timer_failed", at=now, zone_id=instance.zone_id if instance else None,
                                   instance_id=instance_id, actor="system", comment=message[:500]))
    commit(session)


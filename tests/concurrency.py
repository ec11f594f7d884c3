"""Officials acting at the same moment, in threads with their own sessions, on SQLite or PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tests.conftest import application
from workflow import store
from workflow.db import Database
from workflow.errors import Conflict
from workflow.services import tasks, zones


def at_once(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads released together; each one's result, or the exception it raised."""
    start = threading.Barrier(len(calls), timeout=30)
    results: list[object] = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        start.wait()
        try:
            results[i] = call()
        except Exception as exc:  # the caller asserts on what each raised
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def outcome(result: object) -> str:
    """"ok", or the name of the 409 (or of any other exception, which is a bug)."""
    if isinstance(result, Conflict):
        return type(result).__name__
    return type(result).__name__ if isinstance(result, Exception) else "ok"


def recommendation(db: Database, name: str) -> int:
    """A new zone's recommendation task, which henan.bureau and henan.bureau2 may both take."""
    with db.session() as s:
        zone = zones.file_application(s, store.user_by_name(s, "henan.gov"), application(zone_name=name))
        return next(t.id for t in tasks.inbox(s, store.user_by_name(s, "henan.bureau")) if t.zone_id == zone.id)


def as_user(db: Database, username: str, action: Callable, *args, **kwargs) -> Callable[[], object]:
    """A call of a task service by ``username`` in a session of its own (prepared before the start)."""
    session = db.session()
    user = store.user_by_name(session, username)

    def call() -> object:
        try:
            return action(session, user, *args, **kwargs)
        finally:
            session.close()

    return call


def claim_races(db: Database, rounds: int) -> list[tuple[str, ...]]:
    """Two officials claim one task at the same moment, ``rounds`` times: the outcomes of each race."""
    found = []
    for i in range(rounds):
        task_id = recommendation(db, f"认领{i}国检试验区")
        found.append(tuple(sorted(outcome(r) for r in at_once(as_user(db, "henan.bureau", tasks.claim, task_id),
                                                              as_user(db, "henan.bureau2", tasks.claim, task_id)))))
    return found


def complete_and_claim_races(db: Database, rounds: int) -> list[tuple[str, str]]:
    """One official completes a task while a colleague claims it: (completion, claim) outcomes per race."""
    found = []
    for i in range(rounds):
        task_id = recommendation(db, f"办结{i}国检试验区")
        done, claimed = at_once(
            as_user(db, "henan.bureau", tasks.complete, task_id, {"decision": "recommend", "comment": "同意"}),
            as_user(db, "henan.bureau2", tasks.claim, task_id))
        found.append((outcome(done), outcome(claimed)))
    return found


def two_workers_remind(db: Database, monkeypatch, now) -> tuple[list[int], list[int]]:
    """Two worker passes that both read the overdue tasks before either notes them: what each reminded,
    and the instance of every ``task_overdue`` row written."""
    from sqlalchemy import select

    from workflow.models import Event
    from workflow.services import timers

    both_read = threading.Barrier(2, timeout=30)
    real_overdue = store.overdue_tasks

    def read_then_wait(*args, **kwargs):
        found = real_overdue(*args, **kwargs)
        both_read.wait()
        return found

    monkeypatch.setattr(store, "overdue_tasks", read_then_wait)
    results = at_once(lambda: timers.run_pass(db, now), lambda: timers.run_pass(db, now))
    monkeypatch.setattr(store, "overdue_tasks", real_overdue)
    with db.session() as s:
        rows = list(s.scalars(select(Event.instance_id).where(Event.kind == "task_overdue")))
    return sorted(r.reminded for r in results), rows

"""Completing the lifecycle's tasks through the service layer, against the raw engine, in one process.

Each timed step is one ``tasks.complete`` call as a request makes it: a new session, the user and
the task id looked up first (untimed), then access check, lock, validation, restore, complete, save,
task rows, history and commit. The raw engine walks the same steps of the same model (bench/raw.py).
Lifecycles are interleaved (raw, service, raw, ...), so drift of the machine affects both alike.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

from sqlalchemy import event

from bench import raw
from bench.lifecycle import APPLICATION, STEPS
from workflow import store
from workflow.db import Database
from workflow.services import tasks, zones

ACTORS = {"bureau_recommendation": "henan.bureau", "organise_acceptance": "hq.clearance",
          "opinion_clearance": "hq.clearance", "opinion_cnca": "hq.cnca", "opinion_health": "hq.health",
          "opinion_plant_animal": "hq.plant", "opinion_inspection": "hq.inspection", "opinion_food": "hq.food",
          "consolidate": "hq.clearance", "hq_approval": "hq.leader"}


class Statements:
    """Counts the SQL statements a database's engine sends (a SQLAlchemy event listener)."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        self.per_completion: list[int] = []
        event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        self.count += 1


def file(db: Database, n: int) -> int:
    """A new zone that has applied; its id."""
    with db.session() as session:
        gov = store.user_by_name(session, "henan.gov")
        return zones.file_application(session, gov, {**APPLICATION, "zone_name": f"基准{n}号国检试验区"}).id


def step(db: Database, statements: Statements, zone_id: int, bpmn_id: str, data: dict) -> float:
    """Seconds one service-layer completion of the zone's open ``bpmn_id`` task takes (and its statements)."""
    with db.session() as session:
        me = store.user_by_name(session, ACTORS[bpmn_id])
        [task_id] = [t.id for t in store.zone_open_tasks(session, zone_id) if t.bpmn_id == bpmn_id]
        before = statements.count
        started = time.perf_counter()
        tasks.complete(session, me, task_id, data)
        took = time.perf_counter() - started
        statements.per_completion.append(statements.count - before)
        return took


def service_lifecycle(db: Database, statements: Statements, n: int) -> tuple[list[float], float]:
    """Seconds per service step of one lifecycle, and the wall time of the whole lifecycle (filing included)."""
    started = time.perf_counter()
    zone_id = file(db, n)
    times = [step(db, statements, zone_id, bpmn_id, data) for bpmn_id, data in STEPS[1:]]
    return times, time.perf_counter() - started


def measure(db: Database, repeat: int, first: int = 0) -> dict[str, float]:
    """Medians over ``repeat`` interleaved lifecycles of each kind, after one warm-up of each."""
    statements = Statements(db)
    raw.lifecycle()
    service_lifecycle(db, statements, first)
    raw_totals: list[float] = []
    service_totals: list[float] = []
    walls: list[float] = []
    for i in range(repeat):
        raw_totals.append(sum(raw.lifecycle()))
        times, wall = service_lifecycle(db, statements, first + 1 + i)
        service_totals.append(sum(times))
        walls.append(wall)
    result = summary(raw_totals, service_totals, walls, len(STEPS) - 1)
    result["statements_per_completion"] = round(statistics.mean(statements.per_completion), 2)
    return result


def summary(raw_totals: Sequence[float], service_totals: Sequence[float], walls: Sequence[float],
            steps: int) -> dict[str, float]:
    r, s = statistics.median(raw_totals), statistics.median(service_totals)
    return {"engine_overhead_ratio": round(s / r, 3), "raw_engine_steps_per_s": round(steps / r, 1),
            "service_steps_per_s": round(steps / s, 1), "raw_step_ms": round(r / steps * 1000, 3),
            "service_step_ms": round(s / steps * 1000, 3), "lifecycles_per_s": round(1 / statistics.median(walls), 2)}

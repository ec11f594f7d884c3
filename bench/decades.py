"""Cost of completing a task on a zone with 10 years of history, against a fresh zone (target <= 1.2x).

Both zones wait for their first-quarter report: the fresh one in its first supervision year, the old
one in its eleventh, after 40 reports, 10 risk assessments and 10 evaluations. Each measured request
is the real service call (tasks.complete: access check, form validation, engine restore/complete,
rows, history, commit) inside an outer transaction that is rolled back, so every repeat starts from
the same state. Medians over the repeats; ratio reported from this one run.

Run: make bench   (or .venv/bin/python bench/decades.py [--repeat N] [--years N])
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from workflow import store
from workflow.config import ROOT
from workflow.db import Database
from workflow.services import setup, tasks, timers, zones
from workflow.timeparse import add_duration

START = datetime(2027, 1, 4, 1, 30, tzinfo=UTC)
UNITS = {"opinion_clearance": "hq.clearance", "opinion_cnca": "hq.cnca", "opinion_health": "hq.health",
         "opinion_plant_animal": "hq.plant", "opinion_inspection": "hq.inspection", "opinion_food": "hq.food"}
APPLICATION = {"province": "henan", "leading_body": "领导小组", "operator": "运营公司", "industries": "电子",
               "functions": "查验", "design_scale": "1 平方公里", "forecast_volume": "5 万批",
               "priority_policies": ["designated_port"], "innovation_measures": "采信"}
REPORT = {"summary": "运行正常", "issues": "", "risk_level": "low"}


def act(session: Session, name: str, bpmn_id: str, now: datetime, **data) -> None:
    me = store.user_by_name(session, name)
    task = next(t for t in tasks.inbox(session, me) if t.bpmn_id == bpmn_id)
    tasks.complete(session, me, task.id, data, now=now)


def operating_zone(session: Session, name: str, start: datetime) -> int:
    gov = store.user_by_name(session, "henan.gov")
    zone = zones.file_application(session, gov, {**APPLICATION, "zone_name": name}, now=start)
    act(session, "henan.bureau", "bureau_recommendation", start, decision="recommend", comment="同意")
    act(session, "hq.clearance", "organise_acceptance", start, acceptance_date="2027-01-04", acceptance_scope="现场")
    for bpmn_id, unit in UNITS.items():
        act(session, unit, bpmn_id, start, decision="pass", comment="同意")
    act(session, "hq.clearance", "consolidate", start, decision="pass", comment="通过")
    act(session, "hq.leader", "hq_approval", start, decision="approve", comment="同意", approval_number="X")
    return zone.id


def live_years(db: Database, session: Session, start: datetime, years: int) -> None:
    for year in range(years):
        year_start = add_duration(start, f"P{year}Y")
        for i, quarter in enumerate(["q1", "q2", "q3", "q4"], start=1):
            when = add_duration(year_start, f"P{3 * i}M") + timedelta(hours=1)
            timers.run_pass(db, when)
            session.expire_all()
            act(session, "henan.bureau", f"report_{quarter}", when, **REPORT)
            if quarter == "q3":
                when = add_duration(year_start, "P10M") + timedelta(hours=1)
                timers.run_pass(db, when)
                session.expire_all()
                act(session, "hq.clearance", "risk_assessment", when, risk_level="low", findings="可控")
        when = add_duration(year_start, "P12M") + timedelta(hours=3)
        timers.run_pass(db, when)
        session.expire_all()
        act(session, "hq.clearance", "evaluation", when, comment="合格", score_reform=75,
            score_facilitation=75, score_safety=75, score_innovation=75)


def time_reports(snapshot: Path, zone_ids: tuple[int, int, int], when: datetime, repeat: int) -> list[list[float]]:
    """Seconds per completion of ``report_q1`` on each of the last two zones, after one on the first (warm-up)."""
    samples: list[list[float]] = [[], []]
    spare, *timed = zone_ids
    for i in range(repeat):
        copy = snapshot.with_name(f"run-{i}.sqlite3")
        shutil.copyfile(snapshot, copy)
        db = Database(f"sqlite:///{copy}")
        _complete_report(db, spare, when)
        order = [0, 1] if i % 2 == 0 else [1, 0]
        for k in order:
            samples[k].append(_complete_report(db, timed[k], when))
        db.dispose()
        copy.unlink()
    return samples


def _complete_report(db: Database, zone_id: int, when: datetime) -> float:
    with db.session() as session:
        me = store.user_by_name(session, "henan.bureau")
        [task] = [t for t in store.zone_open_tasks(session, zone_id) if t.bpmn_id == "report_q1"]
        started = time.perf_counter()
        tasks.complete(session, me, task.id, REPORT, now=when)
        return time.perf_counter() - started


def measure(repeat: int, years: int) -> dict[str, float]:
    """Median completion on a fresh zone and on one ``years`` old, and their ratio (``age_ratio``)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        db = Database(f"sqlite:///{path}")
        db.upgrade()
        with db.session() as session:
            setup.init(session, ROOT / "bpmn", demo=True, demo_password="bench-password")  # noqa: S106
            old_start = START
            fresh_start = add_duration(START, f"P{years}Y")
            built = time.perf_counter()
            old = operating_zone(session, "老区国检试验区", old_start)
            size_before = _size(session)
            live_years(db, session, old_start, years)
            per_year_kb = (_size(session) - size_before) / years / 1024
            fresh = operating_zone(session, "新区国检试验区", fresh_start)
            spare = operating_zone(session, "备用国检试验区", fresh_start)
            built = time.perf_counter() - built
            when = add_duration(fresh_start, "P3M") + timedelta(hours=1)
            timers.run_pass(db, when)
            records = len(store.records(session, old))
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.dispose()
        fresh_times, old_times = time_reports(path, (spare, fresh, old), when, repeat)
    o, f = statistics.median(old_times), statistics.median(fresh_times)
    return {"age_ratio": round(o / f, 3), "age_fresh_ms": round(f * 1000, 3), "age_old_ms": round(o * 1000, 3),
            "age_years": years, "age_records": records, "age_history_built_s": round(built, 1),
            "database_kb_per_zone_year": round(per_year_kb, 1)}


def _size(session: Session) -> int:
    """The database's size in bytes as this connection sees it (pages in the file and in the WAL)."""
    session.commit()
    pages = session.connection().exec_driver_sql("PRAGMA page_count").scalar_one()
    return pages * session.connection().exec_driver_sql("PRAGMA page_size").scalar_one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()
    result = measure(args.repeat, args.years)
    ratio = result["age_ratio"]
    print(f"history built in {result['age_history_built_s']:.1f} s: {args.years} years, "
          f"{result['age_records']} records on the old zone")
    print(f"median complete(report) on a fresh zone:          {result['age_fresh_ms']:.2f} ms  ({args.repeat} repeats)")
    print(f"median complete(report) with {args.years} years of history: {result['age_old_ms']:.2f} ms")
    print(f"ratio old / fresh: {ratio:.2f}x  (target <= 1.20x: {'met' if ratio <= 1.2 else 'NOT met'})")


if __name__ == "__main__":
    main()

"""The inbox at national scale: p95 of one inbox page (counts included) at 10k / 100k / 1M task rows.

Seeds task rows directly with bulk inserts (one zone per ten task rows, 31 provinces, 5% of tasks open, the
task mix of the deployed models), then asks for the first inbox page of a bureau official (henan.bureau) and of
an HQ unit (hq.clearance), through the service, through ``GET /api/v1/tasks`` and as the HTML page, with the
Flask test client. Sizes grow in place: 100k adds 90k rows to the 10k database.

Run: .venv/bin/python bench/inbox.py [--sizes 10000,100000] [--postgres] [--repeat 50] [--plans]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workflow import access, create_app, store, worklist  # noqa: E402
from workflow.config import ROOT  # noqa: E402
from workflow.models import (  # noqa: E402
    NO_DUE_DATE,
    CandidateKind,
    HumanTask,
    ProcessInstance,
    TaskCandidate,
    TaskKey,
    TaskStatus,
    Zone,
    ZoneStatus,
)
from workflow.services import inbox, logins, setup, zones  # noqa: E402

PASSWORD = "bench-inbox-1"  # noqa: S105 - demo users of a scratch database
NOW = datetime(2028, 6, 1, 2, 0, tzinfo=UTC)
OPEN_SHARE = 0.05
HQ = ("hq_clearance", "hq_cnca", "hq_health", "hq_plant_animal", "hq_inspection", "hq_food")
# (bpmn id, name, candidate groups, stage, share of all tasks)
MIX = [
    *[(f"report_q{q}", f"第{'一二三四'[q - 1]}季度日常监督管理报告", ("bureau",), "operating", 0.10)
      for q in (1, 2, 3, 4)],
    ("bureau_recommendation", "直属局推荐意见", ("bureau",), "recommending", 0.08),
    ("rectification_check", "整改核查", ("bureau",), "operating", 0.02),
    ("recommendation_escalation", "推荐逾期督办", ("bureau_head",), "recommending", 0.01),
    ("rectify_zone", "限期整改", ("local_gov",), "operating", 0.05),
    *[(f"opinion_{u.removeprefix('hq_')}", f"{u}验收意见", (u,), "accepting", 0.04) for u in HQ],
    ("organise_acceptance", "组织验收", ("hq_clearance",), "accepting", 0.03),
    ("consolidate", "汇总验收结论", ("hq_clearance",), "accepting", 0.03),
    ("risk_assessment", "组织风险评估", HQ, "operating", 0.06),
    ("evaluation", "督查评估和考核", ("hq_clearance",), "operating", 0.03),
    ("hq_approval", "批准建设", ("hq_leader",), "approving", 0.02),
]
BUREAU, HQ_UNIT = "henan.bureau", "hq.clearance"


def _p95(times: list[float]) -> float:
    return round(statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0], 1)


def _timed(call: Callable[[], object], repeat: int) -> float:
    call()  # warm the caches once
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return _p95(times)


def _provinces(session: Session) -> list[str]:
    application = zones.current_application(session)
    field = next(f for f in application.form if f.id == zones.PROVINCE_FIELD)
    return [o.id for o in field.options][:31]


def _chunks(rows: list[dict], size: int = 20000):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def seed(session: Session, target: int, rng: random.Random) -> None:
    """Grow the task rows (and zones, one per ten tasks) to ``target`` with bulk inserts."""
    have = session.scalar(select(func.count()).select_from(HumanTask)) or 0
    have_zones = session.scalar(select(func.count()).select_from(Zone)) or 0
    provinces = _provinces(session)
    governments = {u.organisation.province: u.organisation_id for u in
                   (store.user_by_name(session, n) for n in ("henan.gov", "jiangxi.gov"))}
    version_id = store.latest_version(session, "zone_lifecycle").id
    wanted_zones = max(target // 10, 1)
    new_zones = [{"id": i + 1, "name": f"国检试验区{i + 1:06d}", "province": provinces[i % len(provinces)],
                  "applicant_id": governments.get(provinces[i % len(provinces)], governments["henan"]),
                  "status": ZoneStatus.OPERATING, "application": {}, "created_at": NOW, "updated_at": NOW}
                 for i in range(have_zones, wanted_zones)]
    for chunk in _chunks(new_zones):
        session.execute(insert(Zone), chunk)
        session.execute(insert(ProcessInstance), [{"id": z["id"], "zone_id": z["id"], "process_version_id": version_id,
                                                   "state": {}, "created_at": NOW, "updated_at": NOW,
                                                   "period_start": NOW - timedelta(days=150)} for z in chunk])
    zone_rows = {i + 1: (f"国检试验区{i + 1:06d}", provinces[i % len(provinces)],
                         governments.get(provinces[i % len(provinces)], governments["henan"]))
                 for i in range(wanted_zones)}
    weights = [m[4] for m in MIX]
    henan_bureau = store.user_by_name(session, BUREAU).id
    tasks, keys, candidates = [], [], []
    for task_id in range(have + 1, target + 1):
        bpmn_id, name, groups, stage, _ = rng.choices(MIX, weights)[0]
        zone_id = rng.randint(1, wanted_zones)
        zone_name, province, applicant = zone_rows[zone_id]
        is_open = rng.random() < OPEN_SHARE
        created = NOW - timedelta(minutes=rng.randint(0, 60 * 24 * (60 if is_open else 700)))
        due = created + timedelta(days=30) if rng.random() < 0.9 else None
        claimed = henan_bureau if is_open and province == "henan" and rng.random() < 0.1 else None
        tasks.append({"id": task_id, "instance_id": zone_id, "zone_id": zone_id, "engine_id": f"bench-{task_id}",
                      "bpmn_id": bpmn_id, "name": name, "stage": stage, "status": TaskStatus.OPEN if is_open else
                      TaskStatus.DONE, "due_at": due, "created_at": created, "completed_at": None if is_open else
                      created + timedelta(days=3), "claimed_by_id": claimed, "province": province,
                      "applicant_id": applicant, "zone_name": zone_name, "priority_rank": 0,
                      "due_sort": due or NO_DUE_DATE, "period_year": 2028 if bpmn_id.startswith("report") else None,
                      "shared": len(groups) > 1})
        if is_open:
            candidates.extend({"task_id": task_id, "kind": CandidateKind.GROUP, "name": g} for g in groups)
            keys.extend({"task_id": task_id, "key": k} for k in access.task_keys(groups, (), None, province, applicant))
    for table, rows in ((HumanTask, tasks), (TaskCandidate, candidates), (TaskKey, keys)):
        for chunk in _chunks(rows):
            session.execute(insert(table), chunk)
    session.commit()
    with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # as autovacuum would: statistics, and the visibility map that index-only scans rely on
        connection.execute(text("VACUUM ANALYZE" if connection.dialect.name == "postgresql" else "ANALYZE"))


def _html_client(app, username: str):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


def _measure_size(app, repeat: int) -> dict[str, float]:
    db = app.extensions["workflow.db"]
    figures = {}
    with db.session() as session:
        for label, username in (("", BUREAU), ("_hq", HQ_UNIT)):
            user = store.user_by_name(session, username)
            figures[f"inbox{label}_service"] = _timed(lambda u=user: (session.expire_all(),
                                                                       inbox.page(session, u, {}, NOW)), repeat)
            token, _ = logins.issue_token(session, username, PASSWORD, ip="127.0.0.1")
            client = app.test_client()
            headers = {"Authorization": f"Bearer {token}"}

            def api(c=client, h=headers) -> None:
                assert c.get("/api/v1/tasks", headers=h).status_code == 200

            figures[f"inbox{label}_api"] = _timed(api, repeat)
            html = _html_client(app, username)

            def page(c=html) -> None:
                assert c.get("/inbox").status_code == 200

            figures[f"inbox{label}_page"] = _timed(page, repeat)
    return figures


def _app(database_url: str):
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench", "BPMN_DIR": str(ROOT / "bpmn")})
    db = app.extensions["workflow.db"]
    db.upgrade()
    with db.session() as session:
        setup.init(session, ROOT / "bpmn", demo=True, demo_password=PASSWORD)
    return app


def measure(database_url: str, sizes: Sequence[int], repeat: int = 50) -> dict:
    """Seed ``database_url`` (an empty database) up to each size in turn and measure the inbox p95 in ms.

    ``inbox_p95_ms`` / ``inbox_hq_p95_ms`` are ``GET /api/v1/tasks`` (first page and the tab counts) of a bureau
    official and of an HQ unit; ``*_page_*`` the HTML inbox, ``*_service_*`` the service call alone.
    """
    app = _app(database_url)
    rng = random.Random(20270101)
    result: dict[str, dict[str, float]] = {}
    db = app.extensions["workflow.db"]
    for size in sorted(sizes):
        with db.session() as session:
            seed(session, size, rng)
        for name, value in _measure_size(app, repeat).items():
            result.setdefault(f"{name.replace('_api', '')}_p95_ms", {})[str(size)] = value
    db.dispose()
    return result


def plans(database_url: str) -> dict[str, str]:
    """The query plans of the inbox page and its counts for the bureau official and the HQ unit."""
    engine = create_engine(database_url)
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench", "BPMN_DIR": str(ROOT / "bpmn")})
    found = {}
    with app.extensions["workflow.db"].session() as session:
        for username in (BUREAU, HQ_UNIT):
            user = store.user_by_name(session, username)
            reach = inbox.reach(session, user, NOW)
            query = worklist.Query()
            count = worklist.count_statement(reach, query, "all", NOW)
            statement = worklist.statement(reach, query, NOW, session.scalar(count) or 0)
            for label, stmt in (("page", statement), ("count", count)):
                found[f"{username} {label}"] = _explain(engine, stmt)
    engine.dispose()
    return found


def _explain(engine, statement) -> str:
    sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, COSTS OFF) "
    with engine.connect() as connection:
        rows = connection.execute(text(prefix + sql)).all()
    return "\n".join(str(r[-1]) for r in rows)


def _postgres_url(name: str = "workflow_bench_inbox") -> str:
    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated task row counts")
    parser.add_argument("--postgres", action="store_true", help="on a scratch PostgreSQL database at 127.0.0.1:5432")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--plans", action="store_true", help="print the query plans at the largest size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    url = _postgres_url() if args.postgres else f"sqlite:///{tempfile.mkdtemp()}/inbox.sqlite3"
    for name, values in measure(url, sizes, args.repeat).items():
        print(f"{name:28} " + "  ".join(f"{size:>8}: {ms:7.1f} ms" for size, ms in values.items()))
    if args.plans:
        for name, plan in plans(url).items():
            print(f"\n{name}:\n{plan}")


if __name__ == "__main__":
    main()

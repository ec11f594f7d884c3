"""On a real PostgreSQL server: the whole path, row locking under concurrent submits, several workers."""

from __future__ import annotations

import contextlib
import os
import re
import threading
import urllib.parse
import uuid

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.conftest import BPMN_DIR, PASSWORD, application
from tests.server import served
from workflow import store
from workflow.db import Database
from workflow.errors import Conflict
from workflow.models import ZoneStatus
from workflow.services import setup, tasks, zones

ADMIN_URL = os.environ.get("WORKFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
pytestmark = pytest.mark.postgres


def _server_answers() -> str | None:
    try:
        engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except OperationalError as exc:
        return str(exc.orig).strip().splitlines()[0]
    return None


_PROBLEM = _server_answers()
if _PROBLEM and not os.environ.get("WORKFLOW_REQUIRE_POSTGRES"):
    pytest.skip(f"no PostgreSQL server at {ADMIN_URL} ({_PROBLEM}); .ci/run starts one", allow_module_level=True)


@pytest.fixture
def pg_url():
    assert _PROBLEM is None, _PROBLEM
    name = f"workflow_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = urllib.parse.urlsplit(ADMIN_URL.replace("postgresql+psycopg", "postgresql"))
    yield f"postgresql+psycopg://{url.netloc}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg(pg_url):
    db = Database(pg_url)
    db.upgrade()
    with db.session() as session:
        setup.init(session, BPMN_DIR, demo=True, demo_password=PASSWORD)
    yield db
    db.dispose()


def test_whole_path_on_postgres(pg):
    with pg.session() as s:
        zone = zones.file_application(s, store.user_by_name(s, "henan.gov"), application())

        def act(name, bpmn_id, **data):
            user = store.user_by_name(s, name)
            task = next(t for t in tasks.inbox(s, user) if t.bpmn_id == bpmn_id)
            tasks.complete(s, user, task.id, data)

        act("henan.bureau", "bureau_recommendation", decision="recommend", comment="同意")
        act("hq.clearance", "organise_acceptance", acceptance_date="2026-12-01", acceptance_scope="现场")
        for unit, name in [("clearance", "hq.clearance"), ("cnca", "hq.cnca"), ("health", "hq.health"),
                           ("plant_animal", "hq.plant"), ("inspection", "hq.inspection"), ("food", "hq.food")]:
            assert [t.bpmn_id for t in tasks.inbox(s, store.user_by_name(s, name))] == [f"opinion_{unit}"]
            act(name, f"opinion_{unit}", decision="pass", comment="同意")
        act("hq.clearance", "consolidate", decision="pass", comment="通过")
        act("hq.leader", "hq_approval", decision="approve", comment="同意", approval_number="X-1")
        s.refresh(zone)
        assert zone.status == ZoneStatus.OPERATING and zone.approved_at.tzinfo is not None


def test_two_bureau_officials_submitting_at_once_one_wins(pg):
    with pg.session() as s:
        zones.file_application(s, store.user_by_name(s, "henan.gov"), application())
        task_id = tasks.inbox(s, store.user_by_name(s, "henan.bureau"))[0].id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(name: str, decision: str) -> None:
        with pg.session() as s:
            user = store.user_by_name(s, name)
            barrier.wait()
            try:
                tasks.complete(s, user, task_id, {"decision": decision, "comment": name})
                outcomes.append("done")
            except Conflict:
                outcomes.append("conflict")

    threads = [threading.Thread(target=submit, args=a) for a in [("henan.bureau", "recommend"),
                                                                  ("henan.bureau2", "reject")]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["conflict", "done"]
    with pg.session() as s:
        events = [e for e in store.history(s, 1) if e.bpmn_id == "bureau_recommendation"]
        assert len(events) == 1


def _login(base: str, username: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(base + "/login").text).group(1)
    response = http.post(base + "/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                         allow_redirects=False)
    assert response.status_code == 302
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(base + "/inbox").text).group(1)
    return http, token


def test_several_workers_share_sessions_and_refuse_a_double_submit(pg_url):
    with served(pg_url, workers=3) as base:
        gov, token = _login(base, "henan.gov")
        filed = gov.post(base + "/zones/new", data={**application(), "csrf_token": token}, allow_redirects=False)
        assert filed.status_code == 302
        sessions = [_login(base, "henan.bureau"), _login(base, "henan.bureau2")]
        inbox = [http.get(base + "/inbox").text for http, _ in sessions * 3]
        assert all("郑州航空港国检试验区" in page for page in inbox), "every worker sees the login and the task"
        task_id = re.search(r'href="/tasks/(\d+)"', inbox[0]).group(1)
        barrier = threading.Barrier(2)
        codes: list[int] = []

        def submit(http: requests.Session, csrf: str, decision: str) -> None:
            barrier.wait()
            codes.append(http.post(f"{base}/tasks/{task_id}", allow_redirects=False,
                                   data={"decision": decision, "comment": "并发", "csrf_token": csrf}).status_code)

        threads = [threading.Thread(target=submit, args=(*sessions[0], "recommend")),
                   threading.Thread(target=submit, args=(*sessions[1], "reject"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(codes) == [302, 409]


def test_two_workers_fire_each_timer_once(pg):
    """Workers on several machines: each due instance is fired by exactly one of them."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select

    from workflow.models import HumanTask
    from workflow.services import timers

    start = datetime(2027, 1, 4, tzinfo=UTC)
    with pg.session() as s:
        for i in range(6):
            gov, province = ("henan.gov", "henan") if i % 2 == 0 else ("jiangxi.gov", "jiangxi")
            zones.file_application(s, store.user_by_name(s, gov),
                                   application(zone_name=f"测试{i}国检试验区", province=province), now=start)
    late = start + timedelta(days=40)
    results = []
    barrier = threading.Barrier(2)

    def work():
        barrier.wait()
        results.append(timers.run_pass(pg, late))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r.fired for r in results) == 6 and not any(r.failed for r in results)
    with pg.session() as s:
        escalations = s.scalar(select(func.count()).select_from(HumanTask)
                               .where(HumanTask.bpmn_id == "recommendation_escalation"))
    assert escalations == 6
    assert timers.run_pass(pg, late).fired == 0


def test_concurrent_writers_append_to_one_chain(pg_url):
    """Three gunicorn workers, the timer worker and direct sessions append events at once: one unbroken chain."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select

    from workflow import chain
    from workflow.errors import NotAuthenticated, TooManyAttempts
    from workflow.models import Event
    from workflow.services import accounts, timers

    start = datetime(2027, 1, 4, tzinfo=UTC)
    with served(pg_url, workers=3) as base:
        db = Database(pg_url)
        with db.session() as s:
            for i in range(4):
                zones.file_application(s, store.user_by_name(s, "henan.gov"),
                                       application(zone_name=f"并发{i}国检试验区"), now=start)
            before = s.scalar(select(func.count()).select_from(Event))
        barrier = threading.Barrier(5)
        passes = []

        def http_logins(n: int) -> None:
            barrier.wait()
            for k in range(12):
                requests.post(base + "/api/v1/token", json={"username": f"nobody{n}-{k}", "password": "x"}, timeout=30)

        def direct_logins(n: int) -> None:
            barrier.wait()
            with db.session() as s:
                for k in range(12):
                    with contextlib.suppress(NotAuthenticated, TooManyAttempts):
                        accounts.login(s, f"direct{n}-{k}", "x", ip=f"10.0.{n}.{k}")

        def timer_worker() -> None:
            barrier.wait()
            passes.append(timers.run_pass(db, start + timedelta(days=40)))

        threads = [threading.Thread(target=http_logins, args=(n,)) for n in range(2)]
        threads += [threading.Thread(target=direct_logins, args=(n,)) for n in range(2)]
        threads.append(threading.Thread(target=timer_worker))
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert passes and passes[0].fired == 4 and not passes[0].failed
        with db.engine.connect() as connection:
            verdict = chain.verify(connection)
            seqs = connection.execute(select(Event.seq).order_by(Event.seq)).scalars().all()
        written = len(seqs) - before
        assert written >= 48 + 4, "every login attempt and each escalation left an event"
        assert verdict.holds, [str(b) for b in verdict.breaks]
        assert seqs == list(range(1, len(seqs) + 1)) and verdict.head_seq == len(seqs)
        db.dispose()

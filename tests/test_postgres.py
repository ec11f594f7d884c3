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
from tests.server import login, served
from workflow import store
from workflow.db import Database
from workflow.errors import Conflict, NotAuthenticated
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


def test_the_engine_state_is_compressed_with_lz4_where_the_server_offers_it_and_back_on_downgrade(pg):
    def methods():
        with pg.engine.connect() as conn:
            offered = conn.execute(text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"))
            rows = conn.execute(text("SELECT attrelid::regclass::text, attcompression FROM pg_attribute "
                                     "WHERE (attrelid, attname) IN (('process_instance'::regclass, 'state'), "
                                     "('instance_migration'::regclass, 'state_before'))"))
            return "lz4" in (offered.scalar() or []), dict(rows.all())

    offered, compression = methods()
    if not offered:
        pytest.skip("this PostgreSQL server was built without lz4: the columns keep pglz")
    assert compression == {"process_instance": "l", "instance_migration": "l"}
    from alembic import command

    from workflow.db import alembic_config
    cfg = alembic_config()
    with pg.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0012")
    assert methods()[1] == {"process_instance": "p", "instance_migration": "p"}


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


def test_several_workers_share_sessions_and_refuse_a_double_submit(pg_url):
    with served(pg_url, workers=3) as base:
        gov, token = login(base, "henan.gov")
        filed = gov.post(base + "/zones/new", data={**application(), "csrf_token": token}, allow_redirects=False)
        assert filed.status_code == 302
        sessions = [login(base, "henan.bureau"), login(base, "henan.bureau2")]
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
                   threading.Thread(target=submit, args=(*sessions[1], "revise"))]
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


@pytest.fixture
def pg_client(pg_url):
    from workflow import create_app

    app = create_app({"DATABASE_URL": pg_url, "SECRET_KEY": "pg", "BPMN_DIR": str(BPMN_DIR)})
    db = app.extensions["workflow.db"]
    db.upgrade()
    with db.session() as session:
        setup.init(session, BPMN_DIR, demo=True, demo_password=PASSWORD)
    yield app.test_client()
    db.dispose()


def test_bad_text_and_login_counters_on_postgres(pg_client):
    from tests.conftest import csrf_of
    from workflow.services import logins

    client = pg_client
    refused = client.post("/api/v1/token", json={"username": "henan\x00gov", "password": PASSWORD})
    assert refused.status_code == 400 and set(refused.json["fields"]) == {"username"}
    page = client.post("/login", data={"username": "henan\x00gov", "password": "x", "csrf_token": csrf_of(client)})
    assert page.status_code == 400
    token = client.post("/api/v1/token", json={"username": "henan.gov", "password": PASSWORD}).json["token"]
    body = '{"zone_name": "\\udc00国检试验区"}'
    surrogate = client.post("/api/v1/zones", data=body, content_type="application/json",
                            headers={"Authorization": f"Bearer {token}"})
    assert surrogate.status_code == 400
    for _ in range(logins.FREE_FAILURES):
        assert client.post("/api/v1/token", json={"username": "henan.bureau", "password": "x"}).status_code == 401
    assert client.post("/api/v1/token", json={"username": "henan.bureau", "password": PASSWORD}).status_code == 429
    for _ in range(10):
        assert client.get("/api/v1/tasks").status_code == 401
    with pytest.raises(NotAuthenticated), pg_client.application.extensions["workflow.db"].session() as session:
        logins.login(session, "henan\x00gov", PASSWORD)
    with pg_client.application.extensions["workflow.db"].session() as session:
        from sqlalchemy import func, select

        from workflow.models import RefusalTally

        assert session.scalar(select(func.sum(RefusalTally.count))) >= 14
def test_of_two_officials_claiming_at_once_exactly_one_holds_the_task(pg):
    from tests.concurrency import claim_races

    assert claim_races(pg, 20) == [("ClaimedByOther", "ok")] * 20


def test_a_task_is_not_claimed_by_one_official_while_another_completes_it(pg):
    from tests.concurrency import complete_and_claim_races

    races = complete_and_claim_races(pg, 10)
    assert set(races) <= {("ok", "TaskAlreadyDone"), ("ClaimedByOther", "ok")}, races




def _file_zones(db, count, start):
    with db.session() as s:
        for i in range(count):
            gov, province = ("henan.gov", "henan") if i % 2 == 0 else ("jiangxi.gov", "jiangxi")
            zones.file_application(s, store.user_by_name(s, gov),
                                   application(zone_name=f"定时{i}国检试验区", province=province), now=start)


def _count(db, model, *where):
    from sqlalchemy import func, select

    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_two_workers_at_once_remind_each_overdue_task_once(pg, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from tests.concurrency import two_workers_remind
    from workflow.models import ProcessInstance

    start = datetime(2027, 1, 4, tzinfo=UTC)
    _file_zones(pg, 4, start)
    with pg.session() as s:
        s.execute(update(ProcessInstance).values(next_timer_at=None))  # only the reminders are due
        s.commit()
    reminded, rows = two_workers_remind(pg, monkeypatch, start + timedelta(days=31))
    assert sum(reminded) == 4, "between them the two workers remind each task once"
    assert len(rows) == len(set(rows)) == 4


def _terminate_connections(pg_url) -> int:
    """From an admin connection, end every connection to the test database (as a server restart would)."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.execute(text("SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                                   "WHERE datname = :name AND pid <> pg_backend_pid()"),
                              {"name": pg_url.rsplit("/", 1)[1]}).scalar()
    admin.dispose()
    return killed


def test_connections_killed_mid_pass_the_worker_fires_the_rest(pg, pg_url, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from workflow.models import Event, HumanTask
    from workflow.services import timers

    start = datetime(2027, 1, 4, tzinfo=UTC)
    _file_zones(pg, 6, start)
    real_model_for, calls, killed = timers.deploy.model_for, [], []

    def kill_on_the_third(version):
        calls.append(version.id)
        if len(calls) == 3:  # the third instance is locked and read; its connection dies before it is saved
            killed.append(_terminate_connections(pg_url))
        return real_model_for(version)

    monkeypatch.setattr(timers.deploy, "model_for", kill_on_the_third)
    result = timers.run_pass(pg, start + timedelta(days=40))
    assert killed[0] >= 1
    assert result.fired == 6 and result.failed == []
    assert _count(pg, HumanTask, HumanTask.bpmn_id == "recommendation_escalation") == 6
    assert _count(pg, Event, Event.kind == "timer_failed") == 0, "a lost connection is no instance's failure"


def _set_connections(pg_url, allowed: bool) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{pg_url.rsplit("/", 1)[1]}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
    admin.dispose()


def _wait_for(condition, seconds: float = 60) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_worker_waits_out_a_database_outage_then_fires(pg, pg_url, caplog):
    from datetime import UTC, datetime, timedelta

    from workflow.services import timers

    start = datetime(2027, 1, 4, tzinfo=UTC)
    _file_zones(pg, 2, start)
    _set_connections(pg_url, False)
    _terminate_connections(pg_url)
    stop, reports = threading.Event(), []
    loop = threading.Thread(target=timers.work, args=(pg, 0.05, stop, lambda: start + timedelta(days=40),
                                                      lambda _now, result: reports.append(result)))
    loop.start()
    try:
        _wait_for(lambda: sum("数据库暂时无法连接" in r.getMessage() for r in caplog.records) >= 3)
        assert loop.is_alive() and reports == []
        _set_connections(pg_url, True)
        _wait_for(lambda: reports)
    finally:
        _set_connections(pg_url, True)
        stop.set()
        loop.join(30)
    assert reports[0].fired == 2 and reports[0].failed == []
    assert any("database answers again" in r.getMessage() for r in caplog.records)
def test_concurrent_writers_append_to_one_chain(pg_url):
    """Three gunicorn workers, the timer worker and direct sessions append events at once: one unbroken chain."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select

    from workflow import chain
    from workflow.errors import NotAuthenticated, TooManyAttempts
    from workflow.models import Event
    from workflow.services import logins, timers

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

        tokens = [requests.post(base + "/api/v1/token", json={"username": name, "password": PASSWORD},
                                timeout=30).json()["token"] for name in ("hq.food", "hq.cnca")]

        def http_refusals(n: int) -> None:
            """Refusals of a logged-in official are each recorded in full (those without a login are tallied)."""
            barrier.wait()
            for k in range(12):
                requests.get(f"{base}/api/v1/zones/{900000 + 100 * n + k}", timeout=30,
                             headers={"Authorization": f"Bearer {tokens[n]}"})

        def direct_logins(n: int) -> None:
            barrier.wait()
            with db.session() as s:
                for k in range(12):
                    with contextlib.suppress(NotAuthenticated, TooManyAttempts):
                        logins.login(s, f"direct{n}-{k}", "x", ip=f"10.0.{n}.{k}")

        def timer_worker() -> None:
            barrier.wait()
            passes.append(timers.run_pass(db, start + timedelta(days=40)))

        threads = [threading.Thread(target=http_refusals, args=(n,)) for n in range(2)]
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
        assert written >= 48 + 4, "every refusal, every login attempt and each escalation left an event"
        assert verdict.holds, [str(b) for b in verdict.breaks]
        assert seqs == list(range(1, len(seqs) + 1)) and verdict.head_seq == len(seqs)
        db.dispose()


def test_two_workers_at_once_send_each_mail_once_and_tell_each_person_once(pg, sink):
    """Notification e-mail: two workers deliver at the same moment; every mail reaches the sink exactly once."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import delete, func, select, update

    from workflow.models import MailOutbox, Notification, ProcessInstance, User
    from workflow.services import outbox, timers

    start = datetime(2027, 1, 4, tzinfo=UTC)
    with pg.session() as s:
        s.execute(update(User).values(email=User.username + "@example.org"))
        s.commit()
    _file_zones(pg, 6, start)
    with pg.session() as s:
        s.execute(update(ProcessInstance).values(next_timer_at=None))  # only notifications are due
        s.execute(delete(MailOutbox))  # the new-task mails of filing: this test is about the worker's own
        s.commit()
    late = start + timedelta(days=31)
    smtp = outbox.Smtp("127.0.0.1", sink.port, sender="workflow@example.org")
    results = []
    barrier = threading.Barrier(2)

    def work():
        barrier.wait()
        results.append(timers.run_pass(pg, late, smtp))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    with pg.session() as s:
        mails = s.scalar(select(func.count()).select_from(MailOutbox))
        unsent = s.scalar(select(func.count()).select_from(MailOutbox).where(MailOutbox.sent_at.is_(None)))
        overdue = s.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "overdue"))
    ids = [m.content.decode().split("Message-ID: ", 1)[1].split()[0] for m in sink.messages]
    assert sum(r.mailed for r in results) == len(sink.messages) == len(set(ids)) == mails == 9 and unsent == 0
    assert overdue == 9  # six tasks: three in Henan (two officials each), three in Jiangxi (one)
    assert timers.run_pass(pg, late, smtp).mailed == 0
def test_the_same_file_attached_at_once_by_two_workers_is_stored_once(pg):
    """Two transactions keep the same bytes at the same moment: one blob row, two attachments, no error."""
    from sqlalchemy import func, select

    from workflow.files import Upload
    from workflow.models import Attachment, Blob, Zone, utcnow
    from workflow.services import documents

    content = b"%PDF-1.7\n" + b"x" * 100_000
    with pg.session() as s:
        zone_id = zones.file_application(s, store.user_by_name(s, "henan.gov"), application()).id
    errors: list[BaseException] = []
    with pg.session() as first:
        gov = store.user_by_name(first, "henan.gov")
        documents.keep(first, gov, first.get(Zone, zone_id), Upload("a.pdf", content), 10**6, utcnow())

        def second() -> None:
            try:
                with pg.session() as s:
                    documents.attach(s, store.user_by_name(s, "henan.bureau"), zone_id, Upload("b.pdf", content),
                                     10**6)
            except BaseException as exc:  # noqa: BLE001 - reported to the test below
                errors.append(exc)

        worker = threading.Thread(target=second)
        worker.start()
        worker.join(0.5)  # it waits on the first transaction's uncommitted blob row
        first.commit()
        worker.join(10)
    assert errors == []
    with pg.session() as s:
        assert s.scalar(select(func.count()).select_from(Blob)) == 1
        assert s.scalar(select(func.count()).select_from(Attachment)) == 2
        item, body = documents.download(s, store.user_by_name(s, "hq.cnca"), zone_id,
                                        s.scalars(select(Attachment.id)).first())
        assert body == content


def test_notifications_filters_and_calendar_coverage_on_postgres(pg_client):
    from datetime import date

    from tests.conftest import application, bearer
    from workflow.services import holidays

    client = pg_client
    client.post("/api/v1/zones", json=application(), headers=bearer(client, "henan.gov"))
    me = bearer(client, "henan.bureau")
    listed = client.get("/api/v1/notifications?unread=true", headers=me).json
    assert (listed["total"], listed["unread"]) == (1, 1)
    for huge in (2**31, 10**20):
        assert client.post(f"/api/v1/notifications/{huge}/read", headers=me).status_code == 404
        assert client.delete(f"/api/v1/filters/{huge}", headers=me).status_code == 404
    assert client.post(f"/api/v1/notifications/{listed['items'][0]['id']}/read", headers=me).json["unread"] == 0
    long = "q=" + "洛" * 100 + "&type=bureau_recommendation&stage=recommending&sort=created&tab=groups&due=overdue" \
           "&claimed=none&province=henan&limit=199"
    assert client.post("/api/v1/filters", json={"name": "长", "query": long}, headers=me).status_code == 400
    saved = client.post("/api/v1/filters", json={"name": "郑州", "query": "q=郑州"}, headers=me)
    assert saved.status_code == 201
    assert client.get(f"/api/v1/tasks?filter={saved.json['id']}", headers=me).json["total"] == 1
    with client.application.extensions["workflow.db"].session() as session:
        assert holidays.uncovered_years(session, date(2026, 6, 1)) == [2027]

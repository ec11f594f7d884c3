"""/healthz, /readyz (database, schema, worker heartbeat), /metrics (Prometheus) and the JSON request log."""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta

import pytest
import requests
from alembic import command
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import application, user
from tests.server import served
from workflow import create_app
from workflow.db import alembic_config
from workflow.errors import EngineFailure
from workflow.models import WorkerBeat, utcnow
from workflow.services import failures, health, timers, zones


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of an exposition, keyed by name and sorted labels."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def scrape(client, **kwargs) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    return samples(response.get_data(as_text=True))


def test_healthz_answers_without_the_database(tmp_path):
    app = create_app({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none", "SECRET_KEY": "x"})
    assert app.test_client().get("/healthz").json == {"status": "ok"}
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["reason"] == "database_unreachable"
    figures = scrape(app.test_client())  # the request latency still, and that the database is down
    assert figures[("workflow_database_up", ())] == 0 and ("workflow_open_tasks", ()) not in figures


def test_readyz_needs_a_worker_that_passed_within_twice_its_interval(app, client):
    db = app.extensions["workflow.db"]
    response = client.get("/readyz")
    assert (response.status_code, response.json["reason"]) == (503, "no_worker")
    now = utcnow()
    health.beat(db, "host-a:1", 60, now - timedelta(seconds=121), 0.5, 0, ok=True)
    response = client.get("/readyz")
    assert (response.status_code, response.json["reason"]) == (503, "worker_stale")
    assert "host-a:1" in response.json["detail"]
    health.beat(db, "host-b:2", 60, now - timedelta(seconds=100), 0.5, 0, ok=True)
    assert client.get("/readyz").json == {"status": "ready"}


def test_readyz_refuses_a_schema_behind_the_code(app, client):
    db = app.extensions["workflow.db"]
    health.beat(db, "host:1", 60, utcnow(), 0.1, 0, ok=True)
    with db.engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    response = client.get("/readyz")
    assert (response.status_code, response.json["reason"]) == (503, "schema_behind")
    db.upgrade()
    health.beat(db, "host:1", 60, utcnow(), 0.1, 0, ok=True)
    assert client.get("/readyz").status_code == 200


def test_readyz_detail_is_for_monitors_only(client):
    response = client.get("/readyz", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 503 and response.json == {"status": "unready", "reason": "no_worker"}


def test_the_running_worker_records_each_pass(app, session, monkeypatch):
    db = app.extensions["workflow.db"]
    stop = threading.Event()
    timers.work(db, 1, stop, utcnow, lambda _now, _result: stop.set())
    [beat] = session.query(WorkerBeat).all()
    assert (beat.passes, beat.failed_passes, beat.interval_s) == (1, 0, 1)
    assert utcnow() - beat.last_pass_at < timedelta(minutes=1)

    def broken(_db, _now):
        stop.set()
        raise RuntimeError("a bug")

    monkeypatch.setattr(timers, "run_pass", broken)
    stop.clear()
    timers.work(db, 1, stop, utcnow)
    session.expire_all()
    assert (beat.passes, beat.failed_passes) == (2, 1)


def test_metrics_count_open_and_overdue_work_due_timers_and_failures(app, session, client):
    long_ago = utcnow() - timedelta(days=40)
    zone = zones.file_application(session, user(session, "henan.gov"), application(), now=long_ago)
    zones.file_application(session, user(session, "jiangxi.gov"), application(zone_name="赣州国检试验区",
                                                                                province="jiangxi"))
    failures.record(session, EngineFailure("x is not defined", "zone_lifecycle", "gateway_1"), "test", zone.id)
    health.beat(app.extensions["workflow.db"], "host:9", 60, utcnow(), 0.25, 2, ok=True)
    figures = scrape(client)
    assert figures[("workflow_database_up", ())] == 1
    assert figures[("workflow_open_tasks", ())] == 2
    assert figures[("workflow_overdue_tasks", ())] == 1  # the recommendation is due after 30 days
    assert figures[("workflow_due_timers", ())] == 1  # and its escalation timer too
    assert figures[("workflow_model_failures_total", ())] == 1
    assert figures[("workflow_worker_pass_duration_seconds", (("worker", "host:9"),))] == 0.25
    assert figures[("workflow_worker_instance_failures_total", (("worker", "host:9"),))] == 2
    assert figures[("workflow_worker_pass_failures_total", (("worker", "host:9"),))] == 0


def test_request_latency_is_labelled_by_route_rule_not_path(app, login_as, client):
    def zone_pages() -> float:
        return sum(v for (name, labels), v in scrape(client).items()
                   if name == "workflow_request_duration_seconds_count"
                   and dict(labels)["endpoint"] == "/zones/<int:zone_id>")

    official = login_as("henan.bureau")
    before = zone_pages()
    for zone_id in (1, 2, 3):
        official.get(f"/zones/{zone_id}")
    assert zone_pages() - before == 3  # the histogram lives in the process: other tests' requests are in it
    assert not any(dict(labels).get("endpoint") == "/zones/1" for _, labels in scrape(client))


def test_metrics_are_for_loopback_or_the_token_only(app, tmp_path):
    assert app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 404
    guarded = create_app({"DATABASE_URL": app.config["WORKFLOW"]["DATABASE_URL"], "SECRET_KEY": "x",
                          "METRICS_TOKEN": "s3cret-metrics-token"})
    client = guarded.test_client()
    assert client.get("/metrics").status_code == 404  # with a token set, loopback alone is not enough
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    remote = {"REMOTE_ADDR": "198.51.100.7"}
    assert scrape(client, headers={"Authorization": "Bearer s3cret-metrics-token"}, environ_base=remote)
    guarded.extensions["workflow.db"].dispose()


def test_one_json_log_line_per_request(app, login_as, capsys):
    official = login_as("henan.bureau")
    capsys.readouterr()
    response = official.get("/zones/1", headers={"X-Request-ID": "req-42"})
    assert response.headers["X-Request-ID"] == "req-42"
    [line] = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    assert line["method"] == "GET" and line["rule"] == "/zones/<int:zone_id>" and line["request_id"] == "req-42"
    assert line["status"] == response.status_code and line["duration_ms"] >= 0
    with app.app_context():
        assert line["user_id"] == user(app.extensions["workflow.db"].session(), "henan.bureau").id
    made_up = official.get("/inbox", headers={"X-Request-ID": "no spaces allowed"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made_up)


def test_the_request_log_can_be_turned_off(app, capsys):
    quiet = create_app({"DATABASE_URL": app.config["WORKFLOW"]["DATABASE_URL"], "SECRET_KEY": "x",
                        "REQUEST_LOG": "off"})
    capsys.readouterr()
    assert quiet.test_client().get("/healthz").headers["X-Request-ID"]
    assert capsys.readouterr().err == ""
    with pytest.raises(ValueError, match="json or off"):
        create_app({"DATABASE_URL": app.config["WORKFLOW"]["DATABASE_URL"], "SECRET_KEY": "x", "REQUEST_LOG": "xml"})
    quiet.extensions["workflow.db"].dispose()


def test_served_workers_add_up_their_request_metrics(tmp_path, monkeypatch):
    shared = tmp_path / "metrics"
    shared.mkdir()
    (shared / "histogram_999.db").write_bytes(b"left over from the last run")  # emptied at start, else unreadable
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(shared))
    with served(f"sqlite:///{tmp_path / 'served.sqlite3'}", workers=2) as base:
        for _ in range(30):
            assert requests.get(base + "/healthz", timeout=10).status_code == 200
        figures = samples(requests.get(base + "/metrics", timeout=10).text)
    key = ("workflow_request_duration_seconds_count", (("endpoint", "/healthz"), ("method", "GET"), ("status", "200")))
    assert figures[key] == 30
    assert not (shared / "histogram_999.db").exists()


@pytest.mark.postgres
def test_readiness_and_metrics_on_postgresql(tmp_path):
    import os
    import urllib.parse
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    from tests.conftest import BPMN_DIR, PASSWORD
    from workflow.services import setup

    admin_url = os.environ.get("WORKFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"workflow_health_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("WORKFLOW_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"no PostgreSQL server: {exc.orig}")
    netloc = urllib.parse.urlsplit(admin_url.replace("postgresql+psycopg", "postgresql")).netloc
    app = create_app({"DATABASE_URL": f"postgresql+psycopg://{netloc}/{name}", "SECRET_KEY": "x",
                      "BPMN_DIR": str(BPMN_DIR)})
    db = app.extensions["workflow.db"]
    try:
        client = app.test_client()
        assert client.get("/readyz").json["reason"] == "schema_behind"
        db.upgrade()
        with db.session() as session:
            setup.init(session, BPMN_DIR, demo=True, demo_password=PASSWORD)
            zones.file_application(session, user(session, "henan.gov"), application(),
                                   now=utcnow() - timedelta(days=40))
        health.beat(db, "pg-host:1", 60, utcnow(), 0.1, 0, ok=True)
        assert client.get("/readyz").json == {"status": "ready"}
        figures = scrape(client)
        assert (figures[("workflow_open_tasks", ())], figures[("workflow_overdue_tasks", ())],
                figures[("workflow_due_timers", ())]) == (1, 1, 1)
    finally:
        db.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()

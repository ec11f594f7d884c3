"""Fixtures: the model, an app on a fresh SQLite file per test, logged-in clients."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from workflow import create_app, engine, store
from workflow.config import ROOT
from workflow.db import Database
from workflow.services import setup, tasks, timers, zones
from workflow.timeparse import add_duration

BPMN_DIR = ROOT / "bpmn"
LIFECYCLE = BPMN_DIR / "zone_lifecycle.bpmn"
PASSWORD = "demo-pass-1"
# The acceptance working group: each unit's opinion task and the demo user who gives it.
UNIT_USERS = {"opinion_clearance": "hq.clearance", "opinion_cnca": "hq.cnca", "opinion_health": "hq.health",
              "opinion_plant_animal": "hq.plant", "opinion_inspection": "hq.inspection", "opinion_food": "hq.food"}
START = datetime(2027, 1, 4, 1, 30, tzinfo=UTC)
SCORES = ("score_reform", "score_facilitation", "score_safety", "score_innovation")
MEASURE = {"title": "第三方检验结果采信", "kind": "institutional", "description": "采信第三方检验结果",
           "departs_from_rules": False}


def application(**overrides) -> dict:
    """A complete, valid application as a local government of Henan files it."""
    data = {
        "zone_name": "郑州航空港国检试验区",
        "province": "henan",
        "leading_body": "郑州航空港国检试验区建设领导小组；组长：张三；成员：李四、王五",
        "operator": "郑州航空港投资集团有限公司",
        "industries": "电子信息、生物医药、跨境电商",
        "functions": "进境指定口岸查验、检测、保税展示",
        "design_scale": "占地 1.2 平方公里",
        "forecast_volume": "年检验检疫业务量 5 万批",
        "priority_policies": ["designated_port", "cbec_food", "third_party"],
        "innovation_measures": "第三方检验结果采信试点",
        "construction_plan": "",
    }
    data.update(overrides)
    return data


def process_xml(body: str, namespaces: str = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"') -> bytes:
    """A BPMN document with one executable process ``p``: a start event ``start`` (flow ``f1`` out), then ``body``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" {namespaces}
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    {body}
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.fixture(scope="session")
def model() -> engine.Model:
    return engine.compile_model({LIFECYCLE.name: LIFECYCLE.read_bytes()})


@pytest.fixture
def app(tmp_path: Path):
    app = create_app({
        "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "SECRET_KEY": "test-secret",
        "BPMN_DIR": str(BPMN_DIR),
    })
    app.config["TESTING"] = True
    db = app.extensions["workflow.db"]
    db.upgrade()
    with db.session() as session:
        setup.init(session, BPMN_DIR, demo=True, demo_password=PASSWORD)
    yield app
    db.dispose()


@pytest.fixture
def session(app):
    with app.extensions["workflow.db"].session() as session:
        yield session


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


def csrf_of(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the client's session, as a page embeds it."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def login_as(app) -> Callable[[str], FlaskClient]:
    def login(username: str) -> FlaskClient:
        client = app.test_client()
        token = csrf_of(client)
        response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        client.csrf = csrf_of(client, "/inbox")
        assert client.csrf != token, "the token is renewed at login"
        return client

    return login


def user(session, name: str):
    return store.user_by_name(session, name)


def act(session, name: str, bpmn_id: str, now: datetime | None = None, **data):
    """``name`` completes the open task ``bpmn_id`` from their inbox with ``data``."""
    me = user(session, name)
    task = next(t for t in tasks.inbox(session, me) if t.bpmn_id == bpmn_id)
    return tasks.complete(session, me, task.id, data, now=now)


def approve_zone(session, gov: str = "henan.gov", name: str = "郑州航空港国检试验区", province: str = "henan",
                 bureau: str = "henan.bureau", now: datetime = START):
    """A zone filed by ``gov`` and taken through recommendation, acceptance and approval at ``now``."""
    zone = zones.file_application(session, user(session, gov), application(zone_name=name, province=province),
                                  now=now)
    act(session, bureau, "bureau_recommendation", now, decision="recommend", comment="同意")
    act(session, "hq.clearance", "organise_acceptance", now, acceptance_date="2027-01-04", acceptance_scope="现场")
    for bpmn_id, name_ in UNIT_USERS.items():
        act(session, name_, bpmn_id, now, decision="pass", comment="同意")
    act(session, "hq.clearance", "consolidate", now, decision="pass", comment="通过")
    act(session, "hq.leader", "hq_approval", now, decision="approve", comment="同意", approval_number="X-1")
    return zone


@pytest.fixture
def zone(session):
    """A zone of Henan approved at START, now operating."""
    return approve_zone(session)


def report(session, quarter: str, when: datetime):
    """henan.bureau files its quarterly report."""
    act(session, "henan.bureau", f"report_{quarter}", when, summary="运行正常", issues="", risk_level="low")


def pass_at(app, when: datetime):
    """One timer-worker pass as of ``when``."""
    return timers.run_pass(app.extensions["workflow.db"], when)


def run_year(app, session, year_start: datetime, rating_scores) -> datetime:
    """Quarterly reports, the risk assessment and the evaluation of one supervision year; returns its end."""
    values = rating_scores if isinstance(rating_scores, list) else [rating_scores] * 4
    for i, quarter in enumerate(["q1", "q2", "q3", "q4"], start=1):
        when = add_duration(year_start, f"P{3 * i}M") + timedelta(hours=1)
        pass_at(app, when)
        session.expire_all()
        if quarter == "q4":
            pass_at(app, when)
        report(session, quarter, when)
        if quarter == "q3":
            risk_time = add_duration(year_start, "P10M") + timedelta(hours=1)
            pass_at(app, risk_time)
            session.expire_all()
            act(session, "hq.clearance", "risk_assessment", risk_time, risk_level="low", findings="风险可控")
    eval_time = add_duration(year_start, "P12M") + timedelta(hours=2)
    pass_at(app, eval_time)
    session.expire_all()
    act(session, "hq.clearance", "evaluation", eval_time, comment="考核", **dict(zip(SCORES, values, strict=True)))
    return eval_time


operating_zone = approve_zone  # the name the operation-years tests use


class Sink:
    """A local SMTP server that keeps what it receives (aiosmtpd)."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages = []
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def sink():
    """A local SMTP sink on a free port, for the worker's e-mail."""
    server = Sink()
    server.controller.start()
    yield server
    server.controller.stop()
def bearer(client: FlaskClient, username: str) -> dict[str, str]:
    """The Authorization header of a fresh API token for ``username``."""
    response = client.post("/api/v1/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.json['token']}"}


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    """An empty SQLite database the `workflow` command line reaches through its environment variables."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", url)
    monkeypatch.setenv("WORKFLOW_SECRET_KEY", "cli-test")
    monkeypatch.setenv("WORKFLOW_DEMO_PASSWORD", "demo-cli-1")
    db = Database(url)
    yield db
    db.dispose()

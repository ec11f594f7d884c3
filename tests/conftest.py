"""Fixtures: the model, an app on a fresh SQLite file per test, logged-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from workflow import create_app, engine
from workflow.config import ROOT
from workflow.services import setup

BPMN_DIR = ROOT / "bpmn"
LIFECYCLE = BPMN_DIR / "zone_lifecycle.bpmn"
PASSWORD = "demo-pass-1"


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

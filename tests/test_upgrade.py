"""Upgrades keep running zones: the golden database of an earlier release migrates and every zone goes on."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import select

from tests.conftest import BPMN_DIR, PASSWORD, UNIT_USERS, csrf_of
from workflow import chain, cli, create_app, store
from workflow.db import alembic_config
from workflow.models import HumanTask, ProcessInstance, TaskStatus, Zone, ZoneStatus
from workflow.services import tasks, timers

GOLDEN = Path(__file__).with_name("golden") / "golden.sqlite3"
AFTER = datetime(2030, 3, 5, 2, 0, tzinfo=UTC)  # a few days after the golden database's last step
SCORES = ("score_reform", "score_facilitation", "score_safety", "score_innovation")


def next_step(task: HumanTask, zone: Zone) -> tuple[str, dict]:
    """Who takes the open task ``task`` of ``zone`` further, and with what."""
    p = zone.province
    steps = {
        "submit_application": (f"{p}.gov", {
            "zone_name": zone.name, "province": p, "leading_body": "建设领导小组", "operator": "投资集团",
            "industries": "电子信息", "functions": "口岸查验", "design_scale": "1 平方公里",
            "forecast_volume": "5 万批", "priority_policies": ["third_party"], "innovation_measures": "第三方检验",
            "construction_plan": "已补充"}),
        "bureau_recommendation": (f"{p}.bureau", {"decision": "recommend", "comment": "同意推荐"}),
        "recommendation_escalation": (f"{p}.head", {"comment": "请尽快办理"}),
        "organise_acceptance": ("hq.clearance", {"acceptance_date": "2030-03-05", "acceptance_scope": "现场验收"}),
        **{unit: (name, {"decision": "pass", "comment": "同意"}) for unit, name in UNIT_USERS.items()},
        "consolidate": ("hq.clearance", {"decision": "pass", "comment": "通过"}),
        "rectification": (f"{p}.gov", {"rectification_report": "已整改"}),
        "hq_approval": ("hq.leader", {"decision": "approve", "comment": "同意", "approval_number": "升级-1"}),
        "approve_measure": ("hq.cnca", {"decision": "approve", "comment": "同意试点"}),
        "review_replication": ("hq.clearance", {"decision": "accept", "comment": "推广"}),
        "risk_assessment": ("hq.clearance", {"risk_level": "low", "findings": "风险可控"}),
        "evaluation": ("hq.clearance", {"comment": "考核", **dict.fromkeys(SCORES, 88)}),
        "rectify_zone": (f"{p}.gov", {"rectification_report": "已整改"}),
        **{f"report_q{i}": (f"{p}.bureau", {"summary": "运行正常", "issues": "", "risk_level": "low"})
           for i in (1, 2, 3, 4)},
    }
    return steps[task.bpmn_id]


def snapshot(path: Path) -> dict[str, tuple[str, list[str]]]:
    """Each zone's status and open tasks, read with plain SQL (independent of the models)."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT z.name, z.status, t.bpmn_id FROM zone z LEFT JOIN human_task t "
            "ON t.zone_id = z.id AND t.status = 'open' ORDER BY z.id, t.id").fetchall()
    connection.close()
    zones: dict[str, tuple[str, list[str]]] = {}
    for name, status, bpmn_id in rows:
        zones.setdefault(name, (status, []))[1].extend([bpmn_id] if bpmn_id else [])
    return zones


@pytest.fixture
def upgraded(tmp_path):
    """A copy of the golden database after `workflow init` of this code, and the app on it."""
    copy = tmp_path / "golden.sqlite3"
    shutil.copyfile(GOLDEN, copy)
    url = f"sqlite:///{copy}"
    env = {"WORKFLOW_DATABASE_URL": url, "WORKFLOW_SECRET_KEY": "upgrade", "WORKFLOW_BPMN_DIR": str(BPMN_DIR)}
    before = snapshot(copy)
    result = CliRunner().invoke(cli.main, ["init"], env=env)
    assert result.exit_code == 0, result.output
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "upgrade", "BPMN_DIR": str(BPMN_DIR)})
    app.config["TESTING"] = True
    yield app, before, snapshot(copy)
    app.extensions["workflow.db"].dispose()


def test_the_golden_database_is_of_an_earlier_or_the_current_schema():
    with sqlite3.connect(GOLDEN) as connection:
        [(revision,)] = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    connection.close()
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    assert revision in known, "the golden database must come from a release this code can migrate"


def test_the_golden_database_has_zones_at_every_stage():
    zones = snapshot(GOLDEN)
    assert {status for status, _ in zones.values()} == {s.value for s in ZoneStatus}
    open_tasks = {t for _, open_ in zones.values() for t in open_}
    assert {"submit_application", "bureau_recommendation", "recommendation_escalation", "organise_acceptance",
            "opinion_food", "consolidate", "rectification", "hq_approval", "approve_measure", "review_replication",
            "report_q3", "risk_assessment", "evaluation", "rectify_zone"} <= open_tasks


def test_the_upgrade_keeps_every_zone_where_it_was(upgraded):
    app, before, after = upgraded
    assert after == before
    with app.extensions["workflow.db"].engine.connect() as connection:
        assert chain.verify(connection, None).holds


def test_every_zone_takes_its_next_step_after_the_upgrade(upgraded):
    app, before, _ = upgraded
    db = app.extensions["workflow.db"]
    with db.session() as session:
        open_tasks = session.scalars(select(HumanTask).where(HumanTask.status == TaskStatus.OPEN)
                                     .order_by(HumanTask.zone_id, HumanTask.id)).all()
        steps = [(t.id, t.zone_id, *next_step(t, t.zone)) for t in open_tasks]
    for task_id, zone_id, username, data in steps:
        with db.session() as session:
            task = session.get(HumanTask, task_id)
            if task.status != TaskStatus.OPEN:
                continue  # closed by a step before it (a terminate end, a withdrawn escalation)
            tasks.complete(session, store.user_by_name(session, username), task_id, data, now=AFTER)
            assert session.get(HumanTask, task_id).status == TaskStatus.DONE, (zone_id, task.bpmn_id)
    with db.session() as session:
        moved = {z.name: z.status.value for z in session.scalars(select(Zone))}
        running = session.scalars(select(ProcessInstance).where(ProcessInstance.completed.is_(False))).all()
        assert all(i.zone.status not in (ZoneStatus.REJECTED, ZoneStatus.REVOKED) for i in running)
    assert moved["景德镇国检试验区"] == "operating" and moved["上饶国检试验区"] in {"approving", "operating"}
    assert {name for name, (status, _) in before.items() if status in ("rejected", "revoked")} == \
        {name for name, status in moved.items() if status in ("rejected", "revoked")}
    result = timers.run_pass(db, AFTER + timedelta(days=400))  # every migrated timer still fires
    assert result.failed == [] and result.fired > 0


def test_every_zone_page_still_opens_after_the_upgrade(upgraded):
    app, before, _ = upgraded
    client = app.test_client()
    token = csrf_of(client)
    client.post("/login", data={"username": "hq.clearance", "password": PASSWORD, "csrf_token": token})
    with app.extensions["workflow.db"].session() as session:
        ids = session.scalars(select(Zone.id)).all()
    assert len(ids) == len(before)
    for zone_id in ids:
        assert client.get(f"/zones/{zone_id}").status_code == 200, zone_id

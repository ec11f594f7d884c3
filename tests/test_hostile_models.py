"""A process owner's broken or hostile upload cannot stop the programme: refused at upload, never run on a
page that only shows a form, and a failure at run time shows officials a plain message and the owner the detail."""

import pytest
from sqlalchemy import func, select

from tests.conftest import LIFECYCLE, application, operating_zone, user
from tests.test_api import Api
from tests.test_processes import upload, versions
from tests.test_views import first_task_id, post_application
from workflow import engine, limits
from workflow.errors import EngineFailure
from workflow.models import Event, HumanTask, TaskStatus, ZoneStatus
from workflow.services import deploy, zones

PLAIN = "这个环节的流程模型有误，已通知流程管理员"
# The recommendation's condition converts text that is no number (lint cannot know): it fails when the bureau
# recommends. (A data name that no task sets is refused at lint.)
BROKEN = LIFECYCLE.read_bytes().replace(b'decision == "recommend"',
                                        b'decision == "recommend" and int(decision + "secret_score") &gt; 1')


def deploy_as_owner(app, content: bytes, name: str = "zone_lifecycle.bpmn") -> None:
    with app.extensions["workflow.db"].session() as session:
        deploy.deploy(session, name, content, {"zone_rating.dmn": (LIFECYCLE.parent / "zone_rating.dmn").read_bytes()})


@pytest.mark.parametrize(("old", "new", "element", "fragment"), [
    (b'camunda:dueDate="P30D"', b'camunda:dueDate="P999999999D"', "submit_application", "longer than 100 years"),
    (b'"P30D"</bpmn:timeDuration>', b'"P1000000000D"</bpmn:timeDuration>', "recommendation_overdue",
     "not an ISO 8601 duration"),
    (b'name="maxlength" config="200"', b'name="maxlength" config="1e400"', "submit_application", "whole number"),
    (b'value="zone_supervision"', b'value="zone_inspection"', "zone_operating", "zone_inspection"),
    (b'config="^[^\\s', b'config="^(?=x)[^\\s', "submit_application", "pattern does not compile"),
])
def test_an_upload_that_would_overflow_is_refused_naming_the_element(app, login_as, old, new, element, fragment):
    content = LIFECYCLE.read_bytes()
    assert old in content
    owner = login_as("owner")
    before = versions(app)
    response = upload(owner, ("zone_lifecycle.bpmn", content.replace(old, new, 1)))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert f"zone_lifecycle.bpmn:{element}" in text and fragment in text
    assert versions(app) == before


def test_starts_may_name_a_process_uploaded_together(app, login_as):
    supervision = (LIFECYCLE.parent / "zone_supervision.bpmn").read_bytes()
    renamed = supervision.replace(b'id="zone_supervision"', b'id="zone_inspection"', 1)
    lifecycle = LIFECYCLE.read_bytes().replace(b'value="zone_supervision"', b'value="zone_inspection"', 1)
    dmn = (LIFECYCLE.parent / "zone_rating.dmn").read_bytes()
    response = upload(login_as("owner"), ("zone_lifecycle.bpmn", lifecycle), ("zone_inspection.bpmn", renamed),
                      ("zone_rating.dmn", dmn))
    assert response.status_code == 302, response.get_data(as_text=True)


def test_the_deploy_check_runs_the_model_under_the_engine_budget(app, login_as, monkeypatch):
    monkeypatch.setattr(limits, "BUDGET", limits.Budget(tasks=3))
    changed = LIFECYCLE.read_bytes().replace(b'camunda:dueDate="P30D"', b'camunda:dueDate="P20D"', 1)
    response = upload(login_as("owner"), ("zone_lifecycle.bpmn", changed))
    assert response.status_code == 400
    assert "the process does not start" in response.get_data(as_text=True)
    assert "more than 3 engine tasks" in response.get_data(as_text=True)


def test_pages_that_show_a_form_never_run_the_model(app, session, login_as, monkeypatch):
    zone = operating_zone(session)

    def refuse(*args, **kwargs):
        raise AssertionError("a GET ran the model")

    monkeypatch.setattr(engine.Model, "start", refuse)
    monkeypatch.setattr(engine.Run, "complete", refuse)
    gov, bureau = login_as("henan.gov"), login_as("henan.bureau")
    page = gov.get("/zones/new")
    assert page.status_code == 200 and 'name="zone_name"' in page.get_data(as_text=True)
    assert 'name="title"' in gov.get(f"/zones/{zone.id}/measures/new").get_data(as_text=True)
    assert 'name="title"' in bureau.get(f"/zones/{zone.id}/experiences/new").get_data(as_text=True)
    assert bureau.get("/zones/new").status_code == 403, "who may file is still read from the first task"


def test_the_first_task_is_read_from_the_diagram(model):
    assert model.first_task().id == "submit_application", "through the merge gateway after the start event"
    assert [t.element.id for t in model.start().ready_tasks()] == [model.first_task().id]


def test_a_model_failure_shows_officials_a_plain_message_and_changes_nothing(app, login_as):
    deploy_as_owner(app, BROKEN)
    gov = login_as("henan.gov")
    assert post_application(gov).status_code == 302
    bureau = login_as("henan.bureau")
    task_id = first_task_id(bureau)
    response = bureau.post(f"/tasks/{task_id}", data={"decision": "recommend", "comment": "同意",
                                                      "csrf_token": bureau.csrf})
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert PLAIN in text and "secret_score" not in text and "decision ==" not in text
    with app.extensions["workflow.db"].session() as session:
        task = session.get(HumanTask, task_id)
        assert task.status == TaskStatus.OPEN, "the step was rolled back"
        assert task.zone.status == ZoneStatus.RECOMMENDING
        assert not session.scalar(select(func.count()).select_from(Event).where(
            Event.kind == "task_completed", Event.actor == "henan.bureau"))
        failure = session.scalars(select(Event).where(Event.kind == "model_failure")).one()
        assert "secret_score" in failure.comment and failure.zone_id == task.zone_id
        assert failure.actor == "henan.bureau" and failure.data["process"] == "zone_lifecycle"
        assert failure.comment.startswith("zone_lifecycle v2")
    assert "secret_score" not in bureau.get(f"/zones/{task.zone_id}").get_data(as_text=True)
    assert "secret_score" not in login_as("hq.leader").get("/processes").get_data(as_text=True)
    owners_page = login_as("owner").get("/processes").get_data(as_text=True)
    assert "secret_score" in owners_page and "运行中的模型错误" in owners_page


def test_a_model_failure_through_the_api_is_a_409_with_its_own_error_code(app, client):
    deploy_as_owner(app, BROKEN)
    token = client.post("/api/v1/token", json={"username": "henan.gov", "password": "demo-pass-1"}).json["token"]
    assert Api(client, token).post("/zones", json=application()).status_code == 201
    bureau = Api(client, client.post("/api/v1/token", json={"username": "henan.bureau",
                                                            "password": "demo-pass-1"}).json["token"])
    task = bureau.get("/tasks").json["items"][0]
    data = {"data": {"decision": "recommend", "comment": "同意"}}
    response = bureau.post(f"/tasks/{task['id']}/complete", json=data)
    assert response.status_code == 409
    assert response.json["error"] == "model_failure" and response.json["message"] == PLAIN
    english = bureau.post(f"/tasks/{task['id']}/complete", json=data, headers={"Accept-Language": "en"})
    assert "secret_score" not in english.get_data(as_text=True) and english.json["error"] == "model_failure"


def test_starts_naming_a_missing_process_fails_cleanly_at_run_time(app, session, monkeypatch):
    monkeypatch.setattr(limits, "model_problems", lambda *args, **kwargs: [])
    deploy_as_owner(app, LIFECYCLE.read_bytes().replace(b'value="zone_supervision"', b'value="nowhere"', 1))
    with pytest.raises(EngineFailure) as failed:
        operating_zone(session)
    assert "starts names nowhere, which is not deployed" in str(failed.value)
    zone = zones.trace(session, user(session, "hq.leader"), 1)
    assert zone.zone.status == ZoneStatus.APPROVING, "the approval was rolled back"
    assert [t.bpmn_id for t in zone.open_tasks] == ["hq_approval"]
    assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "model_failure")) == 1


def test_the_processes_one_step_starts_are_bounded(app, session, monkeypatch):
    """An end event naming one process a thousand times would start a thousand instances in one request."""
    monkeypatch.setattr(limits, "model_problems", lambda *args, **kwargs: [])
    many = ",".join(["zone_supervision"] * 1000).encode()
    deploy_as_owner(app, LIFECYCLE.read_bytes().replace(b'value="zone_supervision"', b'value="' + many + b'"', 1))
    with pytest.raises(EngineFailure, match="自动启动超过 5 层或 20 个"):
        operating_zone(session)
    assert zones.trace(session, user(session, "hq.leader"), 1).zone.status == ZoneStatus.APPROVING

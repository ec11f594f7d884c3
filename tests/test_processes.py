"""Process owners deploy new versions from the browser; problems are listed and nothing is deployed."""

import io

from sqlalchemy import func, select

from tests.conftest import LIFECYCLE
from workflow.models import ProcessVersion


def upload(client, *files):
    data = {"csrf_token": client.csrf, "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/processes", data=data, content_type="multipart/form-data")


def versions(app):
    with app.extensions["workflow.db"].session() as session:
        return session.scalar(select(func.count()).select_from(ProcessVersion))


def test_owner_deploys_a_changed_model_and_an_unchanged_one_is_skipped(app, login_as):
    owner = login_as("owner")
    before = versions(app)
    changed = LIFECYCLE.read_bytes().replace(b'camunda:dueDate="P30D"', b'camunda:dueDate="P20D"', 1)
    response = upload(owner, ("zone_lifecycle.bpmn", changed))
    assert response.status_code == 302
    assert versions(app) == before + 1
    page = owner.get("/processes").get_data(as_text=True)
    assert "已部署 zone_lifecycle 第 2 版" in page
    upload(owner, ("zone_lifecycle.bpmn", changed))
    assert versions(app) == before + 1
    assert "没有变化" in owner.get("/processes").get_data(as_text=True)


def test_problems_are_listed_by_element_and_nothing_is_deployed(app, login_as):
    owner = login_as("owner")
    before = versions(app)
    bad = LIFECYCLE.read_bytes().replace(b'decision == "recommend"', b"${decision == 'recommend'}")
    response = upload(owner, ("zone_lifecycle.bpmn", bad), ("notes.txt", b"hello"))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "notes.txt" in text and "only .bpmn and .dmn" in text
    assert versions(app) == before
    response = upload(owner, ("zone_lifecycle.bpmn", bad))
    assert response.status_code == 400 and "zone_lifecycle.bpmn:f_recommended" in response.get_data(as_text=True)
    assert versions(app) == before


def test_only_process_owners_deploy_but_everyone_reads(app, login_as):
    official = login_as("hq.leader")
    assert upload(official, ("zone_lifecycle.bpmn", LIFECYCLE.read_bytes())).status_code == 403
    assert official.get("/processes/1").status_code == 200
    assert b'<bpmn:process id=' in official.get("/processes/1/diagram.bpmn").data
    assert official.get("/processes/999").status_code == 404


def test_a_model_without_the_fields_the_application_relies_on_is_refused(app, login_as):
    owner = login_as("owner")
    before = versions(app)
    renamed = LIFECYCLE.read_bytes().replace(b'id="zone_name"', b'id="name_of_zone"')
    response = upload(owner, ("zone_lifecycle.bpmn", renamed))
    assert response.status_code == 400
    assert "zone_lifecycle.bpmn:submit_application" in response.get_data(as_text=True)
    assert versions(app) == before

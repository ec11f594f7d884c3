"""Process owners deploy new versions from the browser; problems are listed and nothing is deployed."""

import io

from sqlalchemy import func, select

from tests.conftest import LIFECYCLE, application, user
from workflow import store
from workflow.models import Event, ProcessVersion
from workflow.services import zones


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


def newest(app, process_id="zone_lifecycle"):
    with app.extensions["workflow.db"].session() as session:
        version = session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                                 .order_by(ProcessVersion.version.desc()).limit(1))
        return version.id, version.version, version.content_hash


def test_uploading_an_earlier_versions_file_makes_it_current_again(app, login_as, session):
    owner = login_as("owner")
    original = LIFECYCLE.read_bytes()
    _, _, original_hash = newest(app)
    changed = original.replace(b'camunda:dueDate="P30D"', b'camunda:dueDate="P20D"', 1)
    upload(owner, ("zone_lifecycle.bpmn", changed))
    assert newest(app)[1] == 2
    response = upload(owner, ("zone_lifecycle.bpmn", original))
    assert response.status_code == 302
    _, number, content = newest(app)
    assert (number, content) == (3, original_hash), "v1's content is current again, as v3"
    assert "已部署 zone_lifecycle 第 3 版" in owner.get("/processes").get_data(as_text=True)
    event = session.scalar(select(Event).where(Event.kind == "deployed").order_by(Event.id.desc()).limit(1))
    assert event.actor == "owner" and "same content as v1" in event.comment and event.data["same_as"] == 1
    zone = zones.file_application(session, user(session, "henan.gov"), application())
    [task] = store.zone_open_tasks(session, zone.id)
    assert (task.due_at - task.created_at).days == 30, "new applications run on the restored content"


def test_a_process_owner_makes_an_earlier_version_current(app, login_as, session):
    owner = login_as("owner")
    first_id, _, first_hash = newest(app)
    upload(owner, ("zone_lifecycle.bpmn", LIFECYCLE.read_bytes().replace(b'"P30D"', b'"P20D"', 1)))
    page = owner.get("/processes").get_data(as_text=True)
    assert f'action="/processes/{first_id}/current"' in page
    refused = login_as("hq.leader").post(f"/processes/{first_id}/current", data={"csrf_token": "x"})
    assert refused.status_code in (400, 403)
    leader = login_as("hq.leader")
    assert leader.post(f"/processes/{first_id}/current", data={"csrf_token": leader.csrf}).status_code == 403
    assert newest(app)[1] == 2
    response = owner.post(f"/processes/{first_id}/current", data={"csrf_token": owner.csrf})
    assert response.status_code == 302
    assert newest(app)[1:] == (3, first_hash)
    again = owner.post(f"/processes/{first_id}/current", data={"csrf_token": owner.csrf})
    assert again.status_code == 409, "already current"
    assert newest(app)[1] == 3
    assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "deployed",
                                                                        Event.actor == "owner")) == 2

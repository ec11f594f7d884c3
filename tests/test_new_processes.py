"""A process the code has never seen: deployed by a process owner, started for a zone, driven to its end by the API."""

import io
from datetime import timedelta
from pathlib import Path

from tests.conftest import START, application, bearer, pass_at, user
from workflow.services import zones

SPECIAL = Path(__file__).parent / "data" / "special_inspection.bpmn"


def deploy(client, content=None):
    data = {"file": [(io.BytesIO(content or SPECIAL.read_bytes()), "special_inspection.bpmn")]}
    return client.post("/api/v1/process-definitions", data=data, headers=bearer(client, "owner"),
                       content_type="multipart/form-data")


def test_a_new_kind_of_process_runs_from_start_to_end_through_the_api(app, client, session, zone):
    assert deploy(client).status_code == 201
    hq, bureau = bearer(client, "hq.clearance"), bearer(client, "henan.bureau")
    offered = client.get(f"/api/v1/zones/{zone.id}/processes", headers=hq).json["items"]
    assert [p["process_id"] for p in offered] == ["special_inspection"]
    assert [f["id"] for f in offered[0]["fields"]] == ["scope"]
    assert client.get(f"/api/v1/zones/{zone.id}/processes", headers=bureau).json["items"] == []
    body = {"process_id": "special_inspection", "data": {"scope": "进口食品查验"}}
    assert client.post(f"/api/v1/zones/{zone.id}/processes", json=body, headers=bureau).status_code == 403
    started = client.post(f"/api/v1/zones/{zone.id}/processes", json=body, headers=hq)
    assert started.status_code == 201, started.json
    assert started.json["active"] == ["si_wait"] and not started.json["completed"]
    pass_at(app, START + timedelta(days=31))
    task = next(t for t in client.get("/api/v1/tasks", headers=bureau).json["items"] if t["bpmn_id"] == "si_report")
    assert task["zone_id"] == zone.id and task["due_at"]
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=bureau,
                       json={"data": {"findings": "未发现问题", "decision": "pass"}})
    assert done.status_code == 200, done.json
    detail = client.get(f"/api/v1/zones/{zone.id}", headers=hq).json
    kinds = {r["kind"]: r for r in detail["records"]}
    assert kinds["inspection_plan"]["data"] == {"scope": "进口食品查验"}
    assert kinds["special_inspection"]["data"]["decision"] == "pass"
    assert {"timer_fired", "task_completed"} <= {h["action"] for h in detail["history"] if h["bpmn_id"] in
                                                 {"si_wait", "si_plan", "si_report"}}
    assert detail["status"] == "operating"
    trace = client.get(f"/api/v1/zones/{zone.id}/trace?instance={started.json['id']}", headers=hq).json
    assert trace["process_version"] == "special_inspection:1" and "si_passed" in trace["completed"]


def test_its_end_events_set_the_zone_status_like_the_built_in_ones(app, client, session, zone):
    deploy(client)
    hq, bureau = bearer(client, "hq.clearance"), bearer(client, "henan.bureau")
    body = {"process_id": "special_inspection", "data": {"scope": "全面检查"}}
    client.post(f"/api/v1/zones/{zone.id}/processes", json=body, headers=hq)
    pass_at(app, START + timedelta(days=31))
    task = next(t for t in client.get("/api/v1/tasks", headers=bureau).json["items"] if t["bpmn_id"] == "si_report")
    client.post(f"/api/v1/tasks/{task['id']}/complete", headers=bureau,
                json={"data": {"findings": "问题严重", "decision": "fail"}})
    assert client.get(f"/api/v1/zones/{zone.id}", headers=hq).json["status"] == "revoked"
    again = client.post(f"/api/v1/zones/{zone.id}/processes", json=body, headers=hq)
    assert again.status_code == 409, "startable only while operating"


def test_starting_is_refused_cleanly(client, session, zone):
    hq = bearer(client, "hq.clearance")
    body = {"process_id": "special_inspection", "data": {"scope": "x"}}
    assert client.post(f"/api/v1/zones/{zone.id}/processes", json=body, headers=hq).status_code == 404
    deploy(client)
    applying = zones.file_application(session, user(session, "jiangxi.gov"),
                                      application(zone_name="南昌国检试验区", province="jiangxi"), now=START)
    assert client.post(f"/api/v1/zones/{applying.id}/processes", json=body, headers=hq).status_code == 409
    assert client.post(f"/api/v1/zones/{zone.id}/processes", json={"process_id": "special_inspection",
                                                                    "data": {}}, headers=hq).status_code == 400
    assert client.post(f"/api/v1/zones/{zone.id}/processes", json={"data": {}}, headers=hq).status_code == 400
    assert client.post("/api/v1/zones/999999/processes", json=body, headers=hq).status_code == 404
    gov = bearer(client, "jiangxi.gov")
    assert client.post(f"/api/v1/zones/{zone.id}/processes", json=body, headers=gov).status_code == 404


def test_a_bad_startable_property_is_refused_at_deploy(client):
    bad = SPECIAL.read_bytes().replace(b'value="operating"', b'value="flying"')
    response = deploy(client, bad)
    assert response.status_code == 400
    assert any("startable" in p["message"] for p in response.json["problems"])


def test_the_zone_page_offers_it_to_its_candidates_and_shows_its_records(client, session, zone, login_as):
    deploy(client)
    hq = login_as("hq.clearance")
    page = hq.get(f"/zones/{zone.id}").get_data(as_text=True)
    path = f"/zones/{zone.id}/processes/special_inspection/new"
    assert path in page and "年度专项检查" in page
    assert path not in login_as("henan.bureau").get(f"/zones/{zone.id}").get_data(as_text=True)
    assert 'name="scope"' in hq.get(path).get_data(as_text=True)
    assert hq.post(path, data={"csrf_token": hq.csrf, "scope": ""}).status_code == 400
    response = hq.post(path, data={"csrf_token": hq.csrf, "scope": "冷链食品专项"})
    assert response.status_code == 302
    page = hq.get(f"/zones/{zone.id}").get_data(as_text=True)
    assert "冷链食品专项" in page and "制定检查方案" in page
    assert login_as("henan.bureau").get(path).status_code == 403

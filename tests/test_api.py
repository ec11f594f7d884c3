"""The JSON API: tokens, the whole path, error shapes, and the audit of refusals and logins."""

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, application, operating_zone
from workflow.models import Event

UNITS = {"opinion_clearance": "hq.clearance", "opinion_cnca": "hq.cnca", "opinion_health": "hq.health",
         "opinion_plant_animal": "hq.plant", "opinion_inspection": "hq.inspection", "opinion_food": "hq.food"}


class Api:
    def __init__(self, client, token=None):
        self.client, self.token = client, token

    def _headers(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path, **kw):
        return self.client.get("/api/v1" + path, headers=self._headers(), **kw)

    def post(self, path, json=None, **kw):
        return self.client.post("/api/v1" + path, json=json, headers={**self._headers(), **kw.pop("headers", {})},
                                **kw)


@pytest.fixture
def api(client):
    def as_user(username):
        response = client.post("/api/v1/token", json={"username": username, "password": PASSWORD})
        assert response.status_code == 201, response.json
        return Api(client, response.json["token"])

    return as_user


def do(api_user, bpmn_id, **data):
    task = next(t for t in api_user.get("/tasks").json["items"] if t["bpmn_id"] == bpmn_id)
    response = api_user.post(f"/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == 200, response.json
    return response.json


def test_token_expiry_is_returned_and_the_token_works(client, api):
    response = client.post("/api/v1/token", json={"username": "henan.gov", "password": PASSWORD})
    assert set(response.json) == {"token", "expires_at"}
    assert api("henan.gov").get("/tasks").json == {"items": [], "total": 0, "limit": 50, "offset": 0,
                                                   "counts": {"mine": 0, "groups": 0, "all": 0}}


def test_the_whole_path_through_the_api(api):
    gov = api("henan.gov")
    filed = gov.post("/zones", json=application())
    assert filed.status_code == 201
    zone = filed.json
    assert (zone["status"], zone["province"]) == ("recommending", "henan")
    assert zone["stage"] == "bureau_recommendation,recommendation_overdue", "the task and its deadline timer"
    assert zone["process_version"] == "zone_lifecycle:1"
    bureau = api("henan.bureau")
    [task] = bureau.get("/tasks").json["items"]
    assert task["zone_id"] == zone["id"] and task["claimed_by"] is None and task["due_at"]
    detail = bureau.get(f"/tasks/{task['id']}").json
    decision = next(f for f in detail["form"]["fields"] if f["id"] == "decision")
    assert [o["id"] for o in decision["options"]] == ["recommend", "revise", "reject"] and decision["required"]
    do(bureau, "bureau_recommendation", decision="recommend", comment="同意推荐")
    do(api("hq.clearance"), "organise_acceptance", acceptance_date="2026-12-01", acceptance_scope="现场")
    for bpmn_id, name in UNITS.items():
        do(api(name), bpmn_id, decision="pass", comment="同意")
    do(api("hq.clearance"), "consolidate", decision="pass", comment="通过")
    do(api("hq.leader"), "hq_approval", decision="approve", comment="同意", approval_number="国质检通函〔2026〕9号")
    final = gov.get(f"/zones/{zone['id']}").json
    assert final["status"] == "operating" and final["open_tasks"] == []
    assert final["stage"] == "q1_due,risk_due,evaluation_due", "the first supervision year waits for its timers"
    assert final["current_process"] == "zone_supervision:1"
    assert final["approval_number"] == "国质检通函〔2026〕9号"
    steps = [(h["actor"], h["bpmn_id"], h["action"], h["decision"]) for h in final["history"]
             if h["action"] == "task_completed"]
    assert steps[1] == ("henan.bureau", "bureau_recommendation", "task_completed", "recommend")
    assert steps[-1] == ("hq.leader", "hq_approval", "task_completed", "approve")
    assert final["history"][1]["comment"] == "同意推荐" and final["history"][1]["organisation"] == "河南检验检疫局"


def test_claims_keep_colleagues_off_and_double_submit_is_409(api):
    api("henan.gov").post("/zones", json=application())
    first, second = api("henan.bureau"), api("henan.bureau2")
    task_id = first.get("/tasks").json["items"][0]["id"]
    assert first.post(f"/tasks/{task_id}/claim").json["claimed_by"] == "henan.bureau"
    assert second.get("/tasks").json["items"][0]["claimed_by"] == "henan.bureau"
    refused = second.post(f"/tasks/{task_id}/complete", json={"data": {"decision": "reject", "comment": "x"}})
    assert refused.status_code == 409 and refused.json["error"] == "conflict"
    assert "河南局经办人 · 河南检验检疫局" in refused.json["message"], "the colleague, as people know them"
    assert second.post(f"/tasks/{task_id}/claim").status_code == 409
    assert first.post(f"/tasks/{task_id}/unclaim").json["claimed_by"] is None
    assert second.post(f"/tasks/{task_id}/complete", json={"data": {"decision": "recommend", "comment": "好"}}
                       ).status_code == 200
    again = first.post(f"/tasks/{task_id}/complete", json={"data": {"decision": "reject", "comment": "x"}})
    assert again.status_code == 409


def test_invalid_fields_get_per_field_messages(api):
    response = api("henan.gov").post("/zones", json=application(zone_name="郑州", province="mars", extra=1))
    assert response.status_code == 400
    assert response.json["error"] == "invalid"
    assert set(response.json["fields"]) == {"zone_name", "province", "extra"}


def test_messages_follow_accept_language(api):
    gov = api("henan.gov")
    response = gov.post("/zones", json=application(zone_name="郑州"), headers={"Accept-Language": "en"})
    assert response.json["fields"]["zone_name"].startswith("Invalid format")


@pytest.mark.parametrize(("kwargs", "status", "error"), [
    ({"data": "{not json", "content_type": "application/json"}, 400, "invalid"),
    ({"data": "[1, 2]", "content_type": "application/json"}, 400, "invalid"),
    ({"data": "zone_name=x", "content_type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
    ({"data": '{"zone_name": "' + "x" * 3_000_000 + '"}', "content_type": "application/json"}, 413,
     "payload_too_large"),
])
def test_malformed_requests(api, kwargs, status, error):
    response = api("henan.gov").client.post("/api/v1/zones", headers=api("henan.gov")._headers(), **kwargs)
    assert response.status_code == status
    assert response.json["error"] == error and response.json["message"]


def test_no_or_bad_token_is_401_and_cookies_do_not_count(client, login_as):
    assert client.get("/api/v1/tasks").status_code == 401
    response = client.get("/api/v1/tasks", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
    browser = login_as("henan.gov")
    assert browser.get("/api/v1/tasks").status_code == 401


def test_unknown_routes_and_methods_answer_in_json(api):
    gov = api("henan.gov")
    assert gov.get("/nothing").json["error"] == "not_found"
    response = gov.client.delete("/api/v1/zones", headers=gov._headers())
    assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_bad_paging_is_400(api):
    response = api("hq.leader").get("/zones?limit=0&offset=-1")
    assert response.status_code == 400 and set(response.json["fields"]) == {"limit", "offset"}
    assert api("hq.leader").get("/zones?limit=1").json["total"] == 0


def test_logins_and_denials_are_audited(app, api):
    gov = api("henan.gov")
    gov.post("/zones", json=application())
    api("jiangxi.bureau").get("/zones/1")
    api("hq.food").get("/tasks/1")
    with app.extensions["workflow.db"].session() as session:
        events = session.scalars(select(Event).where(Event.kind.in_(["login", "access_denied"]))).all()
    logins = {e.actor for e in events if e.kind == "login"}
    denied = {(e.actor, e.data["status"], e.data["path"]) for e in events if e.kind == "access_denied"}
    assert {"henan.gov", "jiangxi.bureau", "hq.food"} <= logins
    assert ("jiangxi.bureau", 404, "/api/v1/zones/1") in denied
    assert ("hq.food", 403, "/api/v1/tasks/1") in denied


def test_process_definitions_and_openapi(api, client):
    versions = api("owner").get("/process-definitions").json
    assert {v["process_id"] for v in versions["items"]} == {
        "zone_lifecycle", "zone_supervision", "innovation_measure", "replication"}
    assert versions["total"] == 4
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    application_schema = doc["components"]["schemas"]["Application"]
    assert "zone_name" in application_schema["required"]
    assert application_schema["properties"]["province"]["enum"][:2] == ["beijing", "tianjin"]


def test_zone_detail_carries_records_and_measures(app, session, api):
    from datetime import timedelta

    from tests.conftest import MEASURE, START, pass_at, report, user
    from tests.conftest import approve_zone as operating_zone
    from workflow.services import measures
    from workflow.timeparse import add_duration

    zone = operating_zone(session)
    measures.file(session, user(session, "henan.gov"), zone.id, MEASURE)
    quarter_end = add_duration(START, "P3M") + timedelta(hours=1)
    pass_at(app, quarter_end)
    session.expire_all()
    report(session, "q1", quarter_end)
    detail = api("hq.food").get(f"/zones/{zone.id}").json
    assert [m["title"] for m in detail["measures"]] == ["第三方检验结果采信"]
    assert detail["measures"][0]["status"] == "in_effect"
    [record] = [r for r in detail["records"] if r["kind"] == "report"]
    assert record["period_no"] == 1 and record["actor"] == "henan.bureau" and record["data"]["risk_level"] == "low"


def _json_schema(node):
    """An OpenAPI 3.0 schema as plain JSON Schema: ``nullable`` becomes a "null" type."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        out["type"] = [node["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def test_the_documents_enums_are_the_python_enums(client):
    from workflow.models import ItemStatus, MeasureKind, TaskStatus, ZoneStatus

    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    assert schemas["Zone"]["properties"]["status"]["enum"] == [s.value for s in ZoneStatus]
    assert schemas["ZoneDetail"]["properties"]["status"]["enum"] == [s.value for s in ZoneStatus]
    assert schemas["Task"]["properties"]["status"]["enum"] == [s.value for s in TaskStatus]
    measure = schemas["ZoneDetail"]["properties"]["measures"]["items"]["properties"]
    assert measure["kind"]["enum"] == [k.value for k in MeasureKind]
    assert measure["status"]["enum"] == [s.value for s in ItemStatus]


def test_a_revoked_zones_answer_conforms_to_the_document(app, session, api, client):
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    from tests.conftest import START, act, run_year
    from workflow.timeparse import add_duration

    zone = operating_zone(session)
    eval_time = run_year(app, session, START, 30)
    act(session, "henan.gov", "rectify_zone", eval_time, rectification_report="整改")
    act(session, "henan.bureau", "rectification_check", eval_time, decision="accepted", comment="到位")
    eval_time = run_year(app, session, add_duration(START, "P1Y"), 30)
    act(session, "hq.leader", "revocation_decision", eval_time, decision="revoke", comment="撤销")
    components = _json_schema(client.get("/api/v1/openapi.json").json["components"])
    hq = api("hq.leader")
    for path, schema in ((f"/zones/{zone.id}", "ZoneDetail"), ("/zones", "Zone")):
        answer = hq.get(path).json
        items = [answer] if schema == "ZoneDetail" else answer["items"]
        assert [z["status"] for z in items] == ["revoked"]
        validator = jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{schema}", "components": components})
        for item in items:
            errors = [e.message for e in validator.iter_errors(item)]
            assert errors == [], errors

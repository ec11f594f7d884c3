"""Every entry point x every demo user x a zone of their own province and of the other one.

The expectations are written here from the rules of domain.md, not read from the code:
HQ units, the process owner and the administrator see every zone; a bureau sees the zones of
its province; a local government sees the zones it filed. Only a candidate of a task acts on it
(the recommendation: bureaus). Unseen -> 404; seen but not theirs -> 403.
"""

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner

from tests.conftest import PASSWORD, application
from workflow.cli import main
from workflow.services.setup import DEMO_USERS

PROVINCE = {"henan-gov": "henan", "jiangxi-gov": "jiangxi", "henan-bureau": "henan", "jiangxi-bureau": "jiangxi"}
USERS = {name: (role.value, org) for name, role, org, _ in DEMO_USERS}


def sees(username: str, zone: dict) -> bool:
    role, org = USERS[username]
    if role in ("bureau", "bureau_head"):
        return PROVINCE[org] == zone["province"]
    if role == "local_gov":
        return org == zone["applicant"]
    return True


def candidate(username: str, zone: dict) -> bool:
    return USERS[username][0] == "bureau" and sees(username, zone)


def expected(username: str, zone: dict, ok: int = 200) -> int:
    return ok if candidate(username, zone) else 403 if sees(username, zone) else 404


@pytest.fixture
def world(app, client):
    """A Henan and a Jiangxi zone, each waiting for its bureau's recommendation."""
    def token(username):
        return client.post("/api/v1/token", json={"username": username, "password": PASSWORD}).json["token"]

    zones = []
    filings = [("henan.gov", "郑州航空港国检试验区", "henan"), ("jiangxi.gov", "赣州国检试验区", "jiangxi")]
    for gov, name, province in filings:
        response = client.post("/api/v1/zones", json=application(zone_name=name, province=province),
                               headers={"Authorization": f"Bearer {token(gov)}"})
        assert response.status_code == 201
        zone = response.json
        zone["task_id"] = zone["open_tasks"][0]["id"]
        zones.append(zone)
    return token, zones


@pytest.mark.parametrize("username", sorted(USERS))
def test_api_matrix(client, world, username):
    token, zones = world
    auth = {"Authorization": f"Bearer {token(username)}"}
    listed = {z["id"] for z in client.get("/api/v1/zones", headers=auth).json["items"]}
    assert listed == {z["id"] for z in zones if sees(username, z)}
    inbox = {t["id"] for t in client.get("/api/v1/tasks", headers=auth).json["items"]}
    assert inbox == {z["task_id"] for z in zones if candidate(username, z)}
    assert client.get("/api/v1/process-definitions", headers=auth).status_code == 200
    for zone in zones:
        task = f"/api/v1/tasks/{zone['task_id']}"
        for path in ("", "/trace", "/log", "/log?format=csv"):
            assert client.get(f"/api/v1/zones/{zone['id']}{path}", headers=auth).status_code == (
                200 if sees(username, zone) else 404), path
        assert client.get(task, headers=auth).status_code == expected(username, zone)
        bad = client.post(task + "/complete", json={"data": {"decision": "maybe", "comment": ""}}, headers=auth)
        assert bad.status_code == expected(username, zone, ok=400)
        claim = client.post(task + "/claim", headers=auth)
        assert claim.status_code == expected(username, zone)
        if claim.status_code == 200:
            assert client.post(task + "/unclaim", headers=auth).status_code == 200


@pytest.mark.parametrize("username", sorted(USERS))
def test_pages_and_export_matrix(login_as, world, username):
    _, zones = world
    browser = login_as(username)
    exported = list(csv.reader(io.StringIO(browser.get("/zones.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert {int(row[0]) for row in exported[1:]} == {z["id"] for z in zones if sees(username, z)}
    for zone in zones:
        assert browser.get(f"/zones/{zone['id']}").status_code == (200 if sees(username, zone) else 404)
        for path in ("/diagram.bpmn", "/log.csv", "/log.xes", "/dossier.pdf"):
            assert browser.get(f"/zones/{zone['id']}{path}").status_code == (
                200 if sees(username, zone) else 404), path
        assert browser.get(f"/tasks/{zone['task_id']}").status_code == expected(username, zone)
        bad = browser.post(f"/tasks/{zone['task_id']}", data={"decision": "maybe", "csrf_token": browser.csrf})
        assert bad.status_code == expected(username, zone, ok=400)


@pytest.mark.parametrize("username", sorted(USERS))
@pytest.mark.parametrize("province", ["henan", "jiangxi"])
def test_filing_matrix(client, username, province):
    token = client.post("/api/v1/token", json={"username": username, "password": PASSWORD}).json["token"]
    response = client.post("/api/v1/zones", json=application(zone_name="新区国检试验区", province=province),
                           headers={"Authorization": f"Bearer {token}"})
    role, org = USERS[username]
    if role != "local_gov":
        assert response.status_code == 403
    elif PROVINCE[org] == province:
        assert response.status_code == 201
    else:
        assert response.status_code == 400 and set(response.json["fields"]) == {"province"}


@pytest.mark.parametrize("username", ["henan.bureau", "jiangxi.gov", "hq.food"])
def test_cli_matrix(app, world, monkeypatch, username):
    _, zones = world
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", app.extensions["workflow.db"].url)
    result = CliRunner().invoke(main, ["zones", "--as", username])
    assert result.exit_code == 0, result.output
    shown = {int(line.split("\t")[0]) for line in result.output.splitlines() if "\t" in line}
    assert shown == {z["id"] for z in zones if sees(username, z)}


def adds(username: str, zone: dict) -> int:
    """Files and comments: officials who see the zone add them; the technical accounts see but may not (403)."""
    if not sees(username, zone):
        return 404
    return 403 if USERS[username][0] in ("admin", "process_owner") else 201


@pytest.mark.parametrize("username", sorted(USERS))
def test_files_and_comments_matrix(client, world, username):
    token, zones = world
    auth = {"Authorization": f"Bearer {token(username)}"}
    for zone in zones:
        base = f"/api/v1/zones/{zone['id']}"
        gov = {"Authorization": f"Bearer {token('henan.gov' if zone['province'] == 'henan' else 'jiangxi.gov')}"}
        own = client.post(base + "/attachments", headers=gov, content_type="multipart/form-data",
                          data={"file": (io.BytesIO(b"%PDF-1.4\n" + username.encode()), "a.pdf")}).json["id"]
        for path in ("/attachments", f"/attachments/{own}", "/comments"):
            assert client.get(base + path, headers=auth).status_code == (200 if sees(username, zone) else 404), path
        sent = client.post(base + "/attachments", headers=auth, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"%PDF-1.4\n"), "b.pdf")})
        assert sent.status_code == adds(username, zone)
        assert client.post(base + "/comments", headers=auth, json={"body": "意见"}).status_code == adds(username, zone)
INTERNAL_NOTE, INTERNAL_CONDITION, FOR_APPLICANT = "冷链查验能力不足（内部）", "补建冷库（内部条件）", "请整改冷库"


@pytest.fixture
def rectifying(session):
    """A Henan zone sent to rectification: 食品局's opinion is internal, the consolidation's comment is not."""
    from tests.conftest import START, UNIT_USERS, act, user
    from workflow.services import zones

    zone = zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    act(session, "henan.bureau", "bureau_recommendation", START, decision="recommend", comment="同意")
    act(session, "hq.clearance", "organise_acceptance", START, acceptance_date="2027-02-01", acceptance_scope="现场")
    for bpmn_id, name in UNIT_USERS.items():
        if bpmn_id == "opinion_food":
            act(session, name, bpmn_id, START, decision="conditional", conditions=INTERNAL_CONDITION,
                comment=INTERNAL_NOTE)
        else:
            act(session, name, bpmn_id, START, decision="pass", comment="同意")
    act(session, "hq.clearance", "consolidate", START, decision="rectify", comment=FOR_APPLICANT)
    return zone.id


HENAN = {"province": "henan", "applicant": "henan-gov"}


@pytest.mark.parametrize("username", sorted(u for u in USERS if sees(u, HENAN)))
def test_internal_opinions_matrix(client, login_as, rectifying, username):
    """HQ units' opinions are internal by default (visible_to): a local government reads none of them, anywhere."""
    internal = USERS[username][0] != "local_gov"
    browser = login_as(username)
    token = client.post("/api/v1/token", json={"username": username, "password": PASSWORD}).json["token"]
    api = json.dumps(client.get(f"/api/v1/zones/{rectifying}", headers={"Authorization": f"Bearer {token}"}).json,
                     ensure_ascii=False)
    api_log = client.get(f"/api/v1/zones/{rectifying}/log?format=csv",
                         headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True)
    places = {"zone page": browser.get(f"/zones/{rectifying}").get_data(as_text=True),
              "csv log": browser.get(f"/zones/{rectifying}/log.csv").get_data(as_text=True),
              "xes log": browser.get(f"/zones/{rectifying}/log.xes").get_data(as_text=True),
              "api zone": api, "api log": api_log}
    if USERS[username][0] == "local_gov":
        task = re.search(r'href="/tasks/(\d+)"', places["zone page"]).group(1)
        places["task page"] = browser.get(f"/tasks/{task}").get_data(as_text=True)
    for place, text in places.items():
        assert (INTERNAL_NOTE in text) == internal, place
        assert internal or INTERNAL_CONDITION not in text, place
        assert FOR_APPLICANT in text, place
    assert (INTERNAL_CONDITION in places["zone page"]) == internal, "the timeline shows what each step set"

"""Bad input at the request boundary: lone surrogates, NUL, Unicode digits, deep JSON, invisible characters in names."""

import json

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, application, csrf_of
from workflow.models import Measure, Organisation, User, Zone


@pytest.fixture
def gov(client):
    token = client.post("/api/v1/token", json={"username": "henan.gov", "password": PASSWORD}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def raw_json(client, path, body: str, headers):
    return client.post(path, data=body, content_type="application/json", headers=headers)


def count(app, model):
    with app.extensions["workflow.db"].session() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("where", ["operator", "priority_policies", "key"])
def test_a_lone_surrogate_in_any_json_field_is_refused_and_nothing_is_stored(app, client, gov, login_as, where):
    data = application()
    if where == "key":
        data["\udc00"] = "x"
    elif where == "priority_policies":
        data[where] = ["designated_port", "\ud800"]
    else:
        data[where] = "运营\udc00公司"
    response = raw_json(client, "/api/v1/zones", json.dumps(data), gov)
    assert response.status_code == 400 and response.json["error"] == "invalid"
    assert response.json["fields"], "the field is named"
    assert count(app, Zone) == 0
    filed = client.post("/api/v1/zones", json=application(), headers=gov)
    assert filed.status_code == 201
    assert login_as("hq.food").get(f"/zones/{filed.json['id']}").status_code == 200


def test_a_lone_surrogate_in_task_data_is_refused_and_the_zone_pages_keep_working(app, client, gov, login_as):
    zone = client.post("/api/v1/zones", json=application(), headers=gov).json
    token = client.post("/api/v1/token", json={"username": "henan.bureau", "password": PASSWORD}).json["token"]
    bureau = {"Authorization": f"Bearer {token}"}
    task = zone["open_tasks"][0]["id"]
    body = '{"data": {"decision": "recommend", "comment": "\\udc00"}}'
    response = raw_json(client, f"/api/v1/tasks/{task}/complete", body, bureau)
    assert response.status_code == 400 and set(response.json["fields"]) == {"comment"}
    assert client.get(f"/api/v1/tasks/{task}", headers=bureau).json["status"] == "open"
    for path in [f"/zones/{zone['id']}", "/zones", "/inbox", "/zones.csv"]:
        assert login_as("henan.bureau").get(path).status_code == 200, path


def test_nul_in_a_user_name_is_a_clean_400(app, client):
    response = client.post("/api/v1/token", json={"username": "henan\x00gov", "password": PASSWORD})
    assert response.status_code == 400 and set(response.json["fields"]) == {"username"}
    page = client.post("/login", data={"username": "henan\x00gov", "password": "x", "csrf_token": csrf_of(client)})
    assert page.status_code == 400 and "username" in page.get_data(as_text=True)


def test_json_nested_100000_levels_is_a_clean_400(client, gov):
    response = raw_json(client, "/api/v1/zones", "[" * 100_000 + "]" * 100_000, gov)
    assert response.status_code == 400 and response.json["error"] == "invalid"
    nested = '{"data": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}"
    assert raw_json(client, "/api/v1/tasks/1/complete", nested, gov).status_code == 400


@pytest.mark.parametrize("digits", ["²", "١", "1²", "٣"])
def test_unicode_digits_in_numeric_parameters_are_400(app, client, gov, login_as, digits):
    for name in ["limit", "offset"]:
        response = client.get(f"/api/v1/zones?{name}={digits}", headers=gov)
        assert response.status_code == 400 and set(response.json["fields"]) == {name}
    zone = client.post("/api/v1/zones", json=application(), headers=gov).json["id"]
    browser = login_as("henan.gov")
    for path in [f"/zones/{zone}?instance={digits}", f"/zones/{zone}/diagram.bpmn?instance={digits}",
                 f"/zones/{zone}/experiences/new?measure={digits}"]:
        assert browser.get(path).status_code in {400, 403}, path
    assert browser.get(f"/zones/{zone}?instance={digits}").status_code == 400
    adopted = browser.post("/experiences/1/adopt", data={"zone": digits, "csrf_token": browser.csrf})
    assert adopted.status_code < 500


def test_unicode_digits_in_paths_are_not_ids(client, gov):
    zone = client.post("/api/v1/zones", json=application(), headers=gov).json["id"]
    assert client.get(f"/api/v1/zones/{zone}", headers=gov).status_code == 200
    assert client.get("/api/v1/zones/" + chr(0x660 + zone), headers=gov).status_code == 404


def test_an_experience_proposal_with_a_unicode_digit_measure_is_400(app, session, login_as):
    from tests.conftest import MEASURE, operating_zone, user
    from workflow.services import measures

    zone = operating_zone(session)
    measures.file(session, user(session, "henan.gov"), zone.id, MEASURE)
    browser = login_as("henan.bureau")
    page = browser.post(f"/zones/{zone.id}/experiences/new?measure=¹",
                        data={"title": "经验", "csrf_token": browser.csrf})
    assert page.status_code == 400
    assert count(app, Measure) == 1


@pytest.mark.parametrize("hidden", ["\u200b", "\u202e", "\u2066", "\u3164", "\u00ad", "\u2028"])
def test_zone_names_with_invisible_characters_are_refused(app, client, gov, hidden):
    response = client.post("/api/v1/zones", json=application(zone_name=f"郑州航空港{hidden}国检试验区"), headers=gov)
    assert response.status_code == 400 and set(response.json["fields"]) == {"zone_name"}
    assert count(app, Zone) == 0


def test_zone_names_are_normalised_so_look_alikes_collide(app, client, gov):
    wide = client.post("/api/v1/zones", json=application(zone_name="郑州Ａ区国检试验区"), headers=gov)
    assert wide.status_code == 201
    with app.extensions["workflow.db"].session() as session:
        assert session.scalar(select(Zone.name)) == "郑州A区国检试验区"
    twin = client.post("/api/v1/zones", json=application(zone_name="郑州A区国检试验区"), headers=gov)
    assert twin.status_code == 400 and set(twin.json["fields"]) == {"zone_name"}


def test_control_characters_in_free_text_are_refused(client, gov):
    response = client.post("/api/v1/zones", json=application(operator="运营\u202e公司", industries="a\x07b"),
                           headers=gov)
    assert response.status_code == 400 and set(response.json["fields"]) == {"operator", "industries"}


def test_long_fields_take_ascii_digits_only():
    from workflow import forms
    from workflow.errors import InvalidForm
    from workflow.modelxml import Field

    field = Field(id="n", label="n", label_en="n", type="long")
    assert forms.clean([field], {"n": "-12"}) == {"n": -12}
    for bad in ["١٢", "²", "1_000", "12.0"]:
        with pytest.raises(InvalidForm):
            forms.clean([field], {"n": bad})


@pytest.mark.parametrize("name", ["综合\u200b司", "综合\u202e司", "综合\x00司"])
def test_organisation_and_display_names_refuse_invisible_characters(app, login_as, name):
    admin = login_as("admin")
    response = admin.post("/admin/organisations", data={"code": "hq-unit-x", "name": name, "kind": "hq_unit",
                                                        "csrf_token": admin.csrf})
    assert response.status_code == 400
    created = admin.post("/admin/users/new", data={
        "username": "wang.wu", "display_name": name, "organisation": "hq-food", "roles": ["hq_food"],
        "active": "on", "password": "Zhengzhou-airport-2031", "csrf_token": admin.csrf})
    assert created.status_code == 400
    assert count(app, Organisation) == 12 and count(app, User) == 16


def test_organisation_names_are_normalised(app, login_as):
    admin = login_as("admin")
    admin.post("/admin/organisations", data={"code": "hq-unit-x", "name": "综合司（Ａ）", "kind": "hq_unit",
                                              "csrf_token": admin.csrf})
    with app.extensions["workflow.db"].session() as session:
        assert session.scalar(select(Organisation.name).where(Organisation.code == "hq-unit-x")) == "综合司(A)"

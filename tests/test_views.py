"""Pages through the Flask test client: login, CSRF, inbox, task forms, statuses, languages."""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from tests.conftest import BPMN_DIR, PASSWORD, application, csrf_of
from workflow import config, create_app
from workflow.models import Event, Zone
from workflow.services import setup


def post_application(client, **overrides):
    data = application(**overrides)
    data["csrf_token"] = client.csrf
    return client.post("/zones/new", data=data)


def first_task_id(client):
    page = client.get("/inbox").get_data(as_text=True)
    return int(re.search(r'href="/tasks/(\d+)"', page).group(1))


def test_pages_require_login(client):
    for path in ["/inbox", "/zones", "/zones/new", "/tasks/1", "/zones/1"]:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location


def test_the_login_redirect_carries_the_page_asked_for_and_nothing_more(client):
    assert client.get("/inbox").location.endswith("/login?next=/inbox")
    assert client.get("/zones?lang=en").location.endswith("/login?next=/zones?lang%3Den")


def test_a_failed_login_puts_the_focus_on_the_password(client):
    fresh = client.get("/login").get_data(as_text=True)
    assert re.search(r'<input id="username"[^>]* autofocus', fresh)
    token = csrf_of(client)
    page = client.post("/login", data={"username": "henan.gov", "password": "nope", "csrf_token": token})
    text = page.get_data(as_text=True)
    assert re.search(r'<input id="password"[^>]* autofocus', text), "the user retypes the password"
    assert not re.search(r'<input id="username"[^>]* autofocus', text)
    assert 'value="henan.gov"' in text


def test_the_site_has_an_icon(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200 and response.mimetype in {"image/vnd.microsoft.icon", "image/x-icon"}
        assert response.data.startswith(b"\x00\x00\x01\x00"), "an ICO file"
    assert 'rel="icon"' in client.get("/login").get_data(as_text=True)


def test_login_with_a_wrong_password_is_refused(client):
    token = csrf_of(client)
    response = client.post("/login", data={"username": "henan.gov", "password": "nope", "csrf_token": token})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": "henan.gov", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_forms_without_csrf_token_are_refused_and_change_nothing(app, login_as):
    client = login_as("henan.gov")
    data = application()
    response = client.post("/zones/new", data=data)
    assert response.status_code == 400
    with app.extensions["workflow.db"].session() as session:
        assert session.scalar(select(func.count()).select_from(Zone)) == 0


def test_session_cookie_is_httponly_and_samesite(client):
    token = csrf_of(client)
    response = client.post("/login", data={"username": "henan.gov", "password": PASSWORD, "csrf_token": token})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_ends_the_session(login_as):
    client = login_as("henan.gov")
    client.post("/logout", data={"csrf_token": client.csrf})
    assert client.get("/inbox").status_code == 302


def test_local_government_files_and_bureau_recommends(login_as):
    gov = login_as("henan.gov")
    response = post_application(gov)
    assert response.status_code == 302
    zone_page = gov.get(response.location).get_data(as_text=True)
    assert "郑州航空港国检试验区" in zone_page and "推荐中" in zone_page

    bureau = login_as("henan.bureau")
    inbox = bureau.get("/inbox").get_data(as_text=True)
    assert "郑州航空港国检试验区" in inbox and "直属局推荐意见" in inbox
    task_id = first_task_id(bureau)
    page = bureau.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'name="decision"' in page and "郑州航空港投资集团有限公司" in page
    done = bureau.post(f"/tasks/{task_id}", data={"decision": "recommend", "comment": "同意推荐",
                                                 "csrf_token": bureau.csrf})
    assert done.status_code == 302 and done.location == "/inbox", "on to the next task; none is left"
    trace = bureau.get(response.location).get_data(as_text=True)
    assert "henan.bureau" in trace and "同意推荐" in trace and "组织验收" in trace

    again = bureau.post(f"/tasks/{task_id}", data={"decision": "reject", "comment": "x", "csrf_token": bureau.csrf})
    assert again.status_code == 409


def test_field_errors_are_shown_next_to_their_fields(app, login_as):
    gov = login_as("henan.gov")
    response = post_application(gov, zone_name="郑州试验区", operator="")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="zone_name-msg"><span class="error">格式不符：统一命名为“xx国检试验区”', page)
    assert re.search(r'id="operator-msg"><span class="error">必填项', page)
    assert 'value="郑州试验区"' in page, "what the user typed is kept"
    with app.extensions["workflow.db"].session() as session:
        assert session.scalar(select(func.count()).select_from(Zone)) == 0
        assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "task_completed")) == 0


def test_other_province_gets_404_and_other_role_403(login_as):
    post_application(login_as("henan.gov"))
    task_id = first_task_id(login_as("henan.bureau"))
    jiangxi = login_as("jiangxi.bureau")
    assert jiangxi.get(f"/tasks/{task_id}").status_code == 404
    assert jiangxi.post(f"/tasks/{task_id}", data={"decision": "recommend", "comment": "x",
                                                   "csrf_token": jiangxi.csrf}).status_code == 404
    assert jiangxi.get("/zones/1").status_code == 404
    clearance = login_as("hq.clearance")
    assert clearance.get("/zones/1").status_code == 200
    assert clearance.post(f"/tasks/{task_id}", data={"decision": "recommend", "comment": "x",
                                                     "csrf_token": clearance.csrf}).status_code == 403
    assert login_as("henan.bureau").get("/zones/new").status_code == 403


def test_diagram_xml_is_served_only_to_those_who_may_see_the_zone(login_as):
    post_application(login_as("henan.gov"))
    page = login_as("henan.bureau").get("/zones/1").get_data(as_text=True)
    assert 'data-current="bureau_recommendation recommendation_overdue"' in page
    done = re.search(r'data-done="([^"]*)"', page).group(1).split()
    assert "submit_application" in done and "application_started" in done and "bureau_recommendation" not in done
    xml = login_as("hq.food").get("/zones/1/diagram.bpmn")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert b'id="zone_lifecycle"' in xml.data
    assert login_as("jiangxi.gov").get("/zones/1/diagram.bpmn").status_code == 404


def test_english_is_available_and_chinese_is_the_default(login_as):
    client = login_as("henan.gov")
    assert "待办" in client.get("/inbox").get_data(as_text=True)
    english = client.get("/inbox?lang=en").get_data(as_text=True)
    assert "Inbox" in english and "待办" not in english
    assert 'lang="en"' in english
    assert "Inbox" in client.get("/zones").get_data(as_text=True), "the choice sticks for the session"


def test_english_field_labels_and_hints_come_from_the_model(login_as):
    client = login_as("henan.gov")
    client.get("/inbox?lang=en")
    page = post_application(client, zone_name="bad").get_data(as_text=True)
    assert "Zone name" in page and "Must be named" in page


def test_security_headers(client):
    headers = client.get("/login").headers
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in headers["Content-Security-Policy"]


def test_unknown_pages_render_a_translated_404(login_as):
    response = login_as("henan.gov").get("/nowhere")
    assert response.status_code == 404 and "您要找的页面不存在" in response.get_data(as_text=True)


def test_claiming_from_the_task_page(login_as):
    post_application(login_as("henan.gov"))
    first, second = login_as("henan.bureau"), login_as("henan.bureau2")
    task_id = first_task_id(first)
    assert first.post(f"/tasks/{task_id}/claim", data={"csrf_token": first.csrf}).status_code == 302
    claimed = '已由 <span class="person" title="henan.bureau">河南局经办人 · 河南检验检疫局</span> 认领'
    assert claimed in second.get("/inbox").get_data(as_text=True)
    refused = second.post(f"/tasks/{task_id}", data={"decision": "recommend", "comment": "x",
                                                     "csrf_token": second.csrf})
    assert refused.status_code == 409 and "已由 河南局经办人 · 河南检验检疫局 认领" in refused.get_data(as_text=True)
    assert first.post(f"/tasks/{task_id}/unclaim", data={"csrf_token": first.csrf}).status_code == 302
    done = second.post(f"/tasks/{task_id}", data={"decision": "recommend", "comment": "x", "csrf_token": second.csrf})
    assert done.status_code == 302


def login_then(client, target):
    token = csrf_of(client)
    return client.post("/login", data={"username": "henan.gov", "password": PASSWORD, "csrf_token": token,
                                       "next": target})


@pytest.mark.parametrize("target", [
    "/\t/evil.example", "/%09/evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example",
    "/\\/evil.example", "https://evil.example", "javascript:alert(1)", "http:/evil.example", "%2F%2Fevil.example",
    "/%2F/evil.example", "/%5Cevil.example", " //evil.example", "/\x0b/evil.example", "\x1b//evil.example",
    "data:text/html,x", "evil.example", "/\u3000/evil.example",
])
def test_login_never_redirects_off_site(client, target):
    response = login_then(client, target)
    assert response.status_code == 302
    # What a browser makes of the Location: tabs and line breaks dropped, backslashes read as slashes.
    seen = re.sub(r"[\t\n\r]", "", response.location).strip("\x00 ").replace("\\", "/")
    assert seen.startswith("/") and not seen.startswith("//"), response.location
    assert not urlsplit(seen).netloc and not urlsplit(seen).scheme


def test_login_redirects_to_a_page_of_the_site(client):
    assert login_then(client, "/zones?page=2").location == "/zones?page=2"


def test_the_percent_encoded_tab_from_the_issue_lands_on_the_inbox(client):
    page = client.get("/login?next=/%09/evil.example")
    assert page.status_code == 200
    assert login_then(client, "/\t/evil.example").location == "/inbox"


@pytest.mark.parametrize("target", ["/inbox\r\nSet-Cookie: x=1", "/inbox\nLocation: //evil.example", "/\r"])
def test_line_breaks_in_next_are_400(client, target):
    assert login_then(client, target).status_code == 400
    assert client.get("/login", query_string={"next": target}).status_code == 400
def test_the_configured_default_language_applies_until_the_user_chooses(tmp_path):

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'en.sqlite3'}", "SECRET_KEY": "x",
                      "DEFAULT_LOCALE": "en_US"})
    db = app.extensions["workflow.db"]
    db.upgrade()
    with db.session() as session:
        setup.init(session, BPMN_DIR, demo=True, demo_password=PASSWORD)
    client = app.test_client()
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)
    client.post("/login", data={"username": "henan.gov", "password": PASSWORD, "csrf_token": csrf_of(client)})
    assert "Inbox" in client.get("/inbox").get_data(as_text=True), "logging in keeps the default"
    assert "待办" in client.get("/inbox?lang=zh").get_data(as_text=True)
    assert "待办" in client.get("/zones").get_data(as_text=True), "the user's choice wins"
    api = app.test_client().get("/api/v1/tasks")
    assert api.get_json()["message"].startswith("An Authorization"), "the API too, without Accept-Language"
    db.dispose()


def test_an_unknown_default_language_is_refused_at_start():
    with pytest.raises(ValueError, match="WORKFLOW_DEFAULT_LOCALE must be zh or en"):
        config.load({"DEFAULT_LOCALE": "fr", "SECRET_KEY": "x"})
    assert config.load({"SECRET_KEY": "x"})["DEFAULT_LOCALE"] == "zh"


def test_the_csv_shows_labels_in_the_page_language_and_the_api_keeps_codes(login_as):
    import csv
    import io

    post_application(login_as("henan.gov"))
    client = login_as("hq.clearance")

    def rows():
        return list(csv.reader(io.StringIO(client.get("/zones.csv").get_data(as_text=True).lstrip("\ufeff"))))

    [header, row] = rows()
    assert header[2:5] == ["省份", "申请单位", "状态"] and row[2:5] == ["河南", "河南省人民政府", "推荐中"]
    client.get("/inbox?lang=en")
    [header, row] = rows()
    assert header[2:5] == ["Province", "Applicant", "Status"]
    assert row[2:5] == ["Henan", "Henan Provincial Government", "Under recommendation"]


def _visible_text(html):
    """The page as read: no tags and no attribute values."""
    return re.sub(r"<[^>]+>", " ", html)


def test_people_are_shown_by_name_and_organisation_with_the_log_in_name_on_hover(app, session, login_as):
    from datetime import timedelta

    from tests.conftest import START, operating_zone, pass_at, report
    from workflow.timeparse import add_duration

    zone = operating_zone(session)
    quarter_end = add_duration(START, "P3M") + timedelta(hours=1)
    pass_at(app, quarter_end)
    session.expire_all()
    report(session, "q1", quarter_end)
    pass_at(app, add_duration(START, "P6M") + timedelta(hours=1))
    bureau, colleague = login_as("henan.bureau"), login_as("henan.bureau2")
    task_id = first_task_id(bureau)
    bureau.post(f"/tasks/{task_id}/claim", data={"csrf_token": bureau.csrf})
    shown = '<span class="person" title="henan.bureau">河南局经办人 · 河南检验检疫局</span>'
    pages = {"zone (history, records, open task)": colleague.get(f"/zones/{zone.id}"),
             "inbox (claim)": colleague.get("/inbox"), "task (claim, history)": bureau.get(f"/tasks/{task_id}")}
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert shown in html, name
        assert "henan.bureau" not in _visible_text(html), f"{name}: the log-in name only on hover"
    zone_page = pages["zone (history, records, open task)"].get_data(as_text=True)
    assert zone_page.count(shown) >= 3, "the history, the report's row and the claimed open task"
    assert 'title="hq.leader">总局领导 · 质检总局领导</span>' in zone_page


def test_switching_language_stays_on_the_same_page(login_as):
    client = login_as("henan.gov")
    page = client.get("/zones?instance=3&x=a%26b").get_data(as_text=True)
    assert 'href="/zones?instance=3&amp;x=a%26b&amp;lang=en" lang="en">English</a>' in page

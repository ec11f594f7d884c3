"""Response headers: nothing private is cached, the page policy, HSTS behind TLS, model XML never rendered."""

import pytest

from tests.conftest import PASSWORD, application
from tests.test_views import post_application


def test_private_pages_api_answers_and_exports_are_not_stored(client, login_as):
    browser = login_as("henan.gov")
    post_application(browser)
    for path in ["/inbox", "/zones", "/zones/1", "/zones.csv", "/overview", "/zones/1/diagram.bpmn", "/login"]:
        assert browser.get(path).headers["Cache-Control"] == "no-store", path
    token = client.post("/api/v1/token", json={"username": "henan.gov", "password": PASSWORD})
    assert token.headers["Cache-Control"] == "no-store"
    auth = {"Authorization": f"Bearer {token.json['token']}"}
    for path in ["/api/v1/zones", "/api/v1/zones/1", "/api/v1/tasks", "/api/v1/nowhere"]:
        assert client.get(path, headers=auth).headers["Cache-Control"] == "no-store", path
    assert client.get("/api/v1/tasks").headers["Cache-Control"] == "no-store", "refusals too"


def test_static_files_may_be_cached(client):
    with client.get("/static/app.css") as response:
        assert response.status_code == 200 and response.headers.get("Cache-Control") != "no-store"


def test_pages_carry_a_policy_against_framing_foreign_forms_and_base_tags(client):
    policy = client.get("/login").headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["form-action"] == ["'self'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["default-src"] == ["'self'"] and "'unsafe-inline'" not in policy


def test_hsts_only_when_cookies_are_secure(tmp_path, client):
    from workflow import create_app

    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'h.sqlite3'}", "SECRET_KEY": "h",
                         "SESSION_COOKIE_SECURE": True})
    hsts = secure.test_client().get("/login", base_url="https://localhost").headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    secure.extensions["workflow.db"].dispose()


@pytest.mark.parametrize("path", ["/zones/1/diagram.bpmn", "/processes/1/diagram.bpmn"])
def test_model_xml_is_a_sandboxed_attachment(login_as, path):
    post_application(login_as("henan.gov"), **application())
    response = login_as("owner").get(path)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Content-Disposition"].endswith('.bpmn"')
    policy = response.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_hostile_model_name_cannot_break_the_download_header(app, login_as):
    from workflow.web import model_xml

    with app.test_request_context():
        response = model_xml("<x/>", 'a"; filename=evil.html\r\nX: y')
    disposition = response.headers["Content-Disposition"]
    assert disposition.count('"') == 2 and "\r" not in disposition and ".html" not in disposition.split('"')[1][-5:]

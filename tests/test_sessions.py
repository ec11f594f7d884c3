"""Browser sessions and API tokens end when they should: logout, password, role and state changes, idle time,
absolute lifetime; tokens are revoked, purged and capped."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, csrf_of
from workflow import web
from workflow.models import ApiToken, User, utcnow
from workflow.services import logins


def user_id(app, username):
    with app.extensions["workflow.db"].session() as session:
        return session.scalar(select(User.id).where(User.username == username))


def copy_of(app, browser):
    """A second client holding the same session cookie (as a thief or a second tab would)."""
    thief = app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)
    return thief


def logged_in(client) -> bool:
    return client.get("/inbox").status_code == 200


def token(client, username="henan.gov", password=PASSWORD):
    response = client.post("/api/v1/token", json={"username": username, "password": password})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def edit(admin, app, username, **form):
    data = {"organisation": "henan-gov", "roles": ["local_gov"], "display_name": "x", "active": "on",
            "csrf_token": admin.csrf, **form}
    response = admin.post(f"/admin/users/{user_id(app, username)}", data={k: v for k, v in data.items() if v})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_a_copied_session_cookie_stops_working_at_logout(app, login_as):
    browser = login_as("henan.gov")
    thief = copy_of(app, browser)
    assert logged_in(thief)
    browser.post("/logout", data={"csrf_token": browser.csrf})
    assert not logged_in(browser) and not logged_in(thief)
    again = login_as("henan.gov")
    assert logged_in(again), "a new login works"


@pytest.mark.parametrize("change", [{"password": "Xinyang-maojian-tea-5"}, {"active": ""},
                                    {"roles": ["local_gov"], "organisation": "jiangxi-gov"}])
def test_an_administrators_change_ends_the_users_sessions_and_tokens(app, client, login_as, change):
    browser, bearer = login_as("henan.gov"), token(client)
    edit(login_as("admin"), app, "henan.gov", **change)
    assert not logged_in(browser)
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 401


def test_a_display_name_change_ends_nothing(app, client, login_as):
    browser, bearer = login_as("henan.gov"), token(client)
    edit(login_as("admin"), app, "henan.gov", display_name="河南省政府经办人甲")
    assert logged_in(browser) and client.get("/api/v1/tasks", headers=bearer).status_code == 200


def test_reactivating_a_user_does_not_bring_old_tokens_back(app, client, login_as):
    bearer = token(client)
    admin = login_as("admin")
    edit(admin, app, "henan.gov", active="")
    edit(admin, app, "henan.gov", active="on")
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 401
    assert client.get("/api/v1/tasks", headers=token(client)).status_code == 200


@pytest.fixture
def clock(monkeypatch):
    """Moves the clock the session checks use."""
    import time

    offset = [0.0]
    real = time.time
    monkeypatch.setattr(web.time, "time", lambda: real() + offset[0])
    return offset


def test_a_session_ends_after_30_idle_minutes(login_as, clock):
    browser = login_as("henan.gov")
    clock[0] = 29 * 60
    assert logged_in(browser)
    clock[0] += 29 * 60
    assert logged_in(browser), "activity keeps it going"
    clock[0] += 31 * 60
    assert not logged_in(browser)
    assert "/login" in browser.get("/inbox").location


def test_a_session_ends_after_12_hours_however_active(login_as, clock):
    browser = login_as("henan.gov")
    for _ in range(12 * 3):
        assert logged_in(browser)
        clock[0] += 20 * 60
    assert not logged_in(browser)


def test_the_limits_come_from_the_configuration(tmp_path, clock):
    from tests.conftest import BPMN_DIR
    from workflow import create_app
    from workflow.services import setup

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite3'}", "SECRET_KEY": "s",
                      "SESSION_IDLE_MINUTES": 5, "SESSION_MAX_HOURS": 1})
    db = app.extensions["workflow.db"]
    db.upgrade()
    with db.session() as session:
        setup.init(session, BPMN_DIR, demo=True, demo_password=PASSWORD)
    browser = app.test_client()
    browser.post("/login", data={"username": "henan.gov", "password": PASSWORD, "csrf_token": csrf_of(browser)})
    assert logged_in(browser)
    clock[0] = 6 * 60
    assert not logged_in(browser)
    db.dispose()


def test_the_environment_sets_the_limits(monkeypatch):
    from workflow import config

    monkeypatch.setenv("WORKFLOW_SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("WORKFLOW_SESSION_MAX_HOURS", "8")
    settings = config.load({"SECRET_KEY": "x"})
    assert (settings["SESSION_IDLE_MINUTES"], settings["SESSION_MAX_HOURS"]) == (15, 8)


def test_delete_token_revokes_only_the_callers_token(client):
    first, second = token(client), token(client)
    response = client.delete("/api/v1/token", headers=first)
    assert response.status_code == 204 and response.data == b""
    assert client.get("/api/v1/tasks", headers=first).status_code == 401
    assert client.get("/api/v1/tasks", headers=second).status_code == 200
    assert client.delete("/api/v1/token").status_code == 401


def test_expired_tokens_are_purged(app, session):
    long_ago = utcnow() - timedelta(days=2)
    logins.issue_token(session, "henan.bureau", PASSWORD, now=long_ago)
    logins.issue_token(session, "henan.gov", PASSWORD, now=long_ago)
    logins.issue_token(session, "henan.gov", PASSWORD)
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_tokens_per_user_are_capped_and_the_oldest_go(app, session):
    now = utcnow()
    issued = [logins.issue_token(session, "henan.gov", PASSWORD, ip=f"10.0.0.{i}", now=now + timedelta(seconds=i))[0]
              for i in range(logins.MAX_TOKENS + 2)]
    assert session.scalar(select(func.count()).select_from(ApiToken)) == logins.MAX_TOKENS
    later = now + timedelta(minutes=1)
    for gone in issued[:2]:
        with pytest.raises(Exception, match="令牌无效"):
            logins.user_for_token(session, gone, later)
    assert logins.user_for_token(session, issued[2], later).username == "henan.gov"

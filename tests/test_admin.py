"""Administration pages: only administrators; accounts with several roles; the audit log."""

import lxml.html
from sqlalchemy import select

from tests.conftest import PASSWORD
from workflow.models import Event, User


def test_only_administrators_reach_the_admin_pages(login_as):
    for path in ["/admin/users", "/admin/users/new", "/admin/organisations", "/admin/audit", "/admin/users/1"]:
        assert login_as("hq.leader").get(path).status_code == 403, path
        assert login_as("admin").get(path).status_code == 200, path
    owner = login_as("owner")
    refused = owner.post("/admin/organisations", data={"code": "x-y", "name": "X", "kind": "system",
                                                       "csrf_token": owner.csrf})
    assert refused.status_code == 403


def test_admin_creates_an_organisation_and_a_user_with_two_roles(app, login_as):
    admin = login_as("admin")
    created = admin.post("/admin/organisations", data={"code": "hq-unit-x", "name": "综合司", "kind": "hq_unit",
                                                       "csrf_token": admin.csrf})
    assert created.status_code == 302
    response = admin.post("/admin/users/new", data={
        "username": "wang.wu", "display_name": "王五", "organisation": "hq-unit-x",
        "roles": ["hq_clearance", "process_owner"], "active": "on", "password": "long-enough-1",
        "csrf_token": admin.csrf})
    assert response.status_code == 302
    with app.extensions["workflow.db"].session() as session:
        user = session.scalar(select(User).where(User.username == "wang.wu"))
        assert {r.value for r in user.roles} == {"hq_clearance", "process_owner"}
        assert session.scalar(select(Event).where(Event.kind == "user_created", Event.comment == "wang.wu"))
    client = app.test_client()
    token = client.post("/api/v1/token", json={"username": "wang.wu", "password": "long-enough-1"})
    assert token.status_code == 201


def test_roles_must_fit_the_organisation_and_errors_show_in_place(app, login_as):
    admin = login_as("admin")
    response = admin.post("/admin/users/new", data={
        "username": "li.si", "organisation": "henan-gov", "roles": ["bureau"], "password": "long-enough-1",
        "csrf_token": admin.csrf})
    assert response.status_code == 400
    assert "这些角色与单位类型不符" in response.get_data(as_text=True)
    with app.extensions["workflow.db"].session() as session:
        assert session.scalar(select(User).where(User.username == "li.si")) is None


def test_a_deactivated_user_can_no_longer_log_in(app, login_as, client):
    admin = login_as("admin")
    with app.extensions["workflow.db"].session() as session:
        target = session.scalar(select(User).where(User.username == "jiangxi.gov"))
    response = admin.post(f"/admin/users/{target.id}", data={
        "organisation": "jiangxi-gov", "roles": ["local_gov"], "display_name": "x", "csrf_token": admin.csrf})
    assert response.status_code == 302
    assert client.post("/api/v1/token", json={"username": "jiangxi.gov", "password": PASSWORD}).status_code == 401


def test_an_admin_cannot_lock_themselves_out(app, login_as):
    admin = login_as("admin")
    with app.extensions["workflow.db"].session() as session:
        me = session.scalar(select(User).where(User.username == "admin"))
    response = admin.post(f"/admin/users/{me.id}", data={"organisation": "system", "roles": ["process_owner"],
                                                         "active": "on", "csrf_token": admin.csrf})
    assert response.status_code == 400


def test_audit_page_lists_logins_and_refusals(login_as):
    login_as("hq.food").get("/admin/users")
    page = login_as("admin").get("/admin/audit").get_data(as_text=True)
    assert "拒绝访问" in page and "GET /admin/users → 403" in page and "hq.food" in page
    assert "登录成功" in page and ">access_denied<" not in page, "categories are named, not coded"


def browser_submission(page: str) -> dict:
    """The fields a browser submits for the page's account form, as they stand (lxml's form_values)."""
    form = next(f for f in lxml.html.fromstring(page).forms if f.xpath(".//input[@name='roles']"))
    values: dict[str, list[str]] = {}
    for name, value in form.form_values():
        values.setdefault(name, []).append(value)
    return values


def account_row(app, username):
    with app.extensions["workflow.db"].session() as session:
        user = session.scalar(select(User).where(User.username == username))
        return (user.username, user.display_name, user.organisation.code, sorted(r.value for r in user.roles),
                user.active, user.password_hash)


def test_the_edit_page_shows_the_chosen_user_and_saving_it_unchanged_changes_nothing(app, login_as):
    admin = login_as("admin")
    before = account_row(app, "henan.bureau")
    with app.extensions["workflow.db"].session() as session:
        target = session.scalar(select(User).where(User.username == "henan.bureau"))
    page = admin.get(f"/admin/users/{target.id}").get_data(as_text=True)
    form = browser_submission(page)
    assert form["display_name"] == ["河南局经办人"] and form["organisation"] == ["henan-bureau"]
    assert form["roles"] == ["bureau"] and form["active"] == ["on"]
    response = admin.post(f"/admin/users/{target.id}", data=form)
    assert response.status_code == 302
    assert account_row(app, "henan.bureau") == before, "an unchanged form changes nothing (no admin role gained)"
    with app.extensions["workflow.db"].session() as session:
        assert session.scalar(select(Event).where(Event.kind == "user_changed")) is None


def test_an_account_change_is_audited_with_before_and_after(app, login_as):
    admin = login_as("admin")
    with app.extensions["workflow.db"].session() as session:
        target = session.scalar(select(User).where(User.username == "henan.bureau"))
    form = browser_submission(admin.get(f"/admin/users/{target.id}").get_data(as_text=True))
    form["roles"] = ["bureau", "bureau_head"]
    form["display_name"] = ["张三"]
    assert admin.post(f"/admin/users/{target.id}", data=form).status_code == 302
    with app.extensions["workflow.db"].session() as session:
        event = session.scalar(select(Event).where(Event.kind == "user_changed"))
        assert event.comment == "henan.bureau" and event.actor == "admin"
        assert event.data["changes"] == {"roles": [["bureau"], ["bureau", "bureau_head"]],
                                         "display_name": ["河南局经办人", "张三"]}
    page = admin.get("/admin/audit?kind=user_changed").get_data(as_text=True)
    assert "bureau → bureau, bureau_head" in page and "河南局经办人 → 张三" in page


def test_a_new_user_is_created_from_the_browser_form(app, login_as):
    admin = login_as("admin")
    page = admin.get("/admin/users/new").get_data(as_text=True)
    assert 'name="username"' in page, "the form asks for the user name"
    form = browser_submission(page)
    form.update(username=["zhao.liu"], display_name=["赵六"], organisation=["henan-gov"], roles=["local_gov"],
                password=["a-long-passphrase-1"])
    response = admin.post("/admin/users/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert account_row(app, "zhao.liu")[:5] == ("zhao.liu", "赵六", "henan-gov", ["local_gov"], True)


def test_a_refused_new_user_says_why_and_keeps_what_was_typed(app, login_as):
    admin = login_as("admin")
    form = browser_submission(admin.get("/admin/users/new").get_data(as_text=True))
    form.update(username=["Bad Name!"], display_name=["赵六"], organisation=["henan-gov"], roles=["local_gov"],
                password=["a-long-passphrase-1"])
    response = admin.post("/admin/users/new", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "表单有误" in page and "用户名须为" in page and 'value="赵六"' in page

"""The password policy: length, the shipped list of common passwords, not the user name."""

import tomllib
from fnmatch import fnmatch

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from workflow import passwords
from workflow.config import ROOT
from workflow.models import User


@pytest.mark.parametrize("password", [
    "short-1", "Password2024!", "p@ssw0rd-2024", "iloveyou1234", "qwertyuiop12", "1234567890123",
    "abcabcabcabc", "aaaaaaaaaaaaaaaa", "woaini131452", "Guojian2024!!", "Dragon.Dragon.", "zxcvbnm,./12",
])
def test_common_and_short_passwords_are_refused(password):
    assert passwords.problem(password, "li.si") is not None


@pytest.mark.parametrize("password", ["Zhang.San", "ZHANG.SAN2024", "zhang.san!!!!", "zh@ng.s@n2024"])
def test_the_user_name_is_refused_in_any_case(password):
    assert str(passwords.problem(password.ljust(12, "1"), "zhang.san")) == "密码不能与用户名相同"


@pytest.mark.parametrize("password", ["Luoyang-peony-garden-7", "correct horse battery staple",
                                      "洛阳牡丹甲天下二零二六年"])
def test_long_uncommon_passwords_pass(password):
    assert passwords.problem(password, "zhang.san") is None


def test_the_list_is_shipped_as_package_data():
    assert len(passwords.common()) > 10_000 and "password" in passwords.common()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["workflow"]
    assert any(fnmatch("data/common_passwords.txt", pattern) for pattern in data)


def admin_form(admin, **overrides):
    data = {"username": "wang.wu", "display_name": "王五", "organisation": "hq-food", "roles": ["hq_food"],
            "active": "on", "password": "Zhengzhou-airport-2031", "csrf_token": admin.csrf}
    return {**data, **overrides}


@pytest.mark.parametrize(("password", "message"), [
    ("elevenchars", "密码至少 12 位"), ("Password2024!", "这个密码太常见"), ("Wang.Wu.2024", "密码不能与用户名相同")])
def test_administrators_get_the_policy_in_place(app, login_as, password, message):
    admin = login_as("admin")
    created = admin.post("/admin/users/new", data=admin_form(admin, password=password))
    assert created.status_code == 400 and message in created.get_data(as_text=True)
    with app.extensions["workflow.db"].session() as session:
        henan = session.scalar(select(User).where(User.username == "henan.gov"))
        assert session.scalar(select(User).where(User.username == "wang.wu")) is None
    changed = admin.post(f"/admin/users/{henan.id}", data={
        "organisation": "henan-gov", "roles": ["local_gov"], "active": "on", "password": "henan.gov2024",
        "csrf_token": admin.csrf})
    assert changed.status_code == 400 and "密码不能与用户名相同" in changed.get_data(as_text=True)


def test_demo_users_keep_their_demo_password(client):
    """`workflow init --demo` is for trying the product out; the policy is for accounts people create."""
    assert len(PASSWORD) < passwords.MIN_LENGTH
    assert client.post("/api/v1/token", json={"username": "henan.gov", "password": PASSWORD}).status_code == 201

"""Organisations and user accounts: password hashing and login."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import store
from workflow.errors import InvalidForm, Msg, NotAuthenticated
from workflow.models import Organisation, OrgKind, Role, User
from workflow.services import commit

_HASHER = PasswordHasher()
# Verifying against this keeps a login for an unknown name as slow as one for a known name.
_DUMMY_HASH = _HASHER.hash("not a password")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with this name and password, or :class:`NotAuthenticated`."""
    user = store.user_by_name(session, username.strip().lower()) if username else None
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.active:
        raise NotAuthenticated(Msg("用户名或密码错误"))
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        commit(session)
    return user


def ensure_organisation(session: Session, code: str, name: str, kind: OrgKind, province: str | None = None,
                        name_en: str = "") -> Organisation:
    """The organisation with this code, created if missing (no commit)."""
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        org = Organisation(code=code, name=name, name_en=name_en or name, kind=kind, province=province)
        session.add(org)
        session.flush()
    return org


def add_organisation(session: Session, code: str, name: str, kind: str, province: str | None,
                     name_en: str = "") -> Organisation:
    errors: dict[str, Msg] = {}
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,63}", code or ""):
        errors["code"] = Msg("代码须为 2-64 位，以小写字母或数字开头，可含小写字母、数字或连字符")
    if kind not in {k.value for k in OrgKind}:
        errors["kind"] = Msg("不是可选的值")
    elif kind in {OrgKind.BUREAU, OrgKind.LOCAL_GOV} and not province:
        errors["province"] = Msg("直属局和地方政府必须有所属省份")
    if not (name or "").strip():
        errors["name"] = Msg("必填项")
    if session.scalar(select(Organisation).where(Organisation.code == code)) is not None:
        errors["code"] = Msg("已存在")
    if errors:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)
    org = ensure_organisation(session, code, name.strip(), OrgKind(kind), province or None, name_en)
    commit(session)
    return org


def add_user(session: Session, username: str, password: str, role: str, organisation_code: str,
             display_name: str = "") -> User:
    """Create an account; every problem is reported per field and nothing is saved."""
    errors: dict[str, Msg] = {}
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        errors["username"] = Msg("用户名须为 2-64 位，以小写字母或数字开头，可含小写字母、数字、点、下划线或连字符")
    elif store.user_by_name(session, username) is not None:
        errors["username"] = Msg("已存在")
    if len(password or "") < MIN_PASSWORD:
        errors["password"] = Msg("密码至少 %(n)s 位", n=MIN_PASSWORD)
    if role not in {r.value for r in Role}:
        errors["role"] = Msg("不是可选的值")
    org = session.scalar(select(Organisation).where(Organisation.code == organisation_code))
    if org is None:
        errors["organisation"] = Msg("没有这个单位")
    if errors:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)
    user = User(username=username, password_hash=hash_password(password), role=Role(role),
                organisation_id=org.id, display_name=display_name or username)
    session.add(user)
    commit(session)
    return user

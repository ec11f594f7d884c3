"""Organisations and user accounts (logins and tokens are in ``logins``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import characters, passwords, store
from workflow.errors import InvalidForm, Msg, NotFound, PermissionDenied
from workflow.models import Event, Organisation, RefusalTally, User, UserRole
from workflow.roles import ROLES_OF_KIND, OrgKind, Role
from workflow.services import commit
from workflow.services.logins import end_sessions, hash_password

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,63}")


def ensure_organisation(session: Session, code: str, name: str, kind: OrgKind, province: str | None = None,
                        name_en: str = "") -> Organisation:
    """The organisation with this code, created if missing (no commit)."""
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        org = Organisation(code=code, name=name, name_en=name_en or name, kind=kind, province=province)
        session.add(org)
        session.flush()
    return org


def ensure_admin(user: User | None) -> None:
    """Account management is for administrators; ``None`` is the operator at the command line."""
    if user is not None and not user.has(Role.ADMIN):
        raise PermissionDenied(Msg("只有系统管理员可以管理单位和用户"))


def organisations(session: Session, admin: User | None) -> list[Organisation]:
    ensure_admin(admin)
    return list(session.scalars(select(Organisation).order_by(Organisation.kind, Organisation.code)))


def users(session: Session, admin: User | None) -> list[User]:
    ensure_admin(admin)
    return list(session.scalars(select(User).order_by(User.username)))


def get_user(session: Session, admin: User | None, user_id: int) -> User:
    ensure_admin(admin)
    found = session.get(User, user_id) if 0 < user_id <= store.MAX_ID else None
    if found is None:
        raise NotFound(Msg("没有这个用户"))
    return found


def refusal_tallies(session: Session, admin: User | None, limit: int = 100) -> list[RefusalTally]:
    """Refusals of requests without a login, counted per address and minute, newest first."""
    ensure_admin(admin)
    return list(store.refusal_tallies(session, limit))


def add_organisation(session: Session, code: str, name: str, kind: str, province: str | None,
                     name_en: str = "", admin: User | None = None) -> Organisation:
    ensure_admin(admin)
    errors: dict[str, Msg] = {}
    code = (code or "").strip()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,63}", code):
        errors["code"] = Msg("代码须为 2-64 位，以小写字母或数字开头，可含小写字母、数字或连字符")
    elif session.scalar(select(Organisation).where(Organisation.code == code)) is not None:
        errors["code"] = Msg("已存在")
    if kind not in OrgKind._value2member_map_:
        errors["kind"] = Msg("不是可选的值")
    elif kind in {OrgKind.BUREAU, OrgKind.LOCAL_GOV} and not province:
        errors["province"] = Msg("直属局和地方政府必须有所属省份")
    if province and not re.fullmatch(r"[a-z]{2,32}", province):
        errors["province"] = Msg("省份代码须为拼音小写字母，如 henan")
    name = _name(name, "name", errors, required=True)
    name_en = _name(name_en, "name_en", errors)
    if errors:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)
    org = ensure_organisation(session, code, name, OrgKind(kind), province or None, name_en)
    commit(session)
    return org


def _name(value: str | None, field: str, errors: dict[str, Msg], required: bool = False) -> str:
    """A name as stored (NFKC, trimmed); a field message when it holds invisible characters or is too long."""
    name = characters.normalise_name(value or "")
    problem = characters.name_problem(name)
    if problem:
        errors[field] = problem
    elif (required and not name) or len(name) > 200:
        errors[field] = Msg("必填项，最多 200 个字符") if required else Msg("最多 %(n)s 个字符", n=200)
    return name


@dataclass
class Account:
    """What an administrator may set on an account."""

    roles: Iterable[str]
    organisation: str
    display_name: str = ""
    active: bool = True
    password: str | None = None
    email: str = ""  # notifications are also mailed here when SMTP is set up; empty: in the app only


def _check(session: Session, username: str, account: Account,
           errors: dict[str, Msg]) -> tuple[Organisation | None, set[Role]]:
    org = session.scalar(select(Organisation).where(Organisation.code == account.organisation))
    if org is None:
        errors["organisation"] = Msg("没有这个单位")
    roles = set(account.roles)
    if not roles:
        errors["roles"] = Msg("至少选择一个角色")
    elif not roles <= set(Role._value2member_map_):
        errors["roles"] = Msg("不是可选的值")
    elif org is not None and not {Role(r) for r in roles} <= ROLES_OF_KIND[org.kind]:
        errors["roles"] = Msg("这些角色与单位类型不符")
    problem = passwords.problem(account.password, username) if account.password is not None else None
    if problem:
        errors["password"] = problem
    account.display_name = _name(account.display_name, "display_name", errors)
    account.email = account.email.strip()
    if account.email and not EMAIL.fullmatch(account.email):
        errors["email"] = Msg("电子邮箱格式有误")
    return org, {Role(r) for r in roles if r in Role._value2member_map_}


def add_user(session: Session, username: str, account: Account, admin: User | None = None) -> User:
    """Create an account; every problem is reported per field and nothing is saved."""
    ensure_admin(admin)
    errors: dict[str, Msg] = {}
    username = (username or "").strip().lower()
    if not USERNAME.fullmatch(username):
        errors["username"] = Msg("用户名须为 2-64 位，以小写字母或数字开头，可含小写字母、数字、点、下划线或连字符")
    elif store.user_by_name(session, username) is not None:
        errors["username"] = Msg("已存在")
    if account.password is None:
        errors["password"] = Msg("必填项")
    org, roles = _check(session, username, account, errors)
    if errors:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)
    created = User(username=username, password_hash=hash_password(account.password), organisation_id=org.id,
                   email=account.email or None,
                   display_name=account.display_name or username, active=account.active,
                   role_rows=[UserRole(role=r) for r in sorted(roles)])
    session.add(created)
    store.add_event(session, _account_event("user_created", admin, username, roles, org.code, account.active))
    commit(session)
    return created


def _account_event(kind: str, admin: User | None, username: str, roles: set[Role], org: str, active: bool) -> Event:
    return Event(kind=kind, actor=admin.username if admin else "cli", actor_id=admin.id if admin else None,
                 role=admin.role_label if admin else "", organisation=admin.organisation.name if admin else "",
                 comment=username, data={"roles": sorted(r.value for r in roles), "organisation": org,
                                         "active": active})


def _settings(user: User) -> dict[str, object]:
    """What an administrator may change on an account, as the audit log records it."""
    return {"organisation": user.organisation.code, "roles": sorted(r.value for r in user.roles),
            "display_name": user.display_name, "active": user.active, "email": user.email or ""}


def update_user(session: Session, admin: User, user_id: int, account: Account) -> User:
    """Change an account's roles, organisation, name, state or password; the audit entry records before → after."""
    user = get_user(session, admin, user_id)
    errors: dict[str, Msg] = {}
    org, roles = _check(session, user.username, account, errors)
    if user.id == admin.id and (Role.ADMIN not in roles or not account.active):
        errors["roles"] = Msg("不能取消自己的管理员角色或停用自己")
    if errors:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)
    before = _settings(user)
    after = {"organisation": org.code, "roles": sorted(r.value for r in roles),
             "display_name": account.display_name or user.username, "active": account.active,
             "email": account.email}
    changes: dict[str, object] = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if account.password:
        changes["password"] = "changed"  # noqa: S105 - a marker, never the password
    if not changes:
        return user
    if changes.keys() & {"password", "roles", "organisation", "active"}:
        end_sessions(session, user)
    user.organisation_id = org.id
    user.display_name = str(after["display_name"])
    user.active = account.active
    user.email = account.email or None
    if before["roles"] != after["roles"]:
        user.role_rows = [UserRole(role=r) for r in sorted(roles)]
    if account.password:
        user.password_hash = hash_password(account.password)
    event = _account_event("user_changed", admin, user.username, roles, org.code, user.active)
    event.data = {**event.data, "changes": changes}
    store.add_event(session, event)
    commit(session)
    return user

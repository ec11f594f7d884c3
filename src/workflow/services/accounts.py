"""Organisations, user accounts, logins (with lock-out), API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow import store
from workflow.errors import InvalidForm, Msg, NotAuthenticated, NotFound, PermissionDenied, TooManyAttempts
from workflow.models import ApiToken, Event, Organisation, User, UserRole, utcnow
from workflow.roles import ROLES_OF_KIND, OrgKind, Role
from workflow.services import commit

_HASHER = PasswordHasher()
# Verifying against this keeps a login for an unknown name as slow as one for a known name.
_DUMMY_HASH = _HASHER.hash("not a password")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 8
LOCK_AFTER = 5            # failed logins of one account within the window lock it ...
LOCK_WINDOW = timedelta(minutes=15)   # ... for this long after the last failure
IP_LIMIT = 20             # failed logins from one address within the window pause that address
TOKEN_LIFETIME = timedelta(hours=8)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def _failures(session: Session, column, value: str, now: datetime, since: datetime | None) -> list[datetime]:
    start = max(now - LOCK_WINDOW, since) if since else now - LOCK_WINDOW
    return list(session.scalars(select(Event.at).where(Event.kind == "login_failed", column == value,
                                                       Event.at > start).order_by(Event.at)))


def _last_success(session: Session, username: str) -> datetime | None:
    return session.scalar(select(func.max(Event.at)).where(Event.kind == "login", Event.actor == username))


def _throttle(session: Session, username: str, ip: str, now: datetime) -> None:
    by_ip = _failures(session, Event.ip, ip, now, None) if ip else []
    if len(by_ip) >= IP_LIMIT:
        wait = by_ip[-IP_LIMIT] + LOCK_WINDOW - now
        raise TooManyAttempts(Msg("登录失败次数过多，请 %(m)s 分钟后再试", m=_minutes(wait)),
                              int(wait.total_seconds()) + 1)
    by_user = _failures(session, Event.actor, username, now, _last_success(session, username))
    if len(by_user) >= LOCK_AFTER:
        wait = by_user[-1] + LOCK_WINDOW - now
        raise TooManyAttempts(Msg("该账户因多次登录失败已临时锁定，请 %(m)s 分钟后再试", m=_minutes(wait)),
                              int(wait.total_seconds()) + 1)


def _minutes(wait: timedelta) -> int:
    return max(1, -(-int(wait.total_seconds()) // 60))


def login(session: Session, username: str, password: str, ip: str = "", via: str = "web",
          now: datetime | None = None) -> User:
    """Check a password; every attempt is audited; repeated failures lock the account and the address."""
    now = now or utcnow()
    username = (username or "").strip().lower()[:64]
    try:
        _throttle(session, username, ip, now)
    except TooManyAttempts:
        store.add_event(session, Event(kind="login_locked", at=now, actor=username, ip=ip, data={"via": via}))
        commit(session)
        raise
    user = store.user_by_name(session, username) if username else None
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.active:
        store.add_event(session, Event(kind="login_failed", at=now, actor=username, ip=ip, data={"via": via}))
        commit(session)
        raise NotAuthenticated(Msg("用户名或密码错误"))
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    store.add_event(session, Event(kind="login", at=now, actor=user.username, actor_id=user.id, ip=ip,
                                   role=user.role_label, organisation=user.organisation.name,
                                   organisation_en=user.organisation.name_en, data={"via": via}))
    commit(session)
    return user


def issue_token(session: Session, username: str, password: str, ip: str = "",
                now: datetime | None = None) -> tuple[str, datetime]:
    """Log in for the API: a new bearer token and when it expires (only its hash is kept)."""
    now = now or utcnow()
    user = login(session, username, password, ip, via="api", now=now)
    token = secrets.token_urlsafe(32)
    expires = now + TOKEN_LIFETIME
    session.add(ApiToken(token_hash=_digest(token), user_id=user.id, created_at=now, expires_at=expires))
    commit(session)
    return token, expires


def user_for_token(session: Session, token: str, now: datetime | None = None) -> User:
    now = now or utcnow()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token))) if token else None
    if row is None or row.expires_at <= now or not row.user.active:
        raise NotAuthenticated(Msg("令牌无效或已过期，请重新获取"))
    return row.user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
    if not (name or "").strip() or len(name) > 200:
        errors["name"] = Msg("必填项，最多 200 个字符")
    if errors:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)
    org = ensure_organisation(session, code, name.strip(), OrgKind(kind), province or None, (name_en or "").strip())
    commit(session)
    return org


@dataclass
class Account:
    """What an administrator may set on an account."""

    roles: Iterable[str]
    organisation: str
    display_name: str = ""
    active: bool = True
    password: str | None = None


def _check(session: Session, account: Account, errors: dict[str, Msg]) -> tuple[Organisation | None, set[Role]]:
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
    if account.password is not None and len(account.password) < MIN_PASSWORD:
        errors["password"] = Msg("密码至少 %(n)s 位", n=MIN_PASSWORD)
    if len(account.display_name or "") > 200:
        errors["display_name"] = Msg("最多 %(n)s 个字符", n=200)
    return org, {Role(r) for r in roles if r in Role._value2member_map_}


def add_user(session: Session, username: str, account: Account, admin: User | None = None) -> User:
    """Create an account; every problem is reported per field and nothing is saved."""
    ensure_admin(admin)
    errors: dict[str, Msg] = {}
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        errors["username"] = Msg("用户名须为 2-64 位，以小写字母或数字开头，可含小写字母、数字、点、下划线或连字符")
    elif store.user_by_name(session, username) is not None:
        errors["username"] = Msg("已存在")
    if account.password is None:
        errors["password"] = Msg("必填项")
    org, roles = _check(session, account, errors)
    if errors:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)
    created = User(username=username, password_hash=hash_password(account.password), organisation_id=org.id,
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
            "display_name": user.display_name, "active": user.active}


def update_user(session: Session, admin: User, user_id: int, account: Account) -> User:
    """Change an account's roles, organisation, name, state or password; the audit entry records before → after."""
    user = get_user(session, admin, user_id)
    errors: dict[str, Msg] = {}
    org, roles = _check(session, account, errors)
    if user.id == admin.id and (Role.ADMIN not in roles or not account.active):
        errors["roles"] = Msg("不能取消自己的管理员角色或停用自己")
    if errors:
        raise InvalidForm(Msg("表单有误，请按提示修改"), errors)
    before = _settings(user)
    after = {"organisation": org.code, "roles": sorted(r.value for r in roles),
             "display_name": account.display_name or user.username, "active": account.active}
    changes: dict[str, object] = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if account.password:
        changes["password"] = "changed"  # noqa: S105 - a marker, never the password
    if not changes:
        return user
    user.organisation_id = org.id
    user.display_name = str(after["display_name"])
    user.active = account.active
    if before["roles"] != after["roles"]:
        user.role_rows = [UserRole(role=r) for r in sorted(roles)]
    if account.password:
        user.password_hash = hash_password(account.password)
    event = _account_event("user_changed", admin, user.username, roles, org.code, user.active)
    event.data = {**event.data, "changes": changes}
    store.add_event(session, event)
    commit(session)
    return user

"""Logins and API tokens: slowed per account name and address, bounded hashing, sessions that end.

A login first counts itself, and commits, before any password is hashed: concurrent guesses are counted too.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from workflow import inputs, store
from workflow.errors import Msg, NotAuthenticated, TooManyAttempts
from workflow.models import ApiToken, Event, LoginAttempt, User, utcnow
from workflow.services import audit, commit

_HASHER = PasswordHasher()
# Verifying against this keeps a login for an unknown name as slow as one for a known name.
_DUMMY_HASH = _HASHER.hash("not a password")
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
FREE_FAILURES = 3                      # failures of one name from one address before logins slow down ...
MAX_DELAY = timedelta(minutes=15)      # ... by 1 s, 2 s, 4 s … at most this long
FORGET_FAILURES = timedelta(days=1)    # failures older than this no longer count
RATE_WINDOW = timedelta(minutes=1)
RATE_LIMIT = 10                        # logins (any outcome) of one name from one address per window
HASH_SLOTS = 1                         # password hashes running at once in one process ...
HASH_WAIT = 5.0                        # ... and how long a login waits for a slot (seconds)
TOKEN_LIFETIME = timedelta(hours=8)
MAX_TOKENS = 10                        # live tokens per user; a new one replaces the oldest
_SLOTS = threading.BoundedSemaphore(HASH_SLOTS)


def hash_password(password: str) -> str:
    with _slot():
        return _HASHER.hash(password)


class _slot:  # noqa: N801 - used as a context manager, like a lock
    """One of the process's hashing slots: Argon2 is slow on purpose, so logins must not take every core."""

    def __enter__(self) -> None:
        if not _SLOTS.acquire(timeout=HASH_WAIT):
            raise TooManyAttempts(Msg("登录的人太多，请稍后再试"), int(HASH_WAIT))

    def __exit__(self, *exc: object) -> None:
        _SLOTS.release()


def delay(failures: int) -> timedelta:
    """How long after its last failure a name may try again from the same address."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(MAX_DELAY, timedelta(seconds=2 ** min(failures - FREE_FAILURES, 20)))


def _wait(attempt: LoginAttempt, now: datetime) -> tuple[timedelta, Msg | None]:
    if attempt.window_count > RATE_LIMIT:
        return attempt.window_start + RATE_WINDOW - now, Msg("登录过于频繁，请 %(s)s 秒后再试")
    last = attempt.last_failure_at
    if last is not None and now - last < FORGET_FAILURES and last + delay(attempt.failures) > now:
        return last + delay(attempt.failures) - now, Msg("登录失败次数较多，请 %(s)s 秒后再试")
    return timedelta(0), None


def _admit(session: Session, username: str, ip: str, via: str, now: datetime) -> LoginAttempt:
    store.forget_login_attempts(session, now - FORGET_FAILURES)
    attempt = store.count_login_attempt(session, username, ip, now, RATE_WINDOW)
    wait, message = _wait(attempt, now)
    if message is not None:
        seconds = max(1, int(wait.total_seconds()) + 1)
        audit.refused(session, Event(kind="login_locked", at=now, actor=username, ip=ip, data={"via": via}), now)
        commit(session)
        raise TooManyAttempts(Msg(message.msgid, s=seconds), seconds)
    commit(session)
    return attempt


def _verify(user: User | None, password: str) -> bool:
    with _slot():
        try:
            return _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return False


def login(session: Session, username: str, password: str, ip: str = "", via: str = "web",
          now: datetime | None = None) -> User:
    """Check a password; every attempt is counted and audited, and repeated failures slow that name there down."""
    now = now or utcnow()
    username = inputs.storable((username or "").strip().lower()[:64])
    attempt = _admit(session, username, ip, via, now)
    user = store.user_by_name(session, username) if USERNAME.fullmatch(username) else None
    if not _verify(user, password or "") or user is None or not user.active:
        store.count_login_failure(session, attempt.id, now, FORGET_FAILURES)
        audit.refused(session, Event(kind="login_failed", at=now, actor=username, ip=ip, data={"via": via}), now)
        commit(session)
        raise NotAuthenticated(Msg("用户名或密码错误"))
    store.clear_login_failures(session, attempt.id)
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    store.add_event(session, Event(kind="login", at=now, actor=user.username, actor_id=user.id, ip=ip,
                                   role=user.role_label, organisation=user.organisation.name,
                                   organisation_en=user.organisation.name_en, data={"via": via}))
    commit(session)
    return user


def end_sessions(session: Session, user: User, tokens: bool = True) -> None:
    """End the user's browser sessions (and API tokens); no commit. Used on password, role and state changes."""
    user.session_version += 1
    if tokens:
        store.delete_tokens(session, user.id)


def logout(session: Session, user: User) -> None:
    """Log out: the session cookie, and any copy of it, stops working (the user's API tokens stay)."""
    end_sessions(session, user, tokens=False)
    commit(session)


def session_user(session: Session, user_id: object, version: object) -> User | None:
    """The user of a browser session, if the session has not been ended since it began."""
    user = session.get(User, user_id) if isinstance(user_id, int) and 0 < user_id <= store.MAX_ID else None
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def issue_token(session: Session, username: str, password: str, ip: str = "",
                now: datetime | None = None) -> tuple[str, datetime]:
    """Log in for the API: a new bearer token and when it expires (only its hash is kept)."""
    now = now or utcnow()
    user = login(session, username, password, ip, via="api", now=now)
    store.delete_tokens(session, expired_at=now)
    store.delete_tokens(session, user.id, keep_newest=MAX_TOKENS - 1)
    token = secrets.token_urlsafe(32)
    expires = now + TOKEN_LIFETIME
    session.add(ApiToken(token_hash=_digest(token), user_id=user.id, created_at=now, expires_at=expires))
    commit(session)
    return token, expires


def user_for_token(session: Session, token: str, now: datetime | None = None) -> User:
    now = now or utcnow()
    row = store.token_by_hash(session, _digest(token)) if token else None
    if row is None or row.expires_at <= now or not row.user.active:
        raise NotAuthenticated(Msg("令牌无效或已过期，请重新获取"))
    return row.user


def revoke_token(session: Session, token: str) -> None:
    """Revoke one bearer token (the caller's own: it authenticated this request)."""
    row = store.token_by_hash(session, _digest(token))
    if row is not None:
        session.delete(row)
    commit(session)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

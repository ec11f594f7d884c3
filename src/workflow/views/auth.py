"""Log in and out."""

from __future__ import annotations

import re
import time
from urllib.parse import unquote, urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for

from workflow.errors import InvalidForm, Msg, NotAuthenticated, TooManyAttempts
from workflow.services import logins
from workflow.web import current_user, db_session, forget_login, tr

bp = Blueprint("auth", __name__)
# Browsers drop tabs and line breaks inside a URL and C0 controls and spaces around it: "/\t/x" is "//x".
_CONTROLS = re.compile(r"[\x00-\x20\x7f-\x9f]")


def _next() -> str:
    """The page to return to after login, as sent: line breaks (header injection) are a 400."""
    target = request.values.get("next", "")
    if "\r" in target or "\n" in target:
        raise InvalidForm(Msg("参数有误"), {"next": Msg("含有不允许的字符")})
    return target


def _same_site(target: str) -> bool:
    """A path on this site: no scheme, no host, no backslash, and the same once percent-decoded."""
    for form in (target, unquote(target)):
        parts = urlsplit(form)
        if not form.startswith("/") or form[1:2] in {"/", "\\"} or "\\" in form or parts.scheme or parts.netloc:
            return False
    return True


def safe_next(target: str) -> str:
    cleaned = _CONTROLS.sub("", target)
    return cleaned if cleaned and _same_site(cleaned) else url_for("tasks.inbox")


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = _next()
    if request.method == "GET":
        return render_template("login.html", next=target)
    try:
        user = logins.login(db_session(), request.form.get("username", ""), request.form.get("password", ""),
                            ip=request.remote_addr or "")
    except (NotAuthenticated, TooManyAttempts) as exc:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else {}
        return render_template("login.html", error=tr(exc.message), username=request.form.get("username", ""),
                               next=target), exc.status, headers
    now = int(time.time())
    _renew(uid=user.id, sv=user.session_version, iat=now, seen=now)
    return redirect(safe_next(target))


@bp.post("/logout")
def logout():
    user = current_user()
    if user is not None:
        logins.logout(db_session(), user)
    forget_login()
    return redirect(url_for("auth.login"))


def _renew(**values: object) -> None:
    """A fresh session that keeps only the language the user chose (none chosen: the configured default)."""
    chosen = session.get("lang")
    session.clear()
    session.update(values)
    if chosen:
        session["lang"] = chosen

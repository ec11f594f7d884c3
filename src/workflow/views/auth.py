"""Log in and out."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for

from workflow.errors import NotAuthenticated, TooManyAttempts
from workflow.services import accounts
from workflow.web import db_session, tr

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("tasks.inbox")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    try:
        user = accounts.login(db_session(), request.form.get("username", ""), request.form.get("password", ""),
                              ip=request.remote_addr or "")
    except (NotAuthenticated, TooManyAttempts) as exc:
        return render_template("login.html", error=tr(exc.message), username=request.form.get("username", ""),
                               next=request.form.get("next", "")), exc.status
    _renew(uid=user.id)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    _renew()
    return redirect(url_for("auth.login"))


def _renew(**values: object) -> None:
    """A fresh session that keeps only the language the user chose (none chosen: the configured default)."""
    chosen = session.get("lang")
    session.clear()
    session.update(values)
    if chosen:
        session["lang"] = chosen

"""The list of one's notifications, and marking them read."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from workflow.errors import InvalidForm, Msg
from workflow.services import notifications
from workflow.views import MAX_ID, login_required
from workflow.web import current_user, db_session

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("")
@login_required
def index():
    shown = notifications.page(db_session(), current_user(), request.args.get("unread") == "1")
    return render_template("notifications.html", shown=shown, unread_only=request.args.get("unread") == "1")


@bp.post("/read")
@login_required
def read():
    raw = request.form.get("id", "")
    if raw and not (raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID):
        raise InvalidForm(Msg("表单有误，请按提示修改"), {"id": Msg("不是可选的值")})
    notifications.mark_read(db_session(), current_user(), int(raw) if raw else None)
    return redirect(url_for("notifications.index"))

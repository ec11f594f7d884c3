"""The working-day calendar under 系统管理: holidays and adjusted working days, one year per page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from workflow.errors import InvalidForm, Msg
from workflow.models import utcnow
from workflow.services import holidays
from workflow.views import login_required, query_id, refused
from workflow.web import current_user, db_session, tr

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")


def _page(year: int, errors=None, status=200):
    shown = holidays.year(db_session(), current_user(), year)
    return render_template("admin_calendar.html", shown=shown, errors=errors or {}, form=request.form), status


@bp.get("")
@login_required
def index():
    return _page(query_id("year") or utcnow().year)


@bp.post("")
@login_required
def save():
    form, year = request.form, query_id("year") or utcnow().year
    try:
        row = holidays.set_day(db_session(), current_user(), form.get("day", ""), form.get("working", ""),
                               form.get("name", ""), form.get("name_en", ""))
    except InvalidForm as exc:
        return _page(year, refused(exc), 400)
    flash(tr(Msg("已保存 %(day)s", day=row.day.isoformat())))
    return redirect(url_for("calendar.index", year=row.day.year))


@bp.post("/remove")
@login_required
def remove():
    day = request.form.get("day", "")
    holidays.remove_day(db_session(), current_user(), day)
    flash(tr(Msg("%(day)s 已恢复为普通日期", day=day)))
    return redirect(url_for("calendar.index", year=day[:4]))

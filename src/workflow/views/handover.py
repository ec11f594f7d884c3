"""Reassigning, delegating and resolving tasks; substitutes during leave."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from workflow.errors import InvalidForm, Msg
from workflow.inputs import date_param
from workflow.services import handover
from workflow.views import login_required, refused
from workflow.web import current_user, db_session, tr

bp = Blueprint("handover", __name__)


@bp.post("/tasks/<int:task_id>/delegate")
@login_required
def delegate(task_id: int):
    handover.delegate(db_session(), current_user(), task_id, request.form.get("to", ""))
    flash(tr(Msg("已委托")))
    return redirect(url_for("tasks.inbox"))


@bp.post("/tasks/<int:task_id>/resolve")
@login_required
def resolve(task_id: int):
    handover.resolve(db_session(), current_user(), task_id, request.form.get("comment", ""))
    flash(tr(Msg("已交回委托人")))
    return redirect(url_for("tasks.inbox"))


@bp.get("/tasks/<int:task_id>/reassign")
@login_required
def reassign_form(task_id: int):
    task, people = handover.reassign_page(db_session(), current_user(), task_id)
    return render_template("reassign.html", task=task, people=people, errors={})


@bp.post("/tasks/<int:task_id>/reassign")
@login_required
def reassign(task_id: int):
    try:
        task = handover.reassign(db_session(), current_user(), task_id, request.form.get("to", ""),
                                 request.form.get("reason", ""))
    except InvalidForm as exc:
        errors = refused(exc)
        task, people = handover.reassign_page(db_session(), current_user(), task_id)
        return render_template("reassign.html", task=task, people=people, errors=errors, error=tr(exc.message)), 400
    flash(tr(Msg("已改派")))
    return redirect(url_for("zones.show", zone_id=task.zone_id))


@bp.get("/substitutes")
@login_required
def substitutes():
    return render_template("substitutes.html", rows=handover.substitutes(db_session(), current_user()), errors={})


@bp.post("/substitutes")
@login_required
def add_substitute():
    form = request.form
    try:
        handover.add_substitute(db_session(), current_user(), form.get("substitute", ""),
                                date_param(form, "starts_on"), date_param(form, "ends_on"), form.get("absentee", ""))
    except InvalidForm as exc:
        errors = refused(exc)
        rows = handover.substitutes(db_session(), current_user())
        return render_template("substitutes.html", rows=rows, errors=errors, error=tr(exc.message)), 400
    return redirect(url_for("handover.substitutes"))

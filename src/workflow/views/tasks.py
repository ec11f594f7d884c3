"""The inbox and the task page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from workflow.errors import InvalidForm, Msg, Text
from workflow.services import inbox as inbox_service
from workflow.services import tasks
from workflow.views import form_values, login_required, refused
from workflow.web import current_user, db_session, tr

bp = Blueprint("tasks", __name__)


@bp.get("/inbox")
@login_required
def inbox():
    try:
        page = inbox_service.page(db_session(), current_user(), request.args.to_dict())
    except InvalidForm as exc:
        return render_template("inbox.html", page=None, error=tr(exc.message), errors=refused(exc)), 400
    return render_template("inbox.html", page=page, link=inbox_service.query_string)


@bp.post("/inbox/filters")
@login_required
def save_filter():
    saved = inbox_service.save_filter(db_session(), current_user(), request.form.get("name", ""),
                                      request.form.get("query", ""))
    return redirect(url_for("tasks.inbox") + ("?" + saved.query if saved.query else ""))


@bp.post("/inbox/filters/<int:filter_id>/delete")
@login_required
def delete_filter(filter_id: int):
    inbox_service.delete_filter(db_session(), current_user(), filter_id)
    return redirect(url_for("tasks.inbox"))


@bp.get("/tasks/<int:task_id>")
@login_required
def show(task_id: int):
    return render_template("task.html", page=tasks.page(db_session(), current_user(), task_id), values={}, errors={})


@bp.post("/tasks/<int:task_id>/claim")
@login_required
def claim(task_id: int):
    tasks.claim(db_session(), current_user(), task_id)
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/tasks/<int:task_id>/unclaim")
@login_required
def unclaim(task_id: int):
    tasks.unclaim(db_session(), current_user(), task_id)
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/tasks/<int:task_id>")
@login_required
def complete(task_id: int):
    page = tasks.page(db_session(), current_user(), task_id)
    values = form_values(page.element.form, request.form)
    try:
        tasks.complete(db_session(), current_user(), task_id, values)
    except InvalidForm as exc:
        errors = refused(exc)
        return render_template("task.html", page=page, values=values, errors=errors, error=tr(exc.message)), 400
    flash(tr(Msg("已办结：%(task)s", task=Text(page.task.name, page.task.name_en))))
    return redirect(url_for("zones.show", zone_id=page.task.zone_id))

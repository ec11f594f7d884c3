"""The inbox and the task page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from workflow.errors import Conflict, InvalidForm, Msg, Text
from workflow.services import inbox as inbox_service
from workflow.services import tasks
from workflow.views import form_values, login_required, refused
from workflow.web import attachment_limit, current_user, db_session, tr

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
    page = tasks.view(db_session(), current_user(), task_id)
    return render_template("task.html", page=page, values=page.values, errors={})


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
    try:
        element = tasks.form(db_session(), current_user(), task_id)
        values = form_values(element.form, request.form, request.files)
        choice = None if request.form.get("confirmed") else tasks.irreversible(element, values)
        if choice:  # an irreversible decision: the page asks to confirm it, with the values kept
            page = tasks.page(db_session(), current_user(), task_id)
            tasks.check(page, values)
            return render_template("task.html", page=page, values=values, errors={}, confirm=choice)
        done = tasks.complete(db_session(), current_user(), task_id, values, limit=attachment_limit())
    except InvalidForm as exc:
        page = tasks.page(db_session(), current_user(), task_id)
        errors = refused(exc)
        return render_template("task.html", page=page, values=values, errors=errors, error=tr(exc.message)), 400
    except Conflict as exc:  # done or claimed meanwhile: the read-only page says by whom
        refused(exc)
        page = tasks.view(db_session(), current_user(), task_id)
        return render_template("task.html", page=page, values={}, errors={}, error=tr(exc.message)), 409
    flash(tr(Msg("已办结：%(task)s", task=Text(done.name, done.name_en))))
    after = tasks.following(db_session(), current_user())  # on to the next task of the inbox
    return redirect(url_for("tasks.show", task_id=after) if after else url_for("tasks.inbox"))

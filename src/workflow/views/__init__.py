"""Thin blueprints: parse the request, call one service, render or redirect."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, redirect, url_for
from werkzeug.datastructures import MultiDict

from workflow.errors import WorkflowError
from workflow.modelxml import Field
from workflow.web import current_user, db_session, here, tr


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("auth.login", next=here()))
        return view(*args, **kwargs)

    return wrapped


def form_values(fields: tuple[Field, ...], form: MultiDict) -> dict[str, Any]:
    """A posted HTML form as the service expects it: lists for multi-value fields."""
    return {f.id: form.getlist(f.id) if f.multiple else form.get(f.id) for f in fields if f.id in form}


def refused(exc: WorkflowError) -> dict[str, str]:
    """A refused form: undo anything the request staged, and the field messages in the user's language."""
    db_session().rollback()
    return {k: tr(v) for k, v in exc.fields.items()}


def register(app: Flask) -> None:
    from workflow.views import admin, api, auth, operation, processes, tasks, zones

    app.register_blueprint(admin.bp)
    app.register_blueprint(processes.bp)
    app.register_blueprint(operation.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(zones.bp)
    app.add_url_rule("/", "index", lambda: redirect(url_for("tasks.inbox")))
    # Browsers ask for /favicon.ico on every site whatever the page links; answer it rather than 404.
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.ico"))

"""Thin blueprints: parse the request, call one service, render or redirect."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from workflow.errors import InvalidForm, Msg, WorkflowError
from workflow.files import Upload
from workflow.modelxml import Field
from workflow.web import current_user, db_session, here, tr


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("auth.login", next=here()))
        return view(*args, **kwargs)

    return wrapped


def form_values(fields: tuple[Field, ...], form: MultiDict, files: MultiDict | None = None) -> dict[str, Any]:
    """A posted HTML form as the service expects it: lists for multi-value fields, uploads for file fields."""
    values = {f.id: form.getlist(f.id) if f.multiple else form.get(f.id) for f in fields
              if f.id in form and f.type != "file"}
    for f in fields:
        sent = upload(files, f.id) if f.type == "file" and files is not None else None
        if sent is not None:
            values[f.id] = sent
    return values


def upload(files: MultiDict, name: str) -> Upload | None:
    """The file posted under ``name``, or None when none was chosen."""
    sent = files.get(name)
    if sent is None or not sent.filename:
        return None
    return Upload(sent.filename, sent.read())


MAX_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")


def query_id(name: str) -> int | None:
    """An optional id in the query string; anything but a positive integer is a 400 naming the parameter."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    if not _DIGITS.fullmatch(raw) or not 0 < int(raw) <= MAX_ID:
        raise InvalidForm(Msg("查询参数有误"), {name: Msg("应为 %(low)s 到 %(high)s 之间的整数", low=1, high=MAX_ID)})
    return int(raw)


def refused(exc: WorkflowError) -> dict[str, str]:
    """A refused form: undo anything the request staged, and the field messages in the user's language."""
    db_session().rollback()
    return {k: tr(v) for k, v in exc.fields.items()}


def register(app: Flask) -> None:
    from workflow.views import (
        admin,
        api,
        api_processes,  # noqa: F401 - its routes join api's blueprint when imported
        auth,
        calendar,
        documents,
        handover,
        health,
        migrations,
        notifications,
        operation,
        processes,
        tasks,
        zones,
    )

    app.register_blueprint(admin.bp)
    app.register_blueprint(calendar.bp)
    app.register_blueprint(handover.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(processes.bp)
    app.register_blueprint(migrations.bp)
    app.register_blueprint(operation.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(zones.bp)
    app.register_blueprint(documents.bp)
    app.add_url_rule("/", "index", lambda: redirect(url_for("tasks.inbox")))
    # Browsers ask for /favicon.ico on every site whatever the page links; answer it rather than 404.
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.ico"))

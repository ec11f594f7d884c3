"""One structured (JSON) log line per request, a request id, and the request's latency for /metrics."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, current_app, g, request
from sqlalchemy import inspect

from workflow import metrics
from workflow.models import utcnow

log = logging.getLogger("workflow.request")
_GIVEN_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
UNMATCHED = "<unmatched>"  # the endpoint label of requests no route matched (404s)


class _Stderr(logging.Handler):
    """Writes each record to the current ``sys.stderr`` (gunicorn and journald collect it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # a log line must never break a request
            self.handleError(record)


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _GIVEN_ID.fullmatch(given) else uuid.uuid4().hex


def _user_id() -> int | None:
    user = g.get("user")
    identity = inspect(user).identity if user is not None else None  # no query, even on an expired row
    return identity[0] if identity else None


def _finish(response):
    started = g.get("request_started")
    if started is None:
        return response
    seconds = time.perf_counter() - started
    rule = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    metrics.observe(request.method, rule, response.status_code, seconds)
    response.headers["X-Request-ID"] = g.request_id
    if current_app.config["WORKFLOW"]["REQUEST_LOG"] == "json":
        log.info(json.dumps({
            "ts": utcnow().isoformat(timespec="milliseconds"), "request_id": g.request_id, "method": request.method,
            "rule": rule, "status": response.status_code, "duration_ms": round(seconds * 1000, 2),
            "user_id": _user_id(), "ip": request.remote_addr,
        }, ensure_ascii=False))
    return response


def init_app(app: Flask) -> None:
    """``WORKFLOW_REQUEST_LOG``: ``json`` (a line per request on standard error) or ``off``; ids and metrics always.

    Registered before the other request hooks, so that requests they refuse are timed and logged too.
    """
    mode = app.config["WORKFLOW"]["REQUEST_LOG"]
    if mode not in {"json", "off"}:
        raise ValueError(f"WORKFLOW_REQUEST_LOG must be json or off, got {mode!r}")
    if not any(isinstance(h, _Stderr) for h in log.handlers):
        log.addHandler(_Stderr())
        log.setLevel(logging.INFO)
        log.propagate = False
    app.before_request(_start)
    app.after_request(_finish)

"""Probes and metrics for supervisors and monitoring: /healthz, /readyz, /metrics (Prometheus)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, request

from workflow import metrics
from workflow.models import utcnow
from workflow.services import health
from workflow.web import db_session

bp = Blueprint("health", __name__)


def _monitor() -> bool:
    token = current_app.config["WORKFLOW"]["METRICS_TOKEN"]
    return metrics.readable(request.remote_addr, request.headers.get("Authorization", ""), token)


@bp.route("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    state = health.readiness(db_session(), utcnow())
    if state.ready:
        return jsonify(status="ready")
    detail = {"detail": state.detail} if _monitor() else {}  # error texts may name hosts: monitors only
    return jsonify(status="unready", reason=state.reason, **detail), 503


@bp.route("/metrics")
def prometheus():
    if not _monitor():
        abort(404)
    return Response(metrics.exposition(db_session(), utcnow()), content_type=metrics.CONTENT_TYPE)

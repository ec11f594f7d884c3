"""Prometheus metrics: request latency observed in each process, the rest read from the database per scrape.

Request latency is a histogram. Under `workflow serve` (several gunicorn processes) prometheus-client's
multiprocess mode adds up every process's histogram: ``PROMETHEUS_MULTIPROC_DIR`` names a directory
the processes share (serving.py makes a fresh one when it is unset). Everything else (open and
overdue tasks, due timers, worker passes, model failures) is counted in the database at scrape time,
so every process and every host answers the same.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from datetime import datetime

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from workflow import vitals

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Histogram("workflow_request_duration_seconds", "Time to answer a request, by route rule",
                     ["method", "endpoint", "status"], buckets=BUCKETS, registry=None)


def observe(method: str, endpoint: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, endpoint, str(status)).observe(seconds)


class _Database:
    """Gauges and counters read from the database at scrape time."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session, self.now = session, now

    def collect(self):
        try:
            figures = list(self._figures())
        except DBAPIError:
            self.session.rollback()
            yield _gauge("workflow_database_up", "Whether the database answered this scrape", 0)
            return
        yield _gauge("workflow_database_up", "Whether the database answered this scrape", 1)
        yield from figures

    def _figures(self):
        s, now = self.session, self.now
        yield _gauge("workflow_open_tasks", "Open human tasks", vitals.open_tasks(s))
        yield _gauge("workflow_overdue_tasks", "Open human tasks past their due time", vitals.overdue_tasks(s, now))
        yield _gauge("workflow_due_timers", "Running instances with a timer due now", vitals.due_timers(s, now))
        yield _gauge("workflow_failing_instances", "Running instances whose timers failed at their last attempt",
                     vitals.failing_instances(s))
        yield CounterMetricFamily("workflow_model_failures", "Run-time failures of process models",
                                  value=vitals.model_failures(s))
        yield from _workers(vitals.heartbeats(s), now)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _workers(beats, now: datetime):
    labels = ["worker"]
    duration = GaugeMetricFamily("workflow_worker_pass_duration_seconds", "Duration of the worker's last pass",
                                 labels=labels)
    age = GaugeMetricFamily("workflow_worker_last_pass_age_seconds", "Seconds since the worker's last completed pass",
                            labels=labels)
    passes = CounterMetricFamily("workflow_worker_passes", "Worker passes", labels=labels)
    failed = CounterMetricFamily("workflow_worker_pass_failures", "Worker passes that ended in an error",
                                 labels=labels)
    instances = CounterMetricFamily("workflow_worker_instance_failures", "Instances whose timers failed in a pass",
                                    labels=labels)
    for b in beats:
        duration.add_metric([b.name], b.last_duration_s)
        if b.last_pass_at is not None:
            age.add_metric([b.name], max((now - b.last_pass_at).total_seconds(), 0.0))
        passes.add_metric([b.name], b.passes)
        failed.add_metric([b.name], b.failed_passes)
        instances.add_metric([b.name], b.failed_instances)
    yield from (duration, age, passes, failed, instances)


def exposition(session: Session, now: datetime) -> bytes:
    """The text exposition format: this host's request latency (all its processes) and the database's figures."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
    registry.register(_Database(session, now))
    return generate_latest(registry)


def readable(remote_addr: str | None, authorization: str, token: str) -> bool:
    """Who may read /metrics: with ``WORKFLOW_METRICS_TOKEN`` set, a request bearing it; otherwise loopback only."""
    if token:
        scheme, _, given = authorization.partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(given.strip().encode(), token.encode())
    try:
        return ipaddress.ip_address(remote_addr or "").is_loopback
    except ValueError:
        return False

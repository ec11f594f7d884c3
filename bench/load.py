"""Load and faults: simulated officials drive zones through the lifecycle over HTTP, then every zone is checked.

Loopback only and bounded: ``--servers`` `workflow serve` processes on one database (PostgreSQL by
default, a scratch database made and dropped here), ``--zones`` zones filed by the local government,
``--officials`` threads, each logged in (API token) as one of the lifecycle's officials; officials
sharing a role pick from the same tasks, so some completions lose the race and are answered 409,
the only error status expected. Each official polls its inbox and completes one of this run's open
tasks, thinking 0-0.4 s before each look at the inbox, until every zone is approved, ``--max-requests``
were sent or ``--time-limit`` passed.

With ``--kill`` one server is killed with ``kill -9`` once a third of the steps are done and started
again a second later; requests to it fail meanwhile (counted as ``connection``) and are retried on
another server.

Afterwards the consistency check reads every zone from the database: the run (restored from its
saved state) and the open task rows agree, the lifecycle ended approved, each task of the model was
completed once in the history, and every step the server acknowledged (200) is there exactly once.

Run: .venv/bin/python -m bench.load [--officials N] [--zones N] [--servers N] [--kill] [--sqlite]
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import requests

from bench import scratch
from bench.lifecycle import APPLICATION, STEPS

BIN = Path(sys.executable).parent
DATA = dict(STEPS)
# Officials in the order threads take them: two of the bureau's officials share the recommendation.
OFFICIALS = ["henan.bureau", "henan.bureau2", "hq.clearance", "hq.cnca", "hq.health", "hq.plant", "hq.inspection",
             "hq.food", "hq.leader"]


class Server:
    """One `workflow serve` process on a port of the loopback interface."""

    def __init__(self, url: str, port: int) -> None:
        self.env = {**os.environ, "WORKFLOW_DATABASE_URL": url, "WORKFLOW_SECRET_KEY": "bench-load"}
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        self.peak_rss_kb = 0

    def start(self, wait: float = 30) -> None:
        self.proc = subprocess.Popen([BIN / "workflow", "serve", "--port", str(self.port), "--workers", "1",
                                      "--threads", "4"], env=self.env, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + wait
        while True:
            try:
                urllib.request.urlopen(self.base + "/login", timeout=2).read()  # noqa: S310 - our own URL
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.log.seek(0)
                    raise RuntimeError("server did not start: " + self.log.read().decode()[-2000:]) from None
                time.sleep(0.2)

    def kill(self) -> None:
        """``kill -9`` the server (its workers die with it: they hold PR_SET_PDEATHSIG)."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        time.sleep(0.5)

    def sample_rss(self) -> None:
        """Note the resident memory of the biggest process of this server (the worker serving requests)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        for pid in [self.proc.pid, *_children(self.proc.pid)]:
            self.peak_rss_kb = max(self.peak_rss_kb, _rss_kb(pid))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)
        self.log.close()


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Tally:
    """Latencies of completions, statuses of all requests, and the steps acknowledged, shared by the threads."""

    def __init__(self, max_requests: int, deadline: float) -> None:
        self.lock = threading.Lock()
        self.complete_ms: list[float] = []
        self.statuses: collections.Counter[str] = collections.Counter()
        self.acked: collections.Counter[tuple[int, str]] = collections.Counter()
        self.requests = 0
        self.max_requests = max_requests
        self.deadline = deadline

    def allowed(self) -> bool:
        with self.lock:
            self.requests += 1
            return self.requests <= self.max_requests and time.monotonic() < self.deadline

    def note(self, status: str, ms: float | None = None, acked: tuple[int, str] | None = None) -> None:
        with self.lock:
            self.statuses[status] += 1
            if ms is not None:
                self.complete_ms.append(ms)
            if acked is not None:
                self.acked[acked] += 1


class Client:
    """An official's HTTP client: requests go to the servers in turn; a dead server is skipped."""

    def __init__(self, servers: list[Server], tally: Tally, username: str) -> None:
        self.servers, self.tally, self.username = servers, tally, username
        self.turn = itertools.cycle(range(len(servers)))
        self.http = requests.Session()
        self.token = ""

    def call(self, method: str, path: str, **kwargs) -> requests.Response | None:
        """One request, or None when the request budget or time is spent; connection failures retried."""
        while self.tally.allowed():
            server = self.servers[next(self.turn)]
            try:
                headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
                return self.http.request(method, server.base + path, headers=headers, timeout=30, **kwargs)
            except requests.ConnectionError:
                self.tally.note("connection")
                self.http = requests.Session()
                time.sleep(0.05)
        return None

    def login(self) -> None:
        reply = self.call("POST", "/api/v1/token", json={"username": self.username, "password": scratch.PASSWORD})
        if reply is None or reply.status_code != 201:
            raise RuntimeError(f"{self.username} could not log in: {reply and reply.text[:200]}")
        self.token = reply.json()["token"]


THINK = 0.2  # mean seconds an official spends reading between two requests


def official(client: Client, zone_ids: set[int], finished: threading.Event) -> None:
    """Poll the inbox; complete one of this run's open tasks; until the run is over."""
    while not finished.is_set():
        time.sleep(random.uniform(0, 2 * THINK))
        reply = client.call("GET", "/api/v1/tasks?limit=100")
        if reply is None:
            return
        client.tally.note(str(reply.status_code))
        mine = [t for t in reply.json().get("items", []) if t["zone_id"] in zone_ids] if reply.ok else []
        if not mine:
            continue
        task = random.choice(mine)
        started = time.perf_counter()
        done = client.call("POST", f"/api/v1/tasks/{task['id']}/complete", json={"data": DATA[task["bpmn_id"]]})
        if done is None:
            return
        ok = done.status_code == 200
        client.tally.note(str(done.status_code), (time.perf_counter() - started) * 1000 if ok else None,
                          (task["zone_id"], task["bpmn_id"]) if ok else None)


def file_zones(client: Client, count: int) -> set[int]:
    ids = set()
    stamp = f"{time.time_ns() % 10**9}"
    for n in range(count):
        reply = client.call("POST", "/api/v1/zones", json={**APPLICATION, "zone_name": f"压测{stamp}-{n}号国检试验区"})
        if reply is None or reply.status_code != 201:
            raise RuntimeError(f"filing failed: {reply and reply.status_code} {reply and reply.text[:300]}")
        ids.add(reply.json()["id"])
    return ids


def _steps_done(tally: Tally) -> int:
    with tally.lock:
        return sum(tally.acked.values())


def drive(servers: list[Server], officials: int, zones: int, max_requests: int, time_limit: float,
          kill: bool) -> tuple[Tally, set[int], float, dict]:
    """File the zones, run the officials until done; the tally, the zone ids, seconds taken, fault notes."""
    tally = Tally(max_requests, time.monotonic() + time_limit)
    filer = Client(servers, tally, "henan.gov")
    filer.login()
    zone_ids = file_zones(filer, zones)
    clients = [Client(servers, tally, OFFICIALS[i % len(OFFICIALS)]) for i in range(max(officials, len(OFFICIALS)))]
    for client in clients:
        client.login()
    total_steps = zones * (len(STEPS) - 1)
    finished = threading.Event()
    threads = [threading.Thread(target=official, args=(c, zone_ids, finished), daemon=True) for c in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    faults: dict = {}
    while any(t.is_alive() for t in threads):
        for server in servers:
            server.sample_rss()
        done = _steps_done(tally)
        if kill and not faults and done >= total_steps // 3:
            servers[0].kill()
            faults = {"killed_after_steps": done}
            time.sleep(1)
            servers[0].start()
        if done >= total_steps:
            finished.set()
        time.sleep(0.1)
    return tally, zone_ids, time.perf_counter() - started, faults


def check(url: str, zone_ids: set[int], acked: collections.Counter) -> tuple[list[str], int]:
    """Problems found reading every zone back (empty when consistent), and how many zones ended approved."""
    from sqlalchemy import select

    from workflow import store
    from workflow.db import Database
    from workflow.models import HumanTask, TaskStatus, Zone, ZoneStatus
    from workflow.services import deploy

    problems: list[str] = []
    approved = 0
    db = Database(url)
    with db.session() as session:
        for zone_id in sorted(zone_ids):
            zone = session.get(Zone, zone_id)
            instance = zone.lifecycle
            run = deploy.model_for(instance.process_version).restore(instance.state)
            ready = {t.engine_id for t in run.ready_tasks()}
            rows = {t.engine_id for t in store.open_tasks(session, instance.id)}
            if ready != rows:
                problems.append(f"zone {zone_id}: engine waits on {sorted(ready)}, open task rows are {sorted(rows)}")
            history = collections.Counter(e.bpmn_id for e in store.history(session, zone_id)
                                          if e.kind == "task_completed")
            done = collections.Counter(session.scalars(select(HumanTask.bpmn_id).where(
                HumanTask.instance_id == instance.id, HumanTask.status == TaskStatus.DONE)))
            if history[STEPS[0][0]] != 1:
                problems.append(f"zone {zone_id}: the application is {history[STEPS[0][0]]}x in its history")
            for bpmn_id, _ in STEPS[1:]:
                if history[bpmn_id] > 1 or done[bpmn_id] > 1 or history[bpmn_id] != done[bpmn_id]:
                    problems.append(f"zone {zone_id}: {bpmn_id} completed {history[bpmn_id]}x in history, "
                                    f"{done[bpmn_id]} done task rows")
                if acked[(zone_id, bpmn_id)] > 1:
                    problems.append(f"zone {zone_id}: {bpmn_id} acknowledged {acked[(zone_id, bpmn_id)]}x")
                if acked[(zone_id, bpmn_id)] and not history[bpmn_id]:
                    problems.append(f"zone {zone_id}: acknowledged {bpmn_id} lost")
            if instance.completed and zone.status == ZoneStatus.OPERATING:
                approved += 1
                if set(history) != set(DATA) or rows:
                    problems.append(f"zone {zone_id}: approved with {dict(history)} and open rows {rows}")
    db.dispose()
    return problems, approved


def _percentile(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 2)


def run(url: str, officials: int = 12, zones: int = 24, servers: int = 3, time_limit: float = 300,
        max_requests: int = 50_000, kill: bool = False) -> dict:
    """The whole load test against the (prepared) database at ``url``; the figures as JSON-ready dict."""
    procs = [Server(url, _free_port()) for _ in range(servers)]
    try:
        for server in procs:
            server.start()
        tally, zone_ids, seconds, faults = drive(procs, officials, zones, max_requests, time_limit, kill)
        for server in procs:
            server.sample_rss()
    finally:
        for server in procs:
            server.stop()
    problems, approved = check(url, zone_ids, tally.acked)
    steps = sum(tally.acked.values())
    expected = {"200", "201", "409", "connection"} if kill else {"200", "201", "409"}
    return {
        "http_servers": servers, "http_officials": max(officials, len(OFFICIALS)), "http_zones": zones,
        "http_zones_approved": approved, "http_steps_acknowledged": steps,
        "http_steps_per_s": round(steps / seconds, 1), "http_requests": tally.requests,
        "http_complete_p50_ms": _percentile(tally.complete_ms, 50),
        "http_complete_p95_ms": _percentile(tally.complete_ms, 95),
        "http_complete_p99_ms": _percentile(tally.complete_ms, 99),
        "http_statuses": dict(sorted(tally.statuses.items())),
        "http_errors": sum(n for status, n in tally.statuses.items() if status not in expected),
        "server_peak_rss_mb": round(max(s.peak_rss_kb for s in procs) / 1024, 1),
        "consistency_problems": problems, **({"fault": faults} if kill else {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officials", type=int, default=12, help="Official threads (at least one per official).")
    parser.add_argument("--zones", type=int, default=24)
    parser.add_argument("--servers", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=300, help="Seconds before the officials stop.")
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--kill", action="store_true", help="kill -9 one server mid-run and start it again.")
    parser.add_argument("--sqlite", action="store_true", help="A scratch SQLite file instead of PostgreSQL.")
    args = parser.parse_args()
    kind = "sqlite" if args.sqlite else "postgresql"
    if kind == "postgresql" and (problem := scratch.postgres_problem()):
        sys.exit(problem)
    with scratch.database_url(kind) as url:
        scratch.prepared(url).dispose()
        result = run(url, args.officials, args.zones, args.servers, args.time_limit, args.max_requests, args.kill)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    sys.exit(1 if result["consistency_problems"] or result["http_errors"] else 0)


if __name__ == "__main__":
    main()

"""What clients that keep logging in cost everyone else, against a real `workflow serve` (gunicorn).

Measures the latency of an ordinary API request (GET /api/v1/tasks with a token) on an idle server, then
while six clients log in as fast as they can, each as its own user (right passwords: nothing is refused for
being wrong). Reports medians and the 95th percentile in milliseconds, and what the logins were answered.

Run: .venv/bin/python bench/logins.py [--seconds S] [--workers N] [--threads T]
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.server import served  # noqa: E402

PASSWORD = "demo-pass-1"  # noqa: S105 - the demo data of tests/server.py
USERS = ["henan.gov", "jiangxi.gov", "henan.bureau", "jiangxi.bureau", "hq.cnca", "hq.food"]


def call(url: str, body: dict | None = None, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - our own http URL
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def latencies(base: str, token: str, seconds: float) -> list[float]:
    times, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.perf_counter()
        status, _ = call(base + "/api/v1/tasks", token=token)
        assert status == 200, status
        times.append((time.perf_counter() - start) * 1000)
        time.sleep(0.05)
    return times


def summary(times: list[float]) -> str:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
    return f"median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   ({len(times)} requests)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    database = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    with served(database, args.workers, options=("--threads", str(args.threads))) as base:
        token = json.loads(call(base + "/api/v1/token", {"username": "hq.leader", "password": PASSWORD})[1])["token"]
        print(f"idle:                    {summary(latencies(base, token, args.seconds))}")
        stop, answers = threading.Event(), collections.Counter()

        def keep_logging_in(username: str) -> None:
            while not stop.is_set():
                answers[call(base + "/api/v1/token", {"username": username, "password": PASSWORD})[0]] += 1

        clients = [threading.Thread(target=keep_logging_in, args=(u,)) for u in USERS]
        for client in clients:
            client.start()
        try:
            print(f"six clients logging in:  {summary(latencies(base, token, args.seconds))}")
        finally:
            stop.set()
            for client in clients:
                client.join()
        print("logins answered:", dict(sorted(answers.items())))


if __name__ == "__main__":
    main()

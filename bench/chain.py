"""Cost of the hash-chained event log: appending events at commit, and verifying the whole chain.

Run: make bench   (or .venv/bin/python bench/chain.py [--events N])
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from workflow import chain
from workflow.db import Database
from workflow.models import Event, utcnow


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'chain.sqlite3'}")
        db.upgrade()
        started = time.perf_counter()
        with db.session() as session:
            for batch in range(0, args.events, 1000):
                for i in range(batch, min(batch + 1000, args.events)):
                    session.add(Event(kind="task_completed", actor="bench", at=utcnow(), comment="意见" * 20,
                                      data={"decision": "pass", "comment": "同意" * 10, "n": i}))
                session.commit()
        appended = time.perf_counter() - started
        started = time.perf_counter()
        with db.session() as session:
            session.add(Event(kind="login", actor="bench", at=utcnow()))
            session.commit()
        single = time.perf_counter() - started
        started = time.perf_counter()
        with db.engine.connect() as connection:
            verdict = chain.verify(connection)
        verified = time.perf_counter() - started
        db.dispose()
    each = appended / args.events * 1e6
    print(f"append {args.events} events in commits of 1000: {appended:.2f} s ({each:.0f} µs each)")
    print(f"one commit with one event: {single * 1000:.1f} ms")
    print(f"verify {verdict.count} events: {verified:.2f} s ({verified / verdict.count * 1e6:.0f} µs each), "
          f"holds={verdict.holds}")


if __name__ == "__main__":
    main()

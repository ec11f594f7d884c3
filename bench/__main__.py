"""`python -m bench [--quick] [--json [FILE]]`: every benchmark measurement in one run, as ratios and rates.

The run is a list of measurements (``MEASUREMENTS``); each returns a dict of JSON keys, merged into
one report. A measurement that needs PostgreSQL is skipped, with the reason under ``skipped``, when
no server answers at 127.0.0.1:5432 (or ``WORKFLOW_BENCH_POSTGRES_URL``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench import decades, inbox, load, scratch, steps


@dataclass
class Options:
    quick: bool
    repeat: int  # lifecycles (or completions) timed per measurement
    years: int  # age of the old zone in the age measurement
    inbox_sizes: tuple[int, ...]  # open tasks in the inbox measurement (bench/inbox.py)
    load_officials: int
    load_zones: int
    postgres_problem: str | None
    skipped: dict[str, str] = field(default_factory=dict)


Result = dict[str, Any]


@dataclass
class Measurement:
    name: str
    run: Callable[[Options], Result]


def per_database(measure: Callable[[str, Options], Result]) -> Callable[[Options], Result]:
    """Run ``measure(url, options)`` on a scratch SQLite and a scratch PostgreSQL database.

    Keys of the SQLite run are kept as they are; those of the PostgreSQL run get ``_postgresql``
    appended; dict values that ``measure`` keys by database ("sqlite"/"postgresql") are merged.
    """
    def run(options: Options) -> Result:
        result: Result = {}
        for kind in ("sqlite", "postgresql"):
            if kind == "postgresql" and options.postgres_problem:
                continue
            with scratch.database_url(kind) as url:
                for key, value in measure(url, options).items():
                    _merge(result, key, value, kind)
        return result
    return run


def _merge(result: Result, key: str, value: Any, kind: str) -> None:
    if isinstance(value, dict) and set(value) <= {"sqlite", "postgresql"}:
        result.setdefault(key, {}).update(value)
    else:
        result[key if kind == "sqlite" else f"{key}_postgresql"] = value


def engine(url: str, options: Options) -> Result:
    """engine_overhead_ratio, raw and service steps per second, lifecycles per second (bench/steps.py)."""
    db = scratch.prepared(url)
    try:
        result = steps.measure(db, options.repeat)
    finally:
        db.dispose()
    result["lifecycles_per_s"] = {db.engine.dialect.name: result.pop("lifecycles_per_s")}
    return result


def age(options: Options) -> Result:
    return decades.measure(options.repeat, options.years)


def http(options: Options) -> Result:
    """The load test (bench/load.py) on PostgreSQL, or on SQLite when no PostgreSQL answers."""
    kind = "sqlite" if options.postgres_problem else "postgresql"
    with scratch.database_url(kind) as url:
        scratch.prepared(url).dispose()
        result = load.run(url, officials=options.load_officials, zones=options.load_zones, servers=2,
                          time_limit=60 if options.quick else 300)
    return {"http_database": kind, **result}


MEASUREMENTS: list[Measurement] = [
    Measurement("engine", per_database(engine)),
    Measurement("age", age),
    Measurement("http", http),
    Measurement("inbox", per_database(lambda url, o: inbox.measure(url, o.inbox_sizes, o.repeat))),
]


def options(quick: bool) -> Options:
    return Options(quick=quick, repeat=5 if quick else 30, years=10 if not quick else 3,
                   inbox_sizes=(10_000,) if quick else (10_000, 100_000, 1_000_000),
                   load_officials=4 if quick else 12, load_zones=4 if quick else 24,
                   postgres_problem=scratch.postgres_problem())


def main(argv: list[str] | None = None) -> Result:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Fewer repeats, a younger old zone: under two minutes.")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE", help="Write the report as JSON (- = stdout).")
    parser.add_argument("--only", action="append", choices=[m.name for m in MEASUREMENTS],
                        help="Run only these measurements (repeatable).")
    args = parser.parse_args(argv)
    opts = options(args.quick)
    report: Result = {"quick": args.quick}
    if opts.postgres_problem:
        opts.skipped["postgresql"] = opts.postgres_problem
        report["engine_overhead_ratio_postgresql"] = None
    for measurement in MEASUREMENTS:
        if args.only and measurement.name not in args.only:
            continue
        started = time.perf_counter()
        report.update(measurement.run(opts))
        print(f"{measurement.name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    report["skipped"] = opts.skipped
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.json == "-":
        print(text)
    elif args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            out.write(text + "\n")
    if args.json != "-":
        _table(report)
    return report


def _table(report: Result) -> None:
    for key, value in report.items():
        print(f"{key:40} {json.dumps(value, ensure_ascii=False)}")


if __name__ == "__main__":
    main()

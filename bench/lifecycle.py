"""Per-request engine cost of the zone lifecycle, reported as ratios measured in this one run.

A request that completes a task does: restore the run from its saved JSON, complete one task,
dump the state. We compare that with the same request if the model were parsed on every
request (what the per-version model cache avoids), and report the saved state's size.

Run: make bench   (or .venv/bin/python bench/lifecycle.py [--repeat N])
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from workflow import engine

ROOT = Path(__file__).resolve().parents[1]
SOURCE = (ROOT / "bpmn" / "zone_lifecycle.bpmn").read_bytes()
UNITS = ["opinion_clearance", "opinion_cnca", "opinion_health", "opinion_plant_animal",
         "opinion_inspection", "opinion_food"]
APPLICATION = {"zone_name": "郑州国检试验区", "province": "henan", "leading_body": "领导小组", "operator": "运营公司",
               "industries": "电子", "functions": "查验", "design_scale": "1 平方公里", "forecast_volume": "5 万批",
               "priority_policies": ["designated_port"], "innovation_measures": "采信", "construction_plan": None}
STEPS = [("submit_application", APPLICATION),
         ("bureau_recommendation", {"decision": "recommend", "comment": "同意", "guidance": None}),
         ("organise_acceptance", {"acceptance_date": "2026-12-01", "acceptance_scope": "现场"})] + \
        [(u, {"decision": "pass", "comment": "同意"}) for u in UNITS] + \
        [("consolidate", {"decision": "pass", "comment": "通过"}),
         ("hq_approval", {"decision": "approve", "comment": "同意", "approval_number": "X"})]


def one_pass(load_model) -> tuple[list[float], list[int]]:
    """Walk the whole lifecycle; time each request (restore, complete, dump) and record state sizes."""
    model = load_model()
    state = json.dumps(model.start().state())
    times, sizes = [], []
    for bpmn_id, data in STEPS:
        started = time.perf_counter()
        model = load_model()
        run = model.restore(json.loads(state))
        task = next(t for t in run.ready_tasks() if t.bpmn_id == bpmn_id)
        run.complete(task.engine_id, data)
        state = json.dumps(run.state())
        times.append(time.perf_counter() - started)
        sizes.append(len(state.encode()))
    assert run.completed and run.end_event().id == "zone_operating"
    return times, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    cache = engine.ModelCache()

    def cached():
        return cache.get("bench", lambda: engine.compile_model({"zone_lifecycle.bpmn": SOURCE}))

    def parsed_each_time():
        return engine.compile_model({"zone_lifecycle.bpmn": SOURCE})

    cached_times, uncached_times, sizes = [], [], []
    for _ in range(args.repeat):
        t, sizes = one_pass(cached)
        cached_times.extend(t)
        uncached_times.extend(one_pass(parsed_each_time)[0])
    c, u = statistics.median(cached_times), statistics.median(uncached_times)
    print(f"requests measured: {len(cached_times)} per variant ({len(STEPS)} steps x {args.repeat})")
    print(f"median request, model cached:          {c * 1000:.2f} ms")
    print(f"median request, model parsed each time: {u * 1000:.2f} ms")
    print(f"ratio parsed-each-time / cached:        {u / c:.1f}x")
    print(f"saved state: {min(sizes) / 1024:.1f}-{max(sizes) / 1024:.1f} KB (no spec inside; "
          f"the model file is {len(SOURCE) / 1024:.1f} KB)")


if __name__ == "__main__":
    main()

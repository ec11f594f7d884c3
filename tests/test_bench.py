"""`python -m bench --quick --json` keeps working: it runs and reports every key with the right type (no timings)."""

from __future__ import annotations

import json
import subprocess
import sys

from workflow.config import ROOT

NUMBERS = ["engine_overhead_ratio", "age_ratio", "raw_engine_steps_per_s", "service_steps_per_s",
           "statements_per_completion", "http_complete_p50_ms", "http_complete_p95_ms", "server_peak_rss_mb"]


def test_quick_bench_reports_every_key(tmp_path):
    out = tmp_path / "bench.json"
    subprocess.run([sys.executable, "-m", "bench", "--quick", "--json", str(out)], cwd=ROOT, check=True,
                   capture_output=True, timeout=600)
    report = json.loads(out.read_text())
    for key in NUMBERS:
        assert isinstance(report[key], int | float) and report[key] > 0, key
    assert isinstance(report["http_errors"], int)
    assert report["consistency_problems"] == []
    assert isinstance(report["lifecycles_per_s"]["sqlite"], float)
    for key in ("inbox_p95_ms", "inbox_hq_p95_ms"):
        assert set(report[key]) == {"10000"} and report[key]["10000"] > 0, key
    if report["skipped"].get("postgresql"):
        assert report["engine_overhead_ratio_postgresql"] is None
    else:
        assert isinstance(report["engine_overhead_ratio_postgresql"], float)
        assert isinstance(report["lifecycles_per_s"]["postgresql"], float)
        assert report["inbox_p95_ms_postgresql"]["10000"] > 0

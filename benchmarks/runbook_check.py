"""``llmops runbook check`` on a five-feature configuration, drills included. Target: under 20 s.

The five features cover every fallback strategy (default, queue, cached, error, and a default
under JSON validation). The evidence is written for the run (a loadtest report of the provider
and three daily eval runs), so all thirty answers are checked for real and pass. Each run is the
whole command in a fresh process (imports included), as CI runs it; ``check_s`` is the check's
own time from ``runbook.json``.

Usage: python benchmarks/runbook_check.py [--runs 5]
Writes benchmarks/results/runbook_check.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import yaml

from llmops.stores.history_sqlite import SqliteHistory
from llmops.workflows.evals.records import CaseRecord, EvalRun

RESULTS = Path(__file__).parent / "results" / "runbook_check.json"
TARGET_S = 20.0
FALLBACKS = {
    "classify": {"strategy": "default", "value": "unknown"},
    "summarize": {"strategy": "queue", "path": "queue.sqlite3"},
    "answer": {"strategy": "cached"},
    "translate": {"strategy": "error", "message": "Translation is unavailable right now."},
    "extract": {"strategy": "default", "value": {"fields": []}},
}


def write_setup(root: Path) -> Path:
    now = time.time()
    features = {name: {"max_tokens": 16, "fallback": fb} for name, fb in FALLBACKS.items()}
    features["extract"]["validation"] = {"json": True}
    answers = {"owner": "team", "when_down": "A notice; the request is retried later.",
               "peak_concurrency": 8, "p95_budget": "2s", "success_floor": 0.95,
               "eval_suite": "suite", "eval_every": "24h", "alert_threshold": 0.3}  # fmt: skip
    config = {
        "providers": {
            "main": {"kind": "openai", "base_url": "http://127.0.0.1:8787/v1", "model": "m"}
        },
        "limits": {"requests_per_minute": 600, "timeout_s": 20},
        "features": features,
        "runbook": {
            "evidence": {
                "loadtest": str(root / "loadtest.json"),
                "history": str(root / "history.sqlite3"),
            },
            "features": {name: answers for name in FALLBACKS},
        },
    }
    path = root / "llmops.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    level = {"concurrency": 8, "requests": 200, "ok": 200, "latency_ms": {"p95": 900.0}}
    report = {"schema": "llmops.loadtest", "schema_version": 1, "model": "m",
              "started_at": dt.datetime.now(dt.timezone.utc).isoformat(),
              "target": "provider main (http://127.0.0.1:8787/v1)", "levels": [level]}  # fmt: skip
    (root / "loadtest.json").write_bytes(orjson.dumps(report))
    store = SqliteHistory(root / "history.sqlite3")
    for i in range(3):
        at = now - (3 - i) * 86400 + 600
        cases = [CaseRecord(f"c{c}", 0, True, "ok", model_reported="m-1") for c in range(40)]
        store.append(EvalRun(f"r{i}", "suite", at, at + 30, "s", "c", None, "mock", "m", cases))
    store.close()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    walls: list[float] = []
    checks: list[float] = []
    with tempfile.TemporaryDirectory(prefix="llmops-bench-runbook-") as tmp:
        root = Path(tmp)
        config = write_setup(root)
        command = [sys.executable, "-m", "llmops", "runbook", "check", "--config", str(config),
                   "--reports", str(root / "reports")]  # fmt: skip
        for _ in range(args.runs):
            start = time.perf_counter()
            proc = subprocess.run(command, capture_output=True, text=True, cwd=root, timeout=300)
            walls.append(time.perf_counter() - start)
            if proc.returncode != 0:
                sys.exit(f"runbook check exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
            data = orjson.loads((root / "reports" / "runbook.json").read_bytes())
            checks.append(data["wall_s"])
    result = {
        "benchmark": "runbook_check",
        "features": len(FALLBACKS),
        "answers": len(FALLBACKS) * 6,
        "runs": args.runs,
        "wall_s_median": round(statistics.median(walls), 2),
        "wall_s_max": round(max(walls), 2),
        "check_s_median": round(statistics.median(checks), 2),
        "target_s": TARGET_S,
        "met": max(walls) < TARGET_S,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    print(json.dumps(result, indent=2))
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

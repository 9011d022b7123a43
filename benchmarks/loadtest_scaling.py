"""How ``llmops loadtest --workers N`` scales, side by side with wrk, in one run.

Against one loopback aiohttp server that answers OpenAI chat completions at once (the
``instant`` server of ``loadtest_capacity.py``, in its own process), for N = 1, 2, ... cores:

- ``llmops loadtest --raw --workers N`` (the load generator without the engine) and
  ``llmops loadtest --workers N`` (through the engine), one closed-loop level of
  ``--clients`` for ``--seconds``: requests/s from its JSON report (over the common window);
- ``wrk -t N`` with the same connections and time (Debian's ``wrk``; recorded as missing with
  the reason when it is not installed: ``apt-get install -y wrk``).

Printed per N: requests/s, the factor over N - 1 (what the added worker brought) and over
N = 1. On a machine with few cores the server competes with the clients for them, so the
factors say as much about the machine as about the load generator: no target is set here.
Figures are medians of ``--runs`` runs.

Usage: python benchmarks/loadtest_scaling.py [--runs 1] [--seconds 5] [--clients 64]
Writes benchmarks/results/loadtest_scaling.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from loadtest_capacity import Server  # noqa: E402
from loadtest_capacity import run_wrk as wrk_capacity  # noqa: E402

RESULTS = HERE / "results" / "loadtest_scaling.json"


def run_llmops(url: str, workers: int, clients: int, seconds: float, raw: bool) -> float:
    """Requests/s of one ``llmops loadtest`` level (from its JSON report)."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [
            sys.executable, "-m", "llmops", "loadtest",
            "--workers", str(workers), "--levels", str(clients), "--duration", f"{seconds:g}s",
            "--target", url + "/v1", "--model", "bench", "--report-dir", out,
        ] + (["--raw"] if raw else [])  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds * 4 + 120)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
        report = json.loads((Path(out) / "loadtest-latest.json").read_text())
        return float(report["levels"][0]["request_rate_rps"])


def run_wrk(url: str, threads: int, clients: int, seconds: float) -> float:
    """Requests/s of ``wrk -t threads -c clients`` posting the same request."""
    rps = float(wrk_capacity(url, clients, seconds, threads)["rps"])
    if rps != rps:  # nan: no Requests/sec line
        raise RuntimeError("wrk printed no Requests/sec")
    return rps


def _median(fn: Any, runs: int) -> dict[str, Any]:
    values = []
    for _ in range(runs):
        try:
            values.append(fn())
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            return {"error": str(exc)}
    return {"rps": round(statistics.median(values), 1), "runs": [round(v, 1) for v in values]}


def _factors(rows: list[dict[str, Any]], key: str) -> None:
    first = rows[0][key].get("rps")
    for i, row in enumerate(rows):
        rps = row[key].get("rps")
        prev = rows[i - 1][key].get("rps") if i else None
        row[key]["vs_previous"] = round(rps / prev, 2) if rps and prev else None
        row[key]["vs_one"] = round(rps / first, 2) if rps and first else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--max-workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    server = Server("instant")
    rows: list[dict[str, Any]] = []
    try:
        for n in range(1, args.max_workers + 1):
            row: dict[str, Any] = {"workers": n}
            common = (server.url, n, args.clients, args.seconds)
            for key, fn in (
                ("llmops_raw", partial(run_llmops, *common, True)),
                ("llmops_engine", partial(run_llmops, *common, False)),
                ("wrk", partial(run_wrk, *common)),
            ):
                row[key] = _median(fn, args.runs)
            rows.append(row)
    finally:
        server.close()
    for key in ("llmops_raw", "llmops_engine", "wrk"):
        _factors(rows, key)
    print(f"{args.clients} connections, {args.seconds:g} s per run, median of {args.runs}; "
          f"{os.cpu_count()} cores, the server in its own process on the same machine")  # fmt: skip
    print(f"{'workers':>7}  {'llmops --raw':>22}  {'llmops (engine)':>22}  {'wrk -t N':>22}")
    for row in rows:
        cells = []
        for key in ("llmops_raw", "llmops_engine", "wrk"):
            r = row[key]
            if "error" in r:
                cells.append(f"{'error':>22}")
            else:
                step = f"x{r['vs_previous']}" if r["vs_previous"] else "-"
                cells.append(f"{r['rps']:>10.0f} req/s {step:>6}")
        print(f"{row['workers']:>7}  " + "  ".join(cells))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "clients": args.clients,
                "seconds": args.seconds,
                "runs": args.runs,
                "note": "factor = req/s at N workers / at N-1 (vs_previous) and / at 1 (vs_one)",
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()

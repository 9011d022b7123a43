"""Wall time of `llmops profile` on one machine against `llmops profile --dask local`, same log.

Generates a JSON-lines log with :func:`profile_throughput.generate` (reproducible seed), then
times, alternating so both see the same machine, ``llmops profile LOG`` (its own worker
processes, one per core) and ``llmops profile --dask local LOG`` (a Dask LocalCluster with a
worker process per core, started and closed by the run), and checks that both wrote the same
``profile.json``. Prints the medians and writes them, with the load average, to
``benchmarks/results/profile_dask.json``. Needs the ``[dask]`` extra.

    python benchmarks/profile_dask.py --size-mb 200 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from profile_throughput import generate

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "profile_dask.json"


def _run(log: Path, reports: Path, extra: list[str]) -> float:
    command = [sys.executable, "-m", "llmops", "profile", str(log), "--report-dir", str(reports)]
    start = time.perf_counter()
    subprocess.run([*command, *extra], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.gettempdir()) / "llmops-bench-dask"
    work.mkdir(exist_ok=True)
    log = work / f"app-{args.size_mb}mb.jsonl"
    if not log.exists():
        generate(log, args.size_mb)
    times: dict[str, list[float]] = {"single": [], "dask local": []}
    load_before = os.getloadavg()
    for _ in range(args.repeat):
        times["single"].append(_run(log, work / "single", []))
        times["dask local"].append(_run(log, work / "dask", ["--dask", "local"]))
    same = (work / "single" / "profile.json").read_bytes() == (
        work / "dask" / "profile.json"
    ).read_bytes()
    size = log.stat().st_size
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    result = {
        "size_bytes": size,
        "cores": os.cpu_count(),
        "repeat": args.repeat,
        "wall_s": times,
        "median_s": medians,
        "same_profile_json": same,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    for name, median in medians.items():
        rounded = [round(t, 2) for t in times[name]]
        print(f"{name:>10}: {median:6.2f} s median ({size / 1e6 / median:5.1f} MB/s), {rounded}")
    print(f"same profile.json: {same}; load average {load_before} -> {os.getloadavg()}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

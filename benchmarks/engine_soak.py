"""Soak: a million calls through the engine leave memory and open file descriptors flat.

Calls go through the whole engine (gate, breaker, limiter, attempt loop, events to an
observer) over the in-process mock transport (profile ``instant``: no latency, so the engine and
the mock are all that runs), 32 callers at a time, one call in ten streamed. After a warm-up,
the resident set size (VmRSS) and the count of open file descriptors are read (after a full
garbage collection) at every checkpoint; flat means the growth from the warm-up to 1M calls is
a small constant, not proportional to the calls.

Usage: python benchmarks/engine_soak.py [--calls 1000000] [--checkpoints 10000,100000,1000000]
Writes benchmarks/results/engine_soak.json. Linux only (reads /proc/self).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import anyio

from llmops import Engine, config_from_dict
from llmops.engine.events import Event
from llmops.mock import MockTransport

RESULTS = Path(__file__).parent / "results" / "engine_soak.json"
CALLERS = 32
MESSAGES = [{"role": "user", "content": "Classify this support ticket: I want a refund."}]


def rss_kib() -> int:
    """Resident set size of this process, KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def config() -> Any:
    return config_from_dict(
        {
            "providers": {
                "mock": {"kind": "openai", "base_url": "http://mock/v1", "model": "mock-1"}
            },
            "limits": {"max_concurrency": CALLERS, "queue_limit": CALLERS},
            "breaker": {"enabled": True},
        }
    )


async def soak(calls: int, checkpoints: list[int]) -> list[dict[str, Any]]:
    seen = [0]

    def observer(event: Event) -> None:  # events are built and handed out, never kept
        seen[0] += 1

    engine = Engine(config(), transport=MockTransport("instant"), observers=[observer])
    points: list[dict[str, Any]] = []
    done = 0
    started = time.perf_counter()
    async with engine:
        todo = iter(range(0))
        marks = sorted(checkpoints)

        async def caller() -> None:
            nonlocal done
            for i in todo:
                await engine.call(MESSAGES, stream=i % 10 == 0)
                done += 1

        while marks:
            target = marks.pop(0)
            async with anyio.create_task_group() as tg:
                todo = iter(range(done, target))
                for _ in range(CALLERS):
                    tg.start_soon(caller)
            gc.collect()
            point = {
                "calls": done,
                "rss_kib": rss_kib(),
                "open_fds": open_fds(),
                "elapsed_s": round(time.perf_counter() - started, 1),
                "events": seen[0],
                "gate_waiting": engine.gate.waiting,
                "gate_in_flight": engine.gate.in_flight,
            }
            points.append(point)
            print(json.dumps(point), flush=True)
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--checkpoints", default="10000,100000,1000000")
    args = parser.parse_args()
    marks = sorted({int(x) for x in args.checkpoints.split(",") if int(x) <= args.calls})
    points = anyio.run(soak, args.calls, marks)
    base = points[0]
    growth = {
        str(p["calls"]): {
            "rss_kib": p["rss_kib"] - base["rss_kib"],
            "open_fds": p["open_fds"] - base["open_fds"],
        }
        for p in points[1:]
    }
    out = {
        "benchmark": "engine_soak",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "load_avg_at_end": os.getloadavg(),
        "callers": CALLERS,
        "points": points,
        "growth_since_first_checkpoint": growth,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(growth))


if __name__ == "__main__":
    main()

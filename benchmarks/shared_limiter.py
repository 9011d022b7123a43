"""The shared (Redis) rate limiter, in one run: speed, latency and goodput.

1. Admissions per second through the Redis limiter from 2 processes, each asking in a tight loop
   under a limit far above what they can reach (target: >= 2,000/s together), and the latency
   each admission adds, as the caller sees it (target: p99 <= 2 ms), both in that tight loop
   (both cores busy) and at a service's pace (2 x 500 admissions/s); beside ``redis-benchmark``
   running the same Lua script (``EVALSHA``) with 2 connections, the server's own ceiling.
2. Goodput at a limit of 600 requests/min over 2 minutes from 3 processes, each asking again as
   soon as it is told it may: the share of the limit used (target >= 97%), and the worst window
   of all admissions against the bucket's bound ``burst + rate x w`` (must never be above it).

A redis-server of its own is started on a free loopback port (never the shared one).

Usage: python benchmarks/shared_limiter.py [--seconds 5] [--goodput-seconds 120]
Writes benchmarks/results/shared_limiter.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from llmops.config import LimitsConfig, StateConfig
from llmops.core.ratelimit import bucket_shape
from llmops.stores.redis_limiter import LIMITER_LUA, RedisLimiter
from llmops.stores.redis_state import SharedRuntimeState, open_runtime_state

RESULTS = Path(__file__).parent / "results" / "shared_limiter.json"
PREFIX = "llmops-bench"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _limiter(url: str, limits: LimitsConfig) -> tuple[SharedRuntimeState, RedisLimiter]:
    state = await open_runtime_state(
        StateConfig(backend="redis", url=url, key_prefix=PREFIX), time.monotonic
    )
    assert isinstance(state, SharedRuntimeState)
    limiter = state.limiter("bench", limits)
    assert isinstance(limiter, RedisLimiter)
    return state, limiter


def tight_loop(url: str, start_at: float, seconds: float) -> dict[str, Any]:
    """Admissions in a tight loop (one in flight) under an unreachable limit; their latencies."""

    async def run() -> dict[str, Any]:
        state, limiter = await _limiter(url, LimitsConfig(requests_per_minute=1e9, burst=60))
        for _ in range(200):  # warm the connection and the script cache
            await limiter.acquire(1)
        await asyncio.sleep(max(0.0, start_at - time.time()))
        latencies: list[float] = []
        end = time.perf_counter() + seconds
        while (t0 := time.perf_counter()) < end:
            wait = await limiter.acquire(1)
            latencies.append(time.perf_counter() - t0)
            assert wait == 0.0
        await state.aclose()
        return {"admitted": len(latencies), "latencies": latencies}

    return asyncio.run(run())


def paced_loop(url: str, start_at: float, seconds: float, per_s: float) -> list[float]:
    """Admissions at a steady pace (as a service asks), the latency of each."""

    async def run() -> list[float]:
        state, limiter = await _limiter(url, LimitsConfig(requests_per_minute=1e9, burst=60))
        for _ in range(200):
            await limiter.acquire(1)
        await asyncio.sleep(max(0.0, start_at - time.time()))
        latencies: list[float] = []
        t_next = time.perf_counter()
        for _ in range(int(seconds * per_s)):
            t_next += 1.0 / per_s
            t0 = time.perf_counter()
            await limiter.acquire(1)
            latencies.append(time.perf_counter() - t0)
            await asyncio.sleep(max(0.0, t_next - time.perf_counter()))
        await state.aclose()
        return latencies

    return asyncio.run(run())


def goodput_loop(url: str, rpm: float, start_at: float, seconds: float) -> list[float]:
    """Ask again as soon as told; the server time of each admission."""

    async def run() -> list[float]:
        state, limiter = await _limiter(url, LimitsConfig(requests_per_minute=rpm))
        await asyncio.sleep(max(0.0, start_at - time.time()))
        admitted: list[float] = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            wait = await limiter.acquire(1)
            if wait <= 0:
                admitted.append(limiter.last_admitted_at)
            else:
                await asyncio.sleep(min(wait, end - time.monotonic()))
        await state.aclose()
        return admitted

    return asyncio.run(run())


def worst_window_excess(times: list[float], capacity: float, rate: float) -> tuple[float, float]:
    """The most admissions in any window above ``capacity + rate * w``, and that window's length."""
    ts = sorted(times)
    worst, worst_w = -float("inf"), 0.0
    best, best_t = -float("inf"), 0.0
    for j, t in enumerate(ts):
        if rate * t - j > best:
            best, best_t = rate * t - j, t
        excess = (j + 1) - rate * t - capacity + best
        if excess > worst:
            worst, worst_w = excess, t - best_t
    return worst, worst_w


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1]


def redis_benchmark(port: int, requests: int) -> dict[str, Any] | None:
    """``redis-benchmark`` running the limiter's script by EVALSHA, 2 connections."""
    binary = shutil.which("redis-benchmark")
    if binary is None:
        return None
    sha = subprocess.run(
        ["redis-cli", "-p", str(port), "script", "load", LIMITER_LUA],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    r_cap, r_rate = bucket_shape(1e9, 60)
    cmd = [binary, "-p", str(port), "-n", str(requests), "-c", "2", "--csv", "evalsha", sha, "1"]
    cmd += [f"{PREFIX}:{{limiter}}:redis-benchmark", "acquire", repr(r_cap), repr(r_rate)]
    cmd += ["0", "0", "1", "0"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()
    header = [h.strip('"') for h in out[0].split(",")]
    row = [v.strip('"') for v in out[-1].split(",")]
    return dict(zip(header, row, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="tight-loop duration")
    parser.add_argument("--goodput-seconds", type=float, default=120.0)
    parser.add_argument("--rpm", type=float, default=600.0)
    args = parser.parse_args()
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed")
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with tempfile.TemporaryDirectory(prefix="llmops-bench-redis-") as tmp:
        cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        cmd += ["--appendonly", "no", "--dir", tmp]
        server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        try:
            time.sleep(0.5)  # let the server start listening
            result = _measure(url, port, args)
        finally:
            server.terminate()
            server.wait(timeout=10)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


def _measure(url: str, port: int, args: argparse.Namespace) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(3, mp_context=ctx) as pool:
        start_at = time.time() + 2.0
        runs = [pool.submit(tight_loop, url, start_at, args.seconds) for _ in range(2)]
        tight = [r.result() for r in runs]
        latencies = [x for run in tight for x in run["latencies"]]
        admitted = sum(run["admitted"] for run in tight)
        start_at = time.time() + 2.0
        runs = [pool.submit(paced_loop, url, start_at, args.seconds, 500.0) for _ in range(2)]
        paced = [x for r in runs for x in r.result()]
        peer = redis_benchmark(port, 100_000)
        print(f"tight loop: {admitted / args.seconds:,.0f} admissions/s; peer: {peer}")
        start_at = time.time() + 2.0
        runs = [
            pool.submit(goodput_loop, url, args.rpm, start_at, args.goodput_seconds)
            for _ in range(3)
        ]
        per_process = [r.result() for r in runs]
    times = [t for run in per_process for t in run]
    limits = LimitsConfig(requests_per_minute=args.rpm)
    capacity, rate = bucket_shape(args.rpm, limits.burst)
    excess, window = worst_window_excess(times, capacity, rate)
    span = max(times) - min(times)
    return {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "admissions": {
            "processes": 2,
            "seconds": args.seconds,
            "admissions_per_s": round(admitted / args.seconds),
            "latency_ms": {
                "p50": round(statistics.median(latencies) * 1e3, 3),
                "p99": round(_percentile(latencies, 0.99) * 1e3, 3),
                "max": round(max(latencies) * 1e3, 3),
            },
            "paced_1000_per_s_latency_ms": {
                "p50": round(statistics.median(paced) * 1e3, 3),
                "p99": round(_percentile(paced, 0.99) * 1e3, 3),
                "max": round(max(paced) * 1e3, 3),
            },
            "targets": {"admissions_per_s": 2000, "p99_ms": 2.0},
            "redis_benchmark_evalsha_2_connections": peer,
        },
        "goodput": {
            "processes": 3,
            "limit_per_minute": args.rpm,
            "burst_s": limits.burst,
            "bucket": {"capacity": capacity, "refill_per_s": rate},
            "seconds": args.goodput_seconds,
            "admitted": len(times),
            "admitted_per_process": [len(run) for run in per_process],
            "share_of_limit_used": round(len(times) / (rate * args.goodput_seconds), 4),
            "bound_over_the_run": round(capacity + rate * span, 1),
            "share_of_bound_used": round(len(times) / (capacity + rate * span), 4),
            "worst_window_excess": round(excess, 6),
            "worst_window_s": round(window, 3),
            "never_above_bound": excess <= 1e-6,
            "target_share": 0.97,
        },
    }


if __name__ == "__main__":
    main()

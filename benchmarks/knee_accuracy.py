"""Knee accuracy against ground truth: does the knee fall where the capacity is?

Each trial is a mock profile of known capacity (``slots`` requests served at once, as many
again waiting, 503 beyond) with noisy latency (service time jittered ±30 %, answer lengths
log-normal), and a closed-loop ladder around that capacity: geometric steps (ratio 1.5 or 2,
several phases, from about a quarter of the capacity to four times it, so the capacity falls
on a step or between two). The true knee is the first step above the capacity: up to
``slots`` clients are served at once and latency stays flat; one more client waits. A trial
is right when the knee found is within one ladder step of it.

Everything runs in process on trio's virtual clock (``llmops.mock.MockTransport``, no
sockets), so a ladder of thousands of requests takes a second or two of CPU, not of waiting.

Usage: python benchmarks/knee_accuracy.py [--seeds 4] [--capacities 8,16,32,64,128] [--raw]
Writes benchmarks/results/knee_accuracy.json; the test suite runs a reduced form
(tests/loadtest/test_knee_accuracy.py).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import anyio
from trio.testing import MockClock

from llmops.engine.clock import AnyioClock
from llmops.mock import MockProfile, MockTransport
from llmops.workflows.loadtest import LoadtestOptions, LoadtestResult, run_loadtest
from llmops.workflows.target import target_from_url

RESULTS = Path(__file__).resolve().parent / "results" / "knee_accuracy.json"
CAPACITIES = (8, 16, 32, 64, 128)
#: (ratio, phase): ladder steps are capacity x ratio ** (k + phase), k = -3 .. 3
LADDERS = ((2.0, 0.0), (2.0, 0.5), (1.5, 0.0), (1.5, 1 / 3), (1.5, 2 / 3))


def noisy_profile(slots: int) -> MockProfile:
    """Capacity ``slots`` (+ as many queued, 503 beyond), 0.2 s to the first token, 10 ms a
    token, answers log-normal around 40 tokens, each service time jittered by ±30 %."""
    return MockProfile.model_validate(
        {
            "name": f"capacity-{slots}",
            "latency": {"ttft_s": 0.2, "time_per_token_s": 0.01, "jitter": 0.3},
            "capacity": {"slots": slots, "queue": slots},
            "output_tokens": {"mean": 40, "sigma": 0.5, "min": 5, "max": 200},
        }
    )


def ladder_around(capacity: int, ratio: float, phase: float) -> tuple[int, ...]:
    """Whole-number steps ``capacity x ratio**(k + phase)`` from about capacity/4 to 4x."""
    lo, hi = math.floor(math.log(0.25, ratio)), math.ceil(math.log(4.0, ratio))
    steps = {max(1, round(capacity * ratio ** (k + phase))) for k in range(lo, hi + 1)}
    return tuple(sorted(s for s in steps if capacity / 4.5 <= s <= capacity * 4.5))


def true_knee_index(ladder: tuple[int, ...], capacity: int) -> int:
    """The first step above the capacity: where clients start to wait."""
    return next(i for i, load in enumerate(ladder) if load > capacity)


@dataclass(frozen=True, slots=True)
class Trial:
    capacity: int
    ladder: tuple[int, ...]
    seed: int
    true_index: int
    knee_index: int | None
    signal: str | None
    breaker_levels: tuple[int, ...]

    @property
    def error_steps(self) -> int | None:
        return None if self.knee_index is None else self.knee_index - self.true_index

    @property
    def right(self) -> bool:
        return self.error_steps is not None and abs(self.error_steps) <= 1


async def _ladder(options: LoadtestOptions, profile: MockProfile, seed: int) -> LoadtestResult:
    clock = AnyioClock()
    transport = MockTransport(profile, seed=seed, clock=clock)
    target = target_from_url("http://mock.test/v1", "openai", "mock-1", local=True)
    return await run_loadtest(
        options, target, transport=transport, clock=clock, cpu_clock=lambda: 0.0
    )


def run_trial(
    capacity: int, ladder: tuple[int, ...], seed: int, *, requests: int | None, raw: bool
) -> Trial:
    """One ladder against one noisy profile of known capacity, on trio's virtual clock."""
    options = LoadtestOptions(levels=ladder, requests=requests, raw=raw, seed=seed)
    result: LoadtestResult = anyio.run(
        partial(_ladder, options, noisy_profile(capacity), seed),
        backend="trio",
        backend_options={"clock": MockClock(autojump_threshold=0)},
    )
    knee = result.verdict.knee
    return Trial(
        capacity,
        ladder,
        seed,
        true_knee_index(ladder, capacity),
        None if knee is None else knee.index,
        None if knee is None else knee.signal,
        tuple(int(lv.load) for lv in result.levels if lv.breaker_refusals),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--capacities", default=",".join(map(str, CAPACITIES)))
    parser.add_argument("--requests", type=int, default=None, help="per level (default: llmops's)")
    parser.add_argument("--raw", action="store_true", help="straight to the API, no engine")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)
    capacities = [int(c) for c in args.capacities.split(",")]
    t0 = time.perf_counter()
    trials: list[Trial] = []
    for capacity in capacities:
        for ratio, phase in LADDERS:
            ladder = ladder_around(capacity, ratio, phase)
            for seed in range(args.seeds):
                trial = run_trial(capacity, ladder, seed, requests=args.requests, raw=args.raw)
                trials.append(trial)
                mark = "ok  " if trial.right else "MISS"
                print(
                    f"{mark} capacity {capacity:>3} ladder {','.join(map(str, ladder))}"
                    f" seed {seed}: knee at "
                    f"{'none' if trial.knee_index is None else ladder[trial.knee_index]}"
                    f" ({trial.signal}), truth {ladder[trial.true_index]}",
                    flush=True,
                )
    right = sum(t.right for t in trials)
    exact = sum(t.error_steps == 0 for t in trials)
    by_capacity: dict[str, Any] = {}
    for capacity in capacities:
        mine = [t for t in trials if t.capacity == capacity]
        by_capacity[str(capacity)] = {
            "trials": len(mine),
            "within_one_step": sum(t.right for t in mine),
            "exact": sum(t.error_steps == 0 for t in mine),
        }
    summary = {
        "benchmark": "knee_accuracy",
        "mode": "raw" if args.raw else "engine",
        "trials": len(trials),
        "within_one_step": right,
        "exact": exact,
        "by_capacity": by_capacity,
        "misses": [
            {
                "capacity": t.capacity,
                "ladder": list(t.ladder),
                "seed": t.seed,
                "knee": None if t.knee_index is None else t.ladder[t.knee_index],
                "truth": t.ladder[t.true_index],
                "signal": t.signal,
            }
            for t in trials
            if not t.right
        ],
        "wall_s": round(time.perf_counter() - t0, 1),
        "python": platform.python_version(),
    }
    print(
        f"within one step: {right}/{len(trials)}; exact: {exact}/{len(trials)}; "
        f"{summary['wall_s']} s"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    return 0 if right == len(trials) else 1


if __name__ == "__main__":
    sys.exit(main())

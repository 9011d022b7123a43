"""Knee accuracy against ground truth, reduced: noisy mock profiles of known capacity, ladders
whose steps straddle it; the knee falls within one step of the first step above capacity.
The full simulation (capacities 8-128, five ladders, several seeds) is
``benchmarks/knee_accuracy.py``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from llmops.workflows.loadtest import LoadtestOptions

pytestmark = pytest.mark.anyio

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "knee_accuracy.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("knee_accuracy_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _bench()


@pytest.mark.parametrize(
    ("capacity", "ratio", "phase"),
    # capacity between two ratio-2 steps (found exactly), and 9 clients on 8 slots (one step late)
    [(8, 2.0, 0.5), (16, 2.0, 0.5), (8, 1.5, 1 / 3)],
)
async def test_knee_within_one_step_of_the_capacity(
    capacity: int, ratio: float, phase: float
) -> None:
    ladder = bench.ladder_around(capacity, ratio, phase)
    truth = bench.true_knee_index(ladder, capacity)
    options = LoadtestOptions(levels=ladder, requests=100)
    result = await bench._ladder(options, bench.noisy_profile(capacity), 1)
    knee = result.verdict.knee
    assert knee is not None, result.verdict.lines
    assert abs(knee.index - truth) <= 1, (ladder, capacity, knee.reason)


def test_ladders_straddle_the_capacity() -> None:
    # the truth is the first step above the capacity, with steps on both sides of it
    ladder = bench.ladder_around(16, 2.0, 0.5)
    assert ladder == (6, 11, 23, 45) and bench.true_knee_index(ladder, 16) == 2

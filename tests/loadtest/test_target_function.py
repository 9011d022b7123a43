"""``--target-function``: the ladder over the team's own callable, end to end.

The async cases run on trio's virtual clock (the loadtest conftest): a function holding an
``anyio.CapacityLimiter`` of K for a fixed service time has a planted capacity, and the knee
must land on the first level above it. The sync cases run on asyncio in real time: a
``threading.Barrier`` proves the calls run in worker threads, side by side."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest

from llmops.engine.clock import AnyioClock
from llmops.errors import CapacityExceeded
from llmops.workflows.loadtest import LoadtestOptions, LoadtestResult, run_loadtest
from llmops.workflows.service import FunctionTarget
from llmops.workflows.service.function import _mode
from llmops.workflows.target import service_target

SERVICE_S = 0.2


def _target(fn: Callable[..., Any], spec: str = "tests:fn") -> Any:
    return service_target(FunctionTarget(spec, fn, _mode(fn)))


async def _run(options: LoadtestOptions, fn: Callable[..., Any]) -> LoadtestResult:
    clock = AnyioClock()
    return await run_loadtest(options, _target(fn), clock=clock, cpu_clock=lambda: 0.0)


def _saturating(capacity: int) -> Callable[[str], Any]:
    limiter = anyio.CapacityLimiter(capacity)

    async def summarize(prompt: str) -> str:
        async with limiter:
            await anyio.sleep(SERVICE_S)
        return prompt[:10]

    return summarize


@pytest.mark.anyio
@pytest.mark.parametrize(("capacity", "levels"), [(4, (2, 4, 8, 16)), (6, (3, 6, 12, 24))])
async def test_the_knee_lands_on_the_first_level_above_the_planted_capacity(
    capacity: int, levels: tuple[int, ...]
) -> None:
    result = await _run(LoadtestOptions(levels=levels, requests=60), _saturating(capacity))
    knee = result.verdict.knee
    assert knee is not None, result.verdict.lines
    assert knee.load == min(x for x in levels if x > capacity)
    # the ceiling is near the planted capacity at the planted service time, never above it
    # (a short level's window edges cost a few percent)
    ceiling = max(level.throughput_rps for level in result.levels)
    assert 0.9 * capacity / SERVICE_S <= ceiling <= capacity / SERVICE_S * 1.001
    assert result.target == "function tests:fn" and result.target_kind == "function"
    assert result.model is None


@pytest.mark.anyio
async def test_open_loop_finds_the_knee_at_the_first_rate_above_the_capacity() -> None:
    # 4 slots of 0.2 s serve 20 requests/s: 10/s is served, 40/s queues without bound
    rates = (5.0, 10.0, 40.0)
    result = await _run(LoadtestOptions(rates=rates, requests=100), _saturating(4))
    knee = result.verdict.knee
    assert knee is not None, result.verdict.lines
    assert knee.load == min(r for r in rates if r > 4 / SERVICE_S)


@pytest.mark.anyio
async def test_a_function_that_never_waits_is_still_called_by_every_client() -> None:
    callers: list[int] = []

    async def instant(prompt: str) -> str:
        callers.append(anyio.get_current_task().id)
        return prompt

    result = await _run(LoadtestOptions(levels=(4,), requests=40, warmup=0), instant)
    assert result.levels[0].successes == 40
    # every client takes its turns, not the first one its whole share and the others none
    assert len(set(callers)) == 4
    assert max(callers.count(c) for c in set(callers)) <= 11


@pytest.mark.anyio
async def test_raised_exceptions_are_failures_by_class_name() -> None:
    calls = 0

    async def flaky(prompt: str) -> str:
        nonlocal calls
        calls += 1
        await anyio.sleep(0.01)
        if calls % 4 == 1:
            raise KeyError("customer")
        if calls % 4 == 2:
            raise CapacityExceeded("queue full")
        return "fine"

    result = await _run(LoadtestOptions(levels=(1,), requests=40, warmup=0), flaky)
    level = result.levels[0]
    assert level.errors_by_class == {"KeyError": 10, "shed": 10}
    assert level.successes == 20 and level.success_rate == pytest.approx(0.5)
    assert level.causes["raised KeyError: 'customer'"] == 10


@pytest.mark.anyio
async def test_a_call_past_the_timeout_is_a_timeout() -> None:
    async def stuck(prompt: str) -> str:
        await anyio.sleep(10)
        return "late"

    options = LoadtestOptions(levels=(2,), requests=4, warmup=0, timeout_s=0.5)
    level = (await _run(options, stuck)).levels[0]
    assert level.errors_by_class == {"timeout": 4}


@pytest.mark.anyio
async def test_reported_usage_counts_as_the_output_tokens() -> None:
    async def with_usage(prompt: str) -> dict[str, Any]:
        await anyio.sleep(0.1)
        return {"text": "a summary", "usage": {"output_tokens": 7}}

    level = (await _run(LoadtestOptions(levels=(2,), requests=20), with_usage)).levels[0]
    assert level.successes == 20
    assert level.output_tokens_per_s == pytest.approx(7 * level.throughput_rps)


@pytest.mark.anyio
async def test_an_async_generator_is_timed_chunk_by_chunk_with_stream() -> None:
    async def chunks(prompt: str) -> AsyncIterator[str]:
        await anyio.sleep(0.05)
        yield "first "
        await anyio.sleep(0.1)
        yield "second"

    options = LoadtestOptions(levels=(2,), requests=10, stream=True)
    level = (await _run(options, chunks)).levels[0]
    assert level.successes == 10
    assert level.ttft_ms is not None and level.latency_ms is not None
    assert level.ttft_ms["p50"] == pytest.approx(50, abs=1)
    assert level.latency_ms["p50"] == pytest.approx(150, abs=1)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_a_sync_function_runs_in_worker_threads_side_by_side(anyio_backend: str) -> None:
    clients = 4
    barrier = threading.Barrier(clients, timeout=10)
    lock = threading.Lock()
    inside = peak = 0
    loop_thread = threading.get_ident()
    threads: set[int] = set()

    def blocking(prompt: str) -> str:
        nonlocal inside, peak
        with lock:
            inside += 1
            peak = max(peak, inside)
            threads.add(threading.get_ident())
        try:
            barrier.wait()  # only passes when `clients` calls block at once
        finally:
            with lock:
                inside -= 1
        return "done"

    options = LoadtestOptions(levels=(clients,), requests=2 * clients, timeout_s=20)
    result = await run_loadtest(options, _target(blocking), cpu_clock=lambda: 0.0)
    level = result.levels[0]
    assert level.successes == 2 * clients, level.errors_by_class
    assert peak == clients and loop_thread not in threads


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_a_sync_function_of_planted_capacity_has_its_knee_above_it(
    anyio_backend: str,
) -> None:
    # real time: 2 slots held 0.1 s each (time.sleep in the worker threads)
    import time

    capacity = 2
    slots = threading.Semaphore(capacity)

    def blocking(prompt: str) -> str:
        with slots:
            time.sleep(0.1)
        return "done"

    options = LoadtestOptions(levels=(capacity, 2 * capacity), requests=16, timeout_s=20)
    result = await run_loadtest(options, _target(blocking), cpu_clock=lambda: 0.0)
    knee = result.verdict.knee
    assert knee is not None and knee.load == 2 * capacity, result.verdict.lines


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_a_sync_function_that_raises_fails_by_class(anyio_backend: str) -> None:
    def refuses(prompt: str) -> str:
        raise PermissionError("no access to the summariser")

    options = LoadtestOptions(levels=(2,), requests=6, timeout_s=20)
    level = (await run_loadtest(options, _target(refuses), cpu_clock=lambda: 0.0)).levels[0]
    assert level.errors_by_class == {"PermissionError": 6}
    assert level.causes == {"raised PermissionError: no access to the summariser": 6}

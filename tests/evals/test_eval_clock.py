"""An eval run takes its times from the clock it is given: the run's stamps and each call's
latency follow a virtual clock, on real event loops, with no real time passing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from llmops.config import LlmopsConfig
from llmops.engine.clock import VirtualClock
from llmops.engine.transport_httpx import HttpxTransport
from llmops.stores.history_sqlite import SqliteHistory
from llmops.workflows.evals import EvalOptions, Suite, evaluate, mock_target

pytestmark = pytest.mark.anyio

T0 = 1_767_225_600.0  # 2026-01-01 UTC
ANSWER_S = 2.0


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def slow_upstream(clock: VirtualClock) -> HttpxTransport:
    """Answers "pong" after ``ANSWER_S`` seconds on ``clock``."""

    async def handler(request: httpx.Request) -> httpx.Response:
        await clock.advance(ANSWER_S)
        body: dict[str, Any] = {
            "id": "c-1",
            "object": "chat.completion",
            "model": "mock-1-2026-01",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "pong"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        }
        return httpx.Response(200, json=body)

    return HttpxTransport(httpx.AsyncClient(transport=httpx.MockTransport(handler)))


def ping_suite(cases: int) -> Suite:
    check = {"type": "equals", "value": "pong"}
    return Suite.model_validate(
        {"name": "ping", "cases": [{"input": f"ping {i}", "checks": [check]} for i in range(cases)]}
    )


async def test_a_run_is_stamped_and_timed_on_the_injected_clock() -> None:
    clock = VirtualClock(wall_start=T0)
    out = await evaluate(
        ping_suite(3),
        mock_target(LlmopsConfig()),
        options=EvalOptions(concurrency=1),
        transport=slow_upstream(clock),
        clock=clock,
        commit=None,
    )
    run = out.run
    assert (run.started_at, run.finished_at) == (T0, T0 + 3 * ANSWER_S)
    assert [c.latency_s for c in run.cases] == [ANSWER_S] * 3
    assert all(c.passed for c in run.cases)


async def test_later_runs_find_the_earlier_ones_by_the_clocks_time(tmp_path: Any) -> None:
    clock = VirtualClock(wall_start=T0)
    store = SqliteHistory(tmp_path / "history.sqlite3")
    runs = []
    for _ in range(2):
        out = await evaluate(
            ping_suite(1),
            mock_target(LlmopsConfig()),
            history=store,
            transport=slow_upstream(clock),
            clock=clock,
            commit=None,
        )
        runs.append(out)
        await clock.advance(86_400.0)  # a day later
    store.close()
    assert [r.run.started_at for r in runs] == [T0, T0 + ANSWER_S + 86_400.0]
    assert [h.started_at for h in runs[1].history] == [T0, T0 + ANSWER_S + 86_400.0]

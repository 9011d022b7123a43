"""Load-test tests run the ladder on trio's virtual clock against the in-process mock."""

from __future__ import annotations

from typing import Any

import pytest
from trio.testing import MockClock

from llmops.engine.clock import AnyioClock
from llmops.mock import MockProfile, MockTransport
from llmops.workflows.loadtest import (
    LoadtestOptions,
    LoadtestResult,
    Target,
    run_loadtest,
    target_from_url,
)


@pytest.fixture
def mock_clock() -> MockClock:
    return MockClock(autojump_threshold=0)


@pytest.fixture
def anyio_backend(mock_clock: MockClock) -> tuple[str, dict[str, Any]]:
    # autojump: virtual time leaps forward whenever every task is blocked
    return ("trio", {"clock": mock_clock})


def profile(**overrides: Any) -> MockProfile:
    """A profile of known capacity: 4 slots + a queue of 4, exactly 0.2 s per answer
    (0.1 s to the first token + 50 tokens x 2 ms), no jitter, no slow-down per busy slot.
    So 4 clients are served at once; 8 wait 0.2 s more; beyond 8 in the system: 503."""
    data: dict[str, Any] = {
        "name": "known-capacity",
        "latency": {"ttft_s": 0.1, "time_per_token_s": 0.002},
        "capacity": {"slots": 4, "queue": 4},
        "output_tokens": {"mean": 50, "sigma": 0, "min": 50, "max": 50},
    }
    data.update(overrides)
    return MockProfile.model_validate(data)


def target() -> Target:
    return target_from_url("http://mock.test/v1", "openai", "mock-1", local=True)


async def run(
    options: LoadtestOptions,
    mock: MockProfile | None = None,
    *,
    at: Target | None = None,
    **kw: Any,
) -> LoadtestResult:
    """The ladder over an in-process MockTransport on the (virtual) anyio clock, against
    ``at`` (by default the mock's URL with default settings)."""
    clock = AnyioClock()
    transport = MockTransport(mock or profile(), clock=clock)
    return await run_loadtest(
        options, at or target(), transport=transport, clock=clock, cpu_clock=lambda: 0.0, **kw
    )

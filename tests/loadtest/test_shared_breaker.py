"""After the warm-up a load test closes the breaker the warm-up opened, but never one it shares
with the fleet (``--shared-state``): that would close it for every instance of the service."""

from __future__ import annotations

import pytest

from llmops.engine.clock import AnyioClock
from llmops.engine.engine import Engine
from llmops.mock import MockTransport
from llmops.workflows.loadtest.callers import EngineCaller
from llmops.workflows.loadtest.prompts import synthetic_prompts
from tests.loadtest.conftest import profile, target

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(("shared", "after"), [(False, "closed"), (True, "open")])
async def test_begin_measuring_closes_only_a_breaker_of_its_own(shared: bool, after: str) -> None:
    at = target()
    clock = AnyioClock()
    async with Engine(
        at.config, transport=MockTransport(profile(), clock=clock), clock=clock
    ) as engine:
        caller = EngineCaller(
            engine, at, synthetic_prompts(count=4), max_tokens=16, stream=False
        )  # fmt: skip
        await engine.open_circuit(at.provider)
        breaker = engine.upstream(at.provider).breaker
        assert breaker is not None and breaker.known_state().value == "open"
        breaker.shared = shared  # as the fleet's Redis breaker is (without needing Redis here)

        caller.begin_measuring()
        await clock.sleep(0)

        assert breaker.known_state().value == after

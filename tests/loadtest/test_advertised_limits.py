"""A load test records the limits the provider advertised in its rate-limit headers, so the
runbook can compare the declared limits with them."""

from __future__ import annotations

import orjson
import pytest

from llmops.reporters.loadtest_json import render_json
from llmops.workflows.loadtest import LoadtestOptions
from tests.loadtest.conftest import profile, run

pytestmark = pytest.mark.anyio


async def test_the_report_records_the_limits_the_headers_advertised() -> None:
    limited = profile(rate_limits={"requests_per_minute": 600, "tokens_per_minute": 90_000})
    result = await run(LoadtestOptions(levels=(2, 4), requests=10, warmup=0), limited)

    data = orjson.loads(render_json(result))

    expected = {"requests_per_minute": 600, "tokens_per_minute": 90_000}
    assert data["advertised_limits"] == expected
    assert all(level["advertised_limits"] == expected for level in data["levels"])


async def test_without_rate_limit_headers_nothing_is_advertised() -> None:
    result = await run(LoadtestOptions(levels=(2,), requests=10, warmup=0), profile())

    assert orjson.loads(render_json(result))["advertised_limits"] == {}

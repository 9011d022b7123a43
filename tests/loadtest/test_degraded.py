"""A fallback's answer is not a success; the cause behind failures is named; load traffic
never writes into the user's stores. On virtual time against the in-process mock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from llmops.config import config_from_dict
from llmops.reporters.loadtest_json import render_json
from llmops.reporters.loadtest_markdown import render_markdown, table_header
from llmops.workflows.loadtest import LoadtestOptions, Target, parse_slo
from llmops.workflows.target import target_from_config
from tests.loadtest.conftest import profile, run

pytestmark = pytest.mark.anyio

DOWN = profile(faults={"outages": [{"start_s": 0, "status": 503}]})
BREAKER = {
    "enabled": True,
    "failure_rate_threshold": 0.5,
    "minimum_calls": 4,
    "window_s": 60,
    "open_s": 30,
}


def feature_target(fallback: dict[str, Any], **settings: Any) -> Target:
    data: dict[str, Any] = {
        "providers": {
            "main": {"kind": "openai", "base_url": "http://mock.test/v1", "model": "mock-1"}
        },
        "features": {"summarize": {"provider": "main", "fallback": fallback}},
        "retry": {"max_attempts": 2, "backoff_base_s": 0.05, "backoff_cap_s": 0.1},
        **settings,
    }
    return target_from_config(config_from_dict(data), feature="summarize")


DEFAULT = {"strategy": "default", "value": "Summary unavailable."}


async def test_fallback_answers_are_degraded_not_success() -> None:
    options = LoadtestOptions(
        levels=(2,), requests=20, slo=tuple(parse_slo("success>=99%,p95<=5s"))
    )
    result = await run(options, DOWN, at=feature_target(DEFAULT))
    level = result.levels[0]
    assert (level.ok, level.degraded) == (0, 20)
    assert level.success_rate == 0.0 and level.degraded_rate == 1.0
    assert result.slo_failed


async def test_degraded_is_its_own_slo_metric() -> None:
    options = LoadtestOptions(levels=(2,), requests=20, slo=tuple(parse_slo("degraded<=1%")))
    result = await run(options, DOWN, at=feature_target(DEFAULT))
    assert result.verdict.slo is not None
    assert result.verdict.slo.checks[0].measured == 1.0 and result.slo_failed


async def test_the_verdict_says_the_fallback_answered_and_why() -> None:
    result = await run(LoadtestOptions(levels=(2,), requests=20), DOWN, at=feature_target(DEFAULT))
    said = " ".join(result.verdict.lines)
    assert "fallback answered 20 requests" in said
    assert "HTTP 503 (overloaded)" in said


async def test_degraded_column_in_every_table() -> None:
    result = await run(LoadtestOptions(levels=(2,), requests=20), DOWN, at=feature_target(DEFAULT))
    assert "degraded" in table_header(result)
    row = render_markdown(result).splitlines()
    header = next(line for line in row if line.startswith("| clients"))
    values = next(line for line in row if line.startswith("| 2 "))
    cells = dict(zip(header.split("|"), values.split("|"), strict=True))
    assert cells[" degraded "].strip() == "100.0%" and cells[" success "].strip() == "0.0%"
    level = orjson.loads(render_json(result))["levels"][0]
    assert (level["degraded"], level["success_rate"]) == (20, 0.0)
    assert level["causes"] == {"HTTP 503 (overloaded)": 20}


async def test_breaker_refusals_name_the_upstream_cause() -> None:
    # the engine's breaker opens on the 503s and then refuses: the cause behind is named
    target = feature_target({"strategy": "error"}, breaker=BREAKER)
    result = await run(LoadtestOptions(levels=(2,), requests=20, warmup=0), DOWN, at=target)
    level = result.levels[0]
    assert level.errors_by_class.get("circuit_open", 0) > 0
    assert level.breaker_refusals == level.errors_by_class["circuit_open"]
    assert set(level.causes) == {"HTTP 503 (overloaded)"}
    said = " ".join(result.verdict.lines)
    assert "behind them: HTTP 503 (overloaded)" in said
    assert "our own circuit breaker" in said and "Separately, the target itself" in said


async def test_queue_fallback_leaves_the_users_queue_empty(tmp_path: Path) -> None:
    queue_file = tmp_path / "user-queue.sqlite3"
    target = feature_target({"strategy": "queue", "path": str(queue_file)})
    result = await run(LoadtestOptions(levels=(2,), requests=10), DOWN, at=target)
    assert result.levels[0].degraded == 10
    assert not queue_file.exists()


async def test_events_log_is_not_written_by_load(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    target = feature_target(DEFAULT, events_log=str(log))
    await run(LoadtestOptions(levels=(2,), requests=10), DOWN, at=target)
    assert not log.exists() or log.read_text() == ""


def test_bare_latency_number_is_refused_with_the_units() -> None:
    from llmops.errors import InputError

    with pytest.raises(InputError, match=r"p95<=500ms or p95<=500s"):
        parse_slo("p95<=500")


async def test_at_overload_our_breaker_is_told_apart_from_the_target() -> None:
    # 4 slots, no queue: at 32 clients the mock answers 503 to the overflow, the engine's
    # breaker opens on them and refuses; the verdict says so and, apart, what the target did
    mock = profile(capacity={"slots": 4, "queue": 0})
    target = feature_target({"strategy": "error"}, breaker=BREAKER)
    result = await run(LoadtestOptions(levels=(2, 4, 32), requests=96), mock, at=target)
    over = result.levels[-1]
    assert over.breaker_refusals > 0 and over.errors_by_status.get("503", 0) > 0
    line = next(x for x in result.verdict.lines if "our own circuit breaker" in x)
    assert line.startswith("At 32 clients")
    assert "turned overload into refusals" in line
    answered = round(over.upstream_success_rate * over.upstream_attempts)
    assert f"the target itself answered {answered} of {over.upstream_attempts} attempts" in line
    assert f"HTTP 503 x{over.errors_by_status['503']}" in line


async def test_a_breaker_facing_a_broken_target_is_not_called_overload() -> None:
    broken = profile(faults={"outages": [{"start_s": 0, "status": 500}]})
    target = feature_target({"strategy": "error"}, breaker=BREAKER)
    result = await run(LoadtestOptions(levels=(2,), requests=20, warmup=0), broken, at=target)
    line = next(x for x in result.verdict.lines if "our own circuit breaker" in x)
    assert "because the target's own attempts were failing" in line
    assert "overload" not in line

"""The cost guard: estimates before the run, refusals above the cap."""

from __future__ import annotations

import pytest

from llmops.workflows.loadtest import (
    CostRefused,
    LoadtestOptions,
    Price,
    check_cost,
    estimate_cost,
    synthetic_prompts,
)
from llmops.workflows.loadtest.cost import DURATION_RATE_PER_CLIENT, describe_requests

PROMPTS = synthetic_prompts(100, 0, count=4)
OPTIONS = LoadtestOptions(levels=(10, 20), requests=100, warmup=0, max_tokens=100)


def test_estimate_counts_requests_and_tokens_of_every_level() -> None:
    est = estimate_cost(OPTIONS, PROMPTS, "gpt-4o", local=False)
    assert (est.requests, est.output_tokens) == (200, 20_000)


def test_cost_uses_the_longest_matching_price() -> None:
    prices = {"m": Price(1000.0, 1000.0), "m-large": Price(0.0, 10.0)}
    est = estimate_cost(OPTIONS, PROMPTS, "m-large-2025", local=False, prices=prices)
    assert est.cost_usd == pytest.approx(20_000 * 10.0 / 1e6)


def test_local_targets_cost_nothing() -> None:
    assert estimate_cost(OPTIONS, PROMPTS, "gpt-4o", local=True).cost_usd == 0.0


def test_run_above_max_cost_is_refused() -> None:
    est = estimate_cost(OPTIONS, PROMPTS, "claude-opus-4-1", local=False)
    with pytest.raises(CostRefused, match="above --max-cost"):
        check_cost(est, 0.01, yes=False)


def test_yes_overrides_the_cap() -> None:
    est = estimate_cost(OPTIONS, PROMPTS, "claude-opus-4-1", local=False)
    check_cost(est, 0.01, yes=True)


def test_unknown_price_is_refused_without_yes() -> None:
    est = estimate_cost(OPTIONS, PROMPTS, "my-finetune", local=False)
    with pytest.raises(CostRefused, match="no price known"):
        check_cost(est, 100.0, yes=False)


def test_a_count_is_planned_but_a_timed_closed_level_is_an_assumed_estimate() -> None:
    counted = estimate_cost(OPTIONS, PROMPTS, "gpt-4o", local=True)
    assert describe_requests(counted) == f"{counted.requests} requests planned"
    timed = LoadtestOptions(levels=(10, 25), duration_s=5.0, warmup=0)
    est = estimate_cost(timed, PROMPTS, "gpt-4o", local=True)
    assert est.assumed_rate and est.requests == round(35 * DURATION_RATE_PER_CLIENT * 5)
    assert describe_requests(est).startswith(f"about {est.requests} requests (assuming")
    open_loop = LoadtestOptions(rates=(10.0,), duration_s=5.0, warmup=0)
    assert not estimate_cost(open_loop, PROMPTS, "gpt-4o", local=True).assumed_rate

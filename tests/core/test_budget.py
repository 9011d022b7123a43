from __future__ import annotations

from llmops.core.budget import RetryBudget


def spend_all(budget: RetryBudget, now: float, limit: int = 10_000) -> int:
    spent = 0
    while spent < limit and budget.try_spend(now):
        spent += 1
    return spent


def test_floor_allows_retries_without_requests() -> None:
    budget = RetryBudget(ratio=0.2, min_retries_per_s=1.0, window_s=10.0)
    assert spend_all(budget, now=0.0) == 10  # 1/s * 10 s


def test_retries_capped_at_ratio_plus_floor() -> None:
    budget = RetryBudget(ratio=0.2, min_retries_per_s=1.0, window_s=10.0)
    for _ in range(100):
        budget.record_request(now=0.0)
    assert spend_all(budget, now=0.0) == 30  # 0.2 * 100 + 10


def test_denied_retry_is_not_counted() -> None:
    budget = RetryBudget(ratio=0.0, min_retries_per_s=0.2, window_s=10.0)
    spend_all(budget, now=0.0)
    assert budget.try_spend(now=0.0) is False
    assert budget.retries_in_window(0.0) == 2


def test_zero_floor_and_ratio_allows_no_retry() -> None:
    budget = RetryBudget(ratio=0.0, min_retries_per_s=0.0, window_s=10.0)
    budget.record_request(now=0.0)
    assert budget.try_spend(now=0.0) is False


def test_more_requests_allow_more_retries() -> None:
    budget = RetryBudget(ratio=0.5, min_retries_per_s=0.0, window_s=10.0)
    for _ in range(4):
        budget.record_request(now=0.0)
    assert spend_all(budget, now=0.0) == 2
    budget.record_request(now=1.0)
    budget.record_request(now=1.0)
    assert spend_all(budget, now=1.0) == 1


def test_counts_report_the_window() -> None:
    budget = RetryBudget(window_s=10.0)
    for t in (0.0, 1.0, 2.0):
        budget.record_request(now=t)
    budget.try_spend(now=2.5)
    assert (budget.requests_in_window(3.0), budget.retries_in_window(3.0)) == (3, 1)


def test_budget_recovers_as_window_slides() -> None:
    budget = RetryBudget(ratio=0.2, min_retries_per_s=1.0, window_s=10.0)
    assert spend_all(budget, now=0.0) == 10
    assert budget.try_spend(now=9.9) is False
    assert budget.try_spend(now=10.0) is True  # the retries spent at 0.0 have expired


def test_requests_expire_with_the_window() -> None:
    budget = RetryBudget(ratio=0.2, min_retries_per_s=0.0, window_s=10.0)
    for _ in range(50):
        budget.record_request(now=0.5)
    assert budget.requests_in_window(9.5) == 50
    assert budget.requests_in_window(10.5) == 0
    assert budget.try_spend(now=10.5) is False


def test_storm_is_capped_over_a_sustained_outage() -> None:
    # 10 requests/s for 60 s, each wanting 3 retries: retries stay near 20% + floor.
    budget = RetryBudget(ratio=0.2, min_retries_per_s=1.0, window_s=10.0)
    retries = 0
    for tick in range(600):
        now = tick * 0.1
        budget.record_request(now)
        retries += sum(budget.try_spend(now) for _ in range(3))
    # requests=600; the cap allows 0.2 * 100 + 10 = 30 per 10 s window, i.e. ~3 retries/s.
    assert retries <= 3 * 60 + 30
    assert retries >= 3 * 60 - 30

from __future__ import annotations

import random

import pytest

from llmops.core.retry import RetryPolicy, backoff_delay, next_retry_delay


class FixedRandom(random.Random):
    """Returns ``fraction`` of the way through every uniform range (0 = low end, 1 = high end)."""

    def __init__(self, fraction: float) -> None:
        super().__init__(0)
        self.fraction = fraction

    def random(self) -> float:
        return self.fraction


def test_first_backoff_is_within_base() -> None:
    assert backoff_delay(1, 0.5, 20.0, FixedRandom(1.0)) == pytest.approx(0.5)


def test_backoff_ceiling_doubles_per_attempt() -> None:
    ceilings = [backoff_delay(a, 0.5, 100.0, FixedRandom(1.0)) for a in (1, 2, 3, 4)]
    assert ceilings == pytest.approx([0.5, 1.0, 2.0, 4.0])


def test_backoff_ceiling_is_capped() -> None:
    assert backoff_delay(10, 0.5, 20.0, FixedRandom(1.0)) == pytest.approx(20.0)


def test_backoff_is_full_jitter_from_zero() -> None:
    assert backoff_delay(3, 0.5, 20.0, FixedRandom(0.0)) == 0.0
    assert backoff_delay(3, 0.5, 20.0, FixedRandom(0.5)) == pytest.approx(1.0)


def test_backoff_draws_stay_within_bounds_and_spread() -> None:
    rng = random.Random(42)
    draws = [backoff_delay(4, 0.5, 20.0, rng) for _ in range(2000)]
    assert min(draws) >= 0.0 and max(draws) <= 4.0
    assert min(draws) < 0.2 and max(draws) > 3.8  # spread over the whole range


def test_backoff_survives_huge_attempt_numbers() -> None:
    assert backoff_delay(5000, 0.5, 20.0, FixedRandom(1.0)) == pytest.approx(20.0)


def test_backoff_rejects_attempt_zero() -> None:
    with pytest.raises(ValueError, match="attempt"):
        backoff_delay(0, 0.5, 20.0, random.Random(1))


def test_server_delay_is_honoured_over_backoff() -> None:
    delay = next_retry_delay(
        1, server_delay_s=7.0, base_s=0.5, cap_s=20.0, remaining_s=None, rng=FixedRandom(0.0)
    )
    assert delay == 7.0


def test_server_delay_gets_up_to_jitter_s_added() -> None:
    delay = next_retry_delay(
        1,
        server_delay_s=7.0,
        base_s=0.5,
        cap_s=20.0,
        remaining_s=None,
        rng=FixedRandom(1.0),
        jitter_s=0.25,
    )
    assert delay == pytest.approx(7.25)


def test_server_delay_is_not_capped_by_cap_s() -> None:
    delay = next_retry_delay(
        1, server_delay_s=45.0, base_s=0.5, cap_s=20.0, remaining_s=None, rng=FixedRandom(0.0)
    )
    assert delay == 45.0


def test_without_server_delay_uses_backoff() -> None:
    delay = next_retry_delay(
        3, server_delay_s=None, base_s=0.5, cap_s=20.0, remaining_s=None, rng=FixedRandom(1.0)
    )
    assert delay == pytest.approx(2.0)


def test_server_delay_beyond_deadline_gives_up() -> None:
    delay = next_retry_delay(
        1, server_delay_s=10.0, base_s=0.5, cap_s=20.0, remaining_s=8.0, rng=FixedRandom(0.0)
    )
    assert delay is None


def test_delay_equal_to_deadline_gives_up() -> None:
    delay = next_retry_delay(
        1, server_delay_s=8.0, base_s=0.5, cap_s=20.0, remaining_s=8.0, rng=FixedRandom(0.0)
    )
    assert delay is None


def test_backoff_beyond_deadline_gives_up() -> None:
    delay = next_retry_delay(
        4, server_delay_s=None, base_s=0.5, cap_s=20.0, remaining_s=3.0, rng=FixedRandom(1.0)
    )
    assert delay is None  # drew 4.0


def test_delay_within_deadline_is_returned() -> None:
    delay = next_retry_delay(
        1, server_delay_s=2.0, base_s=0.5, cap_s=20.0, remaining_s=8.0, rng=FixedRandom(0.5)
    )
    assert delay == pytest.approx(2.05)


def test_negative_server_delay_counts_as_zero() -> None:
    delay = next_retry_delay(
        1, server_delay_s=-3.0, base_s=0.5, cap_s=20.0, remaining_s=None, rng=FixedRandom(0.0)
    )
    assert delay == 0.0


def test_policy_defaults() -> None:
    assert RetryPolicy() == RetryPolicy(max_attempts=4, base_s=0.5, cap_s=20.0)


def test_policy_counts_the_first_attempt() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert [policy.may_retry(a) for a in (1, 2, 3)] == [True, True, False]


def test_policy_delay_none_when_out_of_attempts() -> None:
    policy = RetryPolicy(max_attempts=2)
    delay = policy.delay(2, server_delay_s=None, remaining_s=None, rng=FixedRandom(0.5))
    assert delay is None


def test_policy_delay_uses_its_backoff() -> None:
    policy = RetryPolicy(max_attempts=5, base_s=1.0, cap_s=3.0)
    delay = policy.delay(3, server_delay_s=None, remaining_s=None, rng=FixedRandom(1.0))
    assert delay == pytest.approx(3.0)


def test_policy_rejects_zero_attempts() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)

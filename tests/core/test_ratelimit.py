from __future__ import annotations

import math

import pytest

from llmops.core.ratelimit import RateLimiter, TokenBucket, bucket_shape

# -- TokenBucket ----------------------------------------------------------------------------


def test_bucket_starts_full() -> None:
    assert TokenBucket(60, 1.0, now=100.0).available(100.0) == 60


def test_bucket_refills_continuously() -> None:
    bucket = TokenBucket(60, 1.0, now=0.0)
    bucket.take(60, now=0.0)
    assert bucket.available(30.0) == pytest.approx(30.0)  # half a minute refills half


def test_bucket_refill_stops_at_capacity() -> None:
    bucket = TokenBucket(60, 1.0, now=0.0)
    bucket.take(10, now=0.0)
    assert bucket.available(1000.0) == 60


def test_wait_time_zero_when_available() -> None:
    assert TokenBucket(10, 1.0, now=0.0).wait_time(10, now=0.0) == 0.0


def test_wait_time_is_deficit_over_rate() -> None:
    bucket = TokenBucket(10, 2.0, now=0.0)
    bucket.take(10, now=0.0)
    bucket.available(1.0)  # level 2
    assert bucket.wait_time(5, now=1.0) == pytest.approx(1.5)


def test_waiting_wait_time_is_enough() -> None:
    bucket = TokenBucket(7, 0.3, now=0.0)
    bucket.take(7, now=0.0)
    wait = bucket.wait_time(3, now=0.0)
    assert bucket.wait_time(3, now=wait) == 0.0


def test_wait_time_infinite_above_capacity() -> None:
    assert TokenBucket(10, 1.0, now=0.0).wait_time(11, now=0.0) == math.inf


def test_wait_time_infinite_without_refill() -> None:
    bucket = TokenBucket(10, 0.0, now=0.0)
    bucket.take(10, now=0.0)
    assert bucket.wait_time(1, now=50.0) == math.inf


def test_take_may_go_negative_and_refills_from_below_zero() -> None:
    bucket = TokenBucket(10, 1.0, now=0.0)
    bucket.take(15, now=0.0)
    assert bucket.available(0.0) == -5
    assert bucket.wait_time(1, now=0.0) == pytest.approx(6.0)


def test_give_refunds_up_to_capacity() -> None:
    bucket = TokenBucket(10, 1.0, now=0.0)
    bucket.take(4, now=0.0)
    bucket.give(3, now=0.0)
    assert bucket.available(0.0) == 9
    bucket.give(100, now=0.0)
    assert bucket.available(0.0) == 10


def test_clamp_lowers_level() -> None:
    bucket = TokenBucket(100, 1.0, now=0.0)
    bucket.clamp(20, now=0.0)
    assert bucket.available(0.0) == 20


def test_clamp_never_raises_level() -> None:
    bucket = TokenBucket(100, 1.0, now=0.0)
    bucket.take(90, now=0.0)
    bucket.clamp(50, now=0.0)
    assert bucket.available(0.0) == 10


def test_clock_stepping_back_does_not_change_level() -> None:
    bucket = TokenBucket(10, 1.0, now=5.0)
    bucket.take(5, now=5.0)
    assert bucket.available(3.0) == 5
    assert bucket.available(6.0) == 6


def test_bucket_rejects_zero_capacity() -> None:
    with pytest.raises(ValueError, match="capacity"):
        TokenBucket(0, 1.0, now=0.0)


# -- RateLimiter ----------------------------------------------------------------------------


def test_acquire_takes_one_request_and_tokens() -> None:
    limiter = RateLimiter(60, 6000, now=0.0)
    assert limiter.try_acquire(1000, now=0.0) == 0.0
    assert limiter.requests is not None and limiter.tokens is not None
    assert limiter.requests.available(0.0) == 59
    assert limiter.tokens.available(0.0) == 5000


def test_rpm_exhaustion_returns_wait_until_next_request() -> None:
    limiter = RateLimiter(60, None, now=0.0)  # refills one request per second
    for _ in range(60):
        assert limiter.try_acquire(0, now=0.0) == 0.0
    assert limiter.try_acquire(0, now=0.0) == pytest.approx(1.0)
    assert limiter.try_acquire(0, now=0.25) == pytest.approx(0.75)
    assert limiter.try_acquire(0, now=1.0) == 0.0


def test_tpm_shortfall_takes_no_request_either() -> None:
    limiter = RateLimiter(60, 600, now=0.0)  # tokens refill at 10/s
    assert limiter.try_acquire(500, now=0.0) == 0.0
    wait = limiter.try_acquire(300, now=0.0)  # 100 left, 200 short
    assert wait == pytest.approx(20.0)
    assert limiter.requests is not None and limiter.tokens is not None
    assert limiter.requests.available(0.0) == 59
    assert limiter.tokens.available(0.0) == 100


def test_rpm_shortfall_takes_no_tokens_either() -> None:
    limiter = RateLimiter(1, 600, now=0.0)
    assert limiter.try_acquire(100, now=0.0) == 0.0
    assert limiter.try_acquire(100, now=0.0) == pytest.approx(60.0)
    assert limiter.tokens is not None
    assert limiter.tokens.available(0.0) == 500


def test_wait_is_the_longer_of_both_limits() -> None:
    limiter = RateLimiter(60, 600, now=0.0)
    for _ in range(60):
        limiter.try_acquire(10, now=0.0)  # requests empty (1 s to next), tokens empty
    assert limiter.try_acquire(50, now=0.0) == pytest.approx(5.0)  # tokens: 50 at 10/s


def test_oversized_request_admitted_when_token_bucket_full() -> None:
    limiter = RateLimiter(None, 1000, now=0.0)
    assert limiter.try_acquire(1500, now=0.0) == 0.0
    assert limiter.tokens is not None
    assert limiter.tokens.available(0.0) == -500


def test_oversized_request_waits_for_a_full_bucket() -> None:
    limiter = RateLimiter(None, 600, now=0.0)
    limiter.try_acquire(300, now=0.0)
    assert limiter.try_acquire(1000, now=0.0) == pytest.approx(30.0)  # 300 more to full at 10/s


def test_unlimited_limiter_always_admits() -> None:
    limiter = RateLimiter(None, None, now=0.0)
    assert all(limiter.try_acquire(10**9, now=0.0) == 0.0 for _ in range(1000))


def test_reconcile_refunds_unused_tokens() -> None:
    limiter = RateLimiter(None, 1000, now=0.0)
    limiter.try_acquire(800, now=0.0)
    limiter.reconcile(reserved=800, actual=300, now=0.0)
    assert limiter.tokens is not None
    assert limiter.tokens.available(0.0) == 700


def test_reconcile_charges_extra_tokens() -> None:
    limiter = RateLimiter(None, 1000, now=0.0)
    limiter.try_acquire(800, now=0.0)
    limiter.reconcile(reserved=800, actual=1100, now=0.0)
    assert limiter.tokens is not None
    assert limiter.tokens.available(0.0) == -100


def test_release_refunds_request_and_tokens() -> None:
    limiter = RateLimiter(10, 1000, now=0.0)
    limiter.try_acquire(400, now=0.0)
    limiter.release(400, now=0.0)
    assert limiter.requests is not None and limiter.tokens is not None
    assert (limiter.requests.available(0.0), limiter.tokens.available(0.0)) == (10, 1000)


def test_observe_remaining_clamps_both_buckets() -> None:
    limiter = RateLimiter(100, 10_000, now=0.0)
    limiter.observe_remaining(requests_remaining=3, tokens_remaining=250, now=0.0)
    assert limiter.requests is not None and limiter.tokens is not None
    assert (limiter.requests.available(0.0), limiter.tokens.available(0.0)) == (3, 250)


def test_observe_remaining_ignores_higher_or_missing_counts() -> None:
    limiter = RateLimiter(100, 10_000, now=0.0)
    limiter.try_acquire(5000, now=0.0)
    limiter.observe_remaining(requests_remaining=None, tokens_remaining=9000, now=0.0)
    assert limiter.requests is not None and limiter.tokens is not None
    assert (limiter.requests.available(0.0), limiter.tokens.available(0.0)) == (99, 5000)


def test_pause_blocks_admission_until_its_end() -> None:
    limiter = RateLimiter(60, 6000, now=0.0)
    limiter.pause_until(12.0)
    assert limiter.try_acquire(1, now=10.0) == pytest.approx(2.0)
    assert limiter.try_acquire(1, now=12.0) == 0.0


def test_paused_acquire_takes_nothing() -> None:
    limiter = RateLimiter(60, 6000, now=0.0)
    limiter.pause_until(5.0)
    limiter.try_acquire(1000, now=0.0)
    assert limiter.requests is not None and limiter.tokens is not None
    assert (limiter.requests.available(0.0), limiter.tokens.available(0.0)) == (60, 6000)


def test_earlier_pause_does_not_shorten_a_later_one() -> None:
    limiter = RateLimiter(60, None, now=0.0)
    limiter.pause_until(20.0)
    limiter.pause_until(5.0)
    assert limiter.paused_until == 20.0


def test_fractional_rpm_admits_one_request_per_period() -> None:
    limiter = RateLimiter(0.5, None, now=0.0)  # one request every two minutes
    assert limiter.try_acquire(0, now=0.0) == 0.0
    assert limiter.try_acquire(0, now=0.0) == pytest.approx(120.0)
    assert limiter.try_acquire(0, now=120.0) == 0.0


def test_adopt_limits_paces_an_unconfigured_limiter_at_the_advertised_rate() -> None:
    limiter = RateLimiter(None, None, now=0.0)
    assert limiter.try_acquire(10, 0.0) == 0.0  # unlimited until the provider says otherwise
    limiter.adopt_limits(60, None, 0.0)
    limiter.observe_remaining(0, None, 0.0)
    assert limiter.try_acquire(10, 0.0) == pytest.approx(1.0)  # 60/min refills one per second


def test_adopt_limits_keeps_a_configured_limit() -> None:
    limiter = RateLimiter(6, None, now=0.0)
    limiter.adopt_limits(6000, None, 0.0)
    assert limiter.requests is not None and limiter.requests.capacity == 6


# -- burst and headroom ---------------------------------------------------------------------


def test_bucket_shape_holds_burst_seconds_of_the_refill() -> None:
    assert bucket_shape(600, 5) == (50.0, 10.0)


def test_bucket_shape_headroom_lowers_the_refill() -> None:
    capacity, refill = bucket_shape(6000, 10, headroom=0.1)
    assert refill == pytest.approx(90.0) and capacity == pytest.approx(900.0)


def test_bucket_shape_always_fits_one_request() -> None:
    assert bucket_shape(6, 1)[0] == 1.0


@pytest.mark.parametrize("args", [(0, 5), (60, 0), (60, 61), (60, 5, 1.0), (60, 5, -0.1)])
def test_bucket_shape_refuses_nonsense(args: tuple[float, ...]) -> None:
    with pytest.raises(ValueError):
        bucket_shape(*args)


def test_burst_bounds_what_goes_at_once() -> None:
    limiter = RateLimiter(600, None, now=0.0, burst_s=2)  # 20 at once, then 10/s
    admitted = sum(limiter.try_acquire(0, now=0.0) == 0.0 for _ in range(100))
    assert admitted == 20
    assert limiter.try_acquire(0, now=0.0) == pytest.approx(0.1)


def test_headroom_is_kept_below_the_providers_remaining_tokens() -> None:
    limiter = RateLimiter(None, 1000, now=0.0, headroom=0.2)
    limiter.observe_remaining(None, 500, now=0.0)
    assert limiter.tokens is not None
    assert limiter.tokens.available(0.0) == pytest.approx(300.0)  # 500 less 20% of 1000


def test_an_adopted_token_limit_keeps_the_headroom() -> None:
    limiter = RateLimiter(None, None, now=0.0, burst_s=60, headroom=0.5)
    limiter.adopt_limits(None, 1200, now=0.0)
    assert limiter.tokens is not None and limiter.tokens.capacity == pytest.approx(600.0)

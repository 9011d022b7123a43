"""stats.casewise: the per-case drift test's prior, exactness, shape and the two-stage design."""

from __future__ import annotations

import math

import numpy as np
import pytest

from llmops.stats.casewise import (
    RERUN_BELOW,
    BetaPrior,
    beta_prior,
    look_alpha,
    surprise_test,
    two_stage_p,
)


def test_beta_prior_recovers_the_suite_mean_and_spread() -> None:
    rng = np.random.default_rng(1)
    p = rng.beta(4.45, 0.55, 2000)  # mean 0.89, a + b = 5
    x = rng.binomial(7, p)
    prior = beta_prior(x, np.full(2000, 7))
    assert prior.mean == pytest.approx(0.89, abs=0.01)
    assert 3.5 < prior.a + prior.b < 7.0


def test_a_suite_that_never_failed_still_may_fail() -> None:
    prior = beta_prior([7] * 50, [7] * 50)
    assert 0.99 < prior.mean < 1.0


def test_no_failure_now_is_no_evidence() -> None:
    test = surprise_test(BetaPrior(4.0, 1.0), [7, 5, 3], [7, 7, 7], [0, 0, 0], [1, 1, 1])
    assert (test.statistic, test.p_value) == (0, 1.0)
    assert test.null_pmf.sum() == pytest.approx(1.0)


def test_one_case_failing_every_trial_weighs_more_than_the_same_failures_spread() -> None:
    prior = BetaPrior(8.0, 1.0)
    before = ([7] * 30, [7] * 30)
    together = surprise_test(prior, *before, [3] + [0] * 29, [3] * 30)
    spread = surprise_test(prior, *before, [1, 1, 1] + [0] * 27, [3] * 30)
    assert together.p_value < spread.p_value


def test_a_flaky_case_failing_is_less_surprising_than_a_reliable_one() -> None:
    prior = BetaPrior(8.0, 1.0)
    flaky = surprise_test(prior, [3, 7], [7, 7], [1, 0], [1, 1])
    reliable = surprise_test(prior, [3, 7], [7, 7], [0, 1], [1, 1])
    assert reliable.p_value < flaky.p_value


def test_the_test_holds_its_level_when_nothing_changed() -> None:
    """Outcomes drawn from the very predictive the test assumes: P(p <= 0.05) <= 0.05."""
    rng = np.random.default_rng(7)
    prior = BetaPrior(4.45, 0.55)
    x = np.array([7, 7, 7, 6, 6, 5, 4, 7, 7, 3] * 4)
    m = np.full(40, 7)
    low = 0
    draws = 400
    for _ in range(draws):
        q = rng.beta(prior.b + m - x, prior.a + x)  # weak posterior only fails more: conservative
        fails = rng.binomial(2, q)
        low += surprise_test(prior, x, m, fails, np.full(40, 2)).p_value <= 0.05
    assert low / draws <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / draws)


def test_detectable_drop_shrinks_with_more_trials() -> None:
    prior = BetaPrior(8.0, 1.0)
    x, m = [7] * 60, [7] * 60
    one = surprise_test(prior, x, m, [0] * 60, [1] * 60).detectable_drop(0.005)
    three = surprise_test(prior, x, m, [0] * 60, [3] * 60).detectable_drop(0.005)
    assert 0 < three < one < 0.5


def test_looks_together_spend_at_most_alpha() -> None:
    shares = [look_alpha(0.01, k) for k in range(1, 60)]
    assert sum(shares) <= 0.01 and shares == sorted(shares, reverse=True)
    with pytest.raises(ValueError, match="from 1"):
        look_alpha(0.01, 0)


def test_two_stage_design_has_exactly_the_size_spent() -> None:
    rng = np.random.default_rng(3)
    p1, p2 = rng.random(40_000), rng.random(40_000)
    overall = np.array(
        [two_stage_p(a, b, level=0.01, rerun=True) for a, b in zip(p1, p2, strict=True)]
    )
    assert (overall < 0.01).mean() == pytest.approx(0.01, abs=0.0025)
    assert (overall < 0.05).mean() == pytest.approx(0.05, abs=0.006)


def test_two_stage_without_the_second_stage() -> None:
    assert two_stage_p(0.001, None, level=0.01, rerun=True) == 0.001  # stops at stage one
    assert two_stage_p(0.02, None, level=0.01, rerun=True) == 0.04  # re-run refused
    assert two_stage_p(0.02, None, level=0.01, rerun=False) == 0.02  # no re-run design
    assert two_stage_p(RERUN_BELOW, 0.0, level=0.01, rerun=True) == RERUN_BELOW

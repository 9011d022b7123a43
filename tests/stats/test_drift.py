"""stats.drift against published reference values (R, Newcombe 1998, exact binomial by hand)."""

from __future__ import annotations

import math

import pytest

from llmops.stats.drift import (
    PairedTest,
    Stratum,
    cochran_mantel_haenszel,
    drift_status,
    mcnemar,
    min_detectable_drop,
    pass_rate,
    rate_difference,
)

# UCBAdmissions by department: (admitted men, rejected men, admitted women, rejected women)
UCB = [
    (512, 313, 89, 19),
    (353, 207, 17, 8),
    (120, 205, 202, 391),
    (138, 279, 131, 244),
    (53, 138, 94, 299),
    (22, 351, 24, 317),
]


def test_wilson_interval_matches_newcombe_1998() -> None:
    pr = pass_rate(81, 263)
    assert (round(pr.low, 4), round(pr.high, 4)) == (0.2553, 0.3662)


def test_difference_interval_matches_newcombe_method_10() -> None:
    d = rate_difference(pass_rate(56, 70), pass_rate(48, 80))
    assert (round(d.low, 4), round(d.high, 4)) == (0.0524, 0.3339)


def test_cmh_matches_r_mantelhaen_test_with_continuity_correction() -> None:
    test = cochran_mantel_haenszel([Stratum(*t) for t in UCB])
    assert round(test.statistic, 4) == 1.4269
    assert round(test.p_value, 4) == 0.2323
    assert round(test.detail["odds_ratio"], 7) == 0.9046968


def test_cmh_matches_r_without_correction() -> None:
    test = cochran_mantel_haenszel([Stratum(*t) for t in UCB], correct=False)
    assert (round(test.statistic, 4), round(test.p_value, 4)) == (1.5246, 0.2169)


def test_cmh_skips_strata_without_variance() -> None:
    test = cochran_mantel_haenszel([Stratum(3, 0, 5, 0), Stratum(1, 0, 0, 0)])
    assert (test.p_value, test.direction, test.detail["strata"]) == (1.0, "none", 0.0)


def test_mcnemar_exact_and_mid_p_by_hand() -> None:
    # 6 discordant pairs all one way: exact p = 2 * 0.5^6, mid-p = exact - 0.5^6
    test = mcnemar(6, 0)
    assert test.detail["exact_p"] == pytest.approx(0.03125)
    assert test.p_value == pytest.approx(0.015625)
    assert test.direction == "drop"


def test_mcnemar_without_discordant_pairs_is_one() -> None:
    assert mcnemar(0, 0).p_value == 1.0


def test_min_detectable_drop_on_200_cases_without_noise() -> None:
    # mid-p < 0.01 needs 7 flips one way (2*0.5^7 - 0.5^7 = 0.0078; 6 flips give 0.0156)
    assert min_detectable_drop(200) == pytest.approx(7 / 200)


def test_min_detectable_drop_grows_with_flakiness() -> None:
    assert min_detectable_drop(200, noise_flips=20) > min_detectable_drop(200)


def test_min_detectable_drop_of_an_empty_suite_is_infinite() -> None:
    assert math.isinf(min_detectable_drop(0))


@pytest.mark.parametrize(
    ("drop", "p", "direction", "status"),
    [
        (0.05, 0.001, "drop", "REGRESSION"),
        (0.05, 0.2, "drop", "WARN"),
        (0.01, 0.001, "drop", "WARN"),
        (0.01, 0.2, "drop", "OK"),
        (-0.05, 0.001, "rise", "OK"),
    ],
)
def test_drift_status(drop: float, p: float, direction: str, status: str) -> None:
    test = PairedTest("CMH", 0.0, p, direction, {})  # type: ignore[arg-type]
    assert drift_status(drop, test) == status

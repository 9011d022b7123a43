"""Statistics against values computed by hand or taken from the literature."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from llmops.stats.significance import (
    adjust_bh,
    format_p,
    population_stability_index,
    rate_difference_test,
    shift_test,
)

ROOT = Path(__file__).resolve().parents[2]


def test_fisher_exact_for_small_counts_matches_lady_tasting_tea() -> None:
    # Fisher (1935): 3 of 4 cups right each way, two-sided p = 34/70 = 0.4857
    result = rate_difference_test(3, 4, 1, 4)
    assert result.method == "fisher"
    assert result.p_value == pytest.approx(34 / 70)


def test_g_test_for_large_counts_matches_hand_computation() -> None:
    # [[30, 70], [10, 90]]: G = 2 * sum(O ln(O/E)) with E = [[20, 80], [20, 80]]
    g = 2 * (
        30 * math.log(30 / 20)
        + 70 * math.log(70 / 80)
        + 10 * math.log(10 / 20)
        + 90 * math.log(90 / 80)
    )
    expected_p = math.erfc(math.sqrt(g / 2))  # chi-square with 1 df: P(X > g)
    result = rate_difference_test(30, 100, 10, 100)
    assert result.method == "g-test"
    assert result.p_value == pytest.approx(expected_p, rel=1e-9)
    assert result.difference == pytest.approx(0.2)


def test_benjamini_hochberg_matches_hand_computation() -> None:
    # sorted p 0.01, 0.03, 0.04, 0.2 -> 0.04, min(0.06, 0.0533), 0.0533, 0.2
    assert adjust_bh([0.01, 0.04, 0.03, 0.2]) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])


def test_psi_matches_hand_computation() -> None:
    expected = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert population_stability_index([50, 50], [25, 75]) == pytest.approx(expected)


def test_psi_of_identical_distributions_is_zero() -> None:
    assert population_stability_index([10, 30, 60], [20, 60, 120]) == pytest.approx(0.0)


def test_shift_test_of_identical_shares_is_one() -> None:
    assert shift_test([10, 30, 60], [20, 60, 120]) == pytest.approx(1.0)


def test_rate_test_rejects_empty_groups() -> None:
    with pytest.raises(ValueError):
        rate_difference_test(0, 0, 1, 10)


def test_format_p() -> None:
    assert [format_p(0.0001), format_p(0.0123), format_p(0.5)] == ["p<0.001", "p=0.012", "p=0.50"]


def test_the_profile_path_loads_scipy_stats_only_for_the_first_test() -> None:
    probe = """
import sys
import llmops.cli.app, llmops.workflows.profile.profile, llmops.workflows.profile.analysis
import llmops.workflows.profile.shift, llmops.reporters.profile
print("scipy.stats" in sys.modules)
"""
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"

"""Findings against ground truth (reduced ``benchmarks/profile_findings.py``): planted causes are
the numbered findings, their proxies are listed as explained by them, null logs give nothing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
from scipy import stats

from llmops.workflows.profile.analysis import MIN_FAILURES, find_segments, untestable
from llmops.workflows.profile.calls import Call
from llmops.workflows.profile.conditioning import cmh_test
from llmops.workflows.profile.tally import Tally

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "profile_findings.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("profile_findings_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _bench()


def test_planted_causes_are_the_numbered_findings_and_nothing_else() -> None:
    for seed in (101, 102):
        segments = find_segments(bench.simulate(10_000, seed, bench.planted))
        found = [s.conditions for s in segments if s.finding]
        assert sorted(found) == sorted([bench.LONG, bench.GERMAN]), [
            s.label for s in segments if s.finding
        ]


def test_proxies_of_the_planted_causes_say_what_explains_them() -> None:
    segments = find_segments(bench.simulate(10_000, 103, bench.planted))
    by_conditions = {(s.conditions, s.kind): s for s in segments}
    non_ascii_long = by_conditions[((("length", 2), ("non_ascii", 1)), "failure")]
    assert not non_ascii_long.finding
    assert set(non_ascii_long.explained_by) <= {"German inputs", "inputs over 2,000 characters"}
    assert non_ascii_long.explained_by
    german_single_line = by_conditions[((("lines", 0), ("language", "de")), "failure")]
    assert german_single_line.explained_by == ("German inputs",)


def test_a_real_interaction_is_the_finding_not_its_parts() -> None:
    segments = find_segments(bench.simulate(10_000, 104, bench.interaction))
    assert [s.conditions for s in segments if s.finding] == [bench.SPANISH_CODE]


def test_null_logs_rarely_give_a_finding() -> None:
    with_finding = sum(
        any(s.finding for s in find_segments(bench.simulate(3_000, 200 + k, bench.null)))
        for k in range(8)
    )
    assert with_finding <= 1


def test_cmh_in_one_stratum_is_the_chi_square_test_scaled_by_n_minus_1_over_n() -> None:
    member = np.array([True, True, False, False])
    failures = np.array([9.0, 3.0, 4.0, 6.0])
    n = np.array([40.0, 30.0, 60.0, 50.0])
    result = cmh_test(member, failures, n, np.zeros(4, dtype=np.int64))
    table = np.array([[12, 58], [10, 100]])
    chi2 = stats.chi2_contingency(table, correction=False).statistic
    total = n.sum()
    assert abs(result.statistic - chi2 * (total - 1) / total) < 1e-9
    assert abs(result.difference - (12 / 70 - 10 / 110)) < 1e-12


def test_cmh_sees_no_effect_when_strata_explain_the_difference() -> None:
    # the segment is mostly in the high-failure stratum; within each stratum rates are equal
    member = np.array([True, False, True, False])
    failures = np.array([80.0, 20.0, 2.0, 18.0])
    n = np.array([200.0, 50.0, 20.0, 180.0])
    strata = np.array([1, 1, 0, 0], dtype=np.int64)
    marginal = cmh_test(member, failures, n, np.zeros(4, dtype=np.int64))
    stratified = cmh_test(member, failures, n, strata)
    assert marginal.p_value < 0.001
    assert stratified.p_value > 0.5
    assert abs(stratified.difference) < 1e-12


def test_tiny_log_says_too_few_failures_instead_of_an_empty_table() -> None:
    tally = Tally()
    for i in range(300):
        outcome = "error" if i < MIN_FAILURES - 1 else "ok"
        tally.add_measured((100 + i, 20, 1, 25, False, "en", 0.0, 0), Call(outcome=outcome))
    reason = untestable(tally)
    assert reason is not None and reason.startswith("too few failures to test")
    assert f"need \u2265 {MIN_FAILURES}" in reason
    assert find_segments(tally) == []
    tally.add_measured((50, 10, 1, 12, False, "en", 0.0, 0), Call(outcome="error"))
    assert untestable(tally) is None


def test_reports_of_a_tiny_log_say_why_nothing_was_tested(tmp_path: Path) -> None:
    import orjson

    from llmops.reporters.profile import render_html, render_json, render_markdown
    from llmops.workflows.profile import ProfileOptions, profile_logs
    from tests.profile.helpers import ENGLISH, openai_record

    log = tmp_path / "tiny.jsonl"
    log.write_bytes(
        b"".join(orjson.dumps(openai_record(ENGLISH[i % 4], i < 3)) + b"\n" for i in range(60))
    )
    result = profile_logs([str(log)], ProfileOptions(detect_language=False))
    assert result.untestable is not None and "too few failures to test" in result.untestable
    markdown, page = render_markdown(result), render_html(result)
    for text in (markdown, page):
        assert "too few failures to test: 3 of 60 requests failed" in text
    assert "## Segments" not in markdown and "<h2>Segments</h2>" not in page
    assert orjson.loads(render_json(result))["untestable"] == result.untestable

"""Reporters: each renders the outcome of a regression into its format."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import orjson
import pytest

from llmops.reporters import eval_html, eval_json, eval_junit, eval_markdown, eval_terminal
from llmops.reporters.charts import history_figure
from llmops.workflows.evals.chart import history_chart
from llmops.workflows.evals.compare import DAY, compare
from llmops.workflows.evals.eval import EvalOutcome
from llmops.workflows.evals.promote import compare_candidate
from llmops.workflows.evals.records import CheckVerdict
from tests.evals.conftest import make_run


@pytest.fixture
def outcome() -> EvalOutcome:
    days = [make_run(at=d * DAY, passes={f"c{i}": [True] for i in range(20)}) for d in range(5)]
    now = make_run(at=5 * DAY, passes={f"c{i}": [i >= 6] for i in range(20)}, model="m-2")
    return EvalOutcome(now, compare(now, days), [*days, now])


def test_terminal_shows_verdict_and_failing_cases(outcome: EvalOutcome) -> None:
    text = eval_terminal.render(outcome)
    assert "verdict: REGRESSION — model changed: m-1 → m-2" in text and "c0" in text


def test_markdown_has_the_verdict_heading(outcome: EvalOutcome) -> None:
    assert eval_markdown.render(outcome).startswith("## llmops eval — ❌ REGRESSION: s")


def test_json_round_trips(outcome: EvalOutcome) -> None:
    data = orjson.loads(eval_json.render(outcome))
    assert data["comparison"]["status"] == "REGRESSION" and len(data["run"]["cases"]) == 20


def test_junit_has_one_testcase_per_case_plus_drift(outcome: EvalOutcome) -> None:
    suite = ET.fromstring(eval_junit.render(outcome)).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("21", "7")


def test_html_inlines_the_chart_with_every_run_and_the_model_change(outcome: EvalOutcome) -> None:
    html = eval_html.render(outcome)
    (svg,) = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    root = ET.fromstring(svg, parser=ET.XMLParser(target=ET.TreeBuilder(insert_comments=True)))
    runs = root.find(".//{http://www.w3.org/2000/svg}g[@id='history-runs']")
    assert runs is not None and len(runs.findall(".//{http://www.w3.org/2000/svg}use")) == 6
    assert "model → m-2" in svg


def test_a_run_with_no_case_in_common_says_so_instead_of_0_percent() -> None:
    before = make_run(at=0.0, passes={"old": [True]})
    now = make_run(at=DAY, passes={"new": [True]}, suite_hash="h2")
    text = eval_terminal.render(EvalOutcome(now, compare(now, [before])))
    assert "verdict: OK — suite changed: h1 → h2" in text
    assert "no case in common with the window (1 runs): nothing to compare" in text
    assert "pass rate 0.0%" not in text and "minimum detectable drop" not in text


def test_a_long_list_of_flipped_cases_is_cut_at_ten() -> None:
    days = [make_run(at=d * DAY, passes={f"c{i:02}": [True] for i in range(30)}) for d in range(7)]
    now = make_run(at=7 * DAY, passes={f"c{i:02}": [False] * 3 for i in range(30)})
    text = eval_markdown.render(EvalOutcome(now, compare(now, days)))
    line = next(x for x in text.splitlines() if "flipped pass → fail" in x)
    assert line.endswith(" and 20 more") and line.count(" before, ") == 10


def test_junit_stays_well_formed_with_control_characters_in_outputs() -> None:
    run = make_run(passes={"a\x1b": [False]})
    run.cases[0].output = "bad\x00\x1b[0m\ufffe"
    run.cases[0].checks[0] = CheckVerdict("equals:x", False, None, "got 'bad\x00'")
    suite = ET.fromstring(eval_junit.render(EvalOutcome(run))).find("testsuite")
    assert suite is not None
    case = suite.find("testcase")
    assert case is not None and case.findtext("system-out") == "bad\ufffd\ufffd[0m\ufffd"


def test_history_chart_data_pools_the_window_and_marks_the_model_change(
    outcome: EvalOutcome,
) -> None:
    chart = history_chart(outcome.history, window_s=7 * DAY)
    assert chart.pass_pct == (100.0,) * 5 + (70.0,)
    assert chart.rolling_pct[:5] == (100.0,) * 5
    assert chart.rolling_pct[5] == pytest.approx(100 * (5 * 20 + 14) / 120)
    assert chart.band_low_pct[5] < chart.rolling_pct[5] < chart.band_high_pct[5]
    assert chart.below_band == (False,) * 5 + (True,)
    assert chart.model_changes == ((5, "m-2"),)
    assert chart.labels == ("01-01", "01-02", "01-03", "01-04", "01-05", "01-06")
    assert chart.title == "s: pass rate per run"


def test_runs_minutes_apart_get_a_slot_and_a_distinct_label_each() -> None:
    runs = [make_run(at=1_767_225_600 + i * 20) for i in range(8)]
    runs[4:] = [make_run(at=r.started_at, model="m-2") for r in runs[4:]]
    chart = history_chart(runs, window_s=7 * DAY)
    assert len(set(chart.labels)) == 8 and chart.labels[1] == "00:00:20"
    assert chart.time_label == "run start, 2026-01-01 (UTC), one slot per run"
    fig = history_figure(chart)
    fig.draw_without_rendering()
    ax = fig.axes[0]
    (points,) = ax.collections[1:]
    assert [x for x, _y in points.get_offsets()] == list(range(8))  # one slot per run
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert len(labels) == len(set(labels)) >= 2
    legend = ax.get_legend()
    assert legend is not None
    assert legend.get_window_extent().x0 >= ax.get_window_extent().x1  # beside, not on, the plot


def test_candidate_is_named_as_asked_with_the_model_it_reported() -> None:
    current = make_run(passes={f"c{i}": [True] for i in range(30)})
    candidate = make_run(passes={f"c{i}": [i >= 10] for i in range(30)}, model="m-1")
    candidate.model_requested = "gpt-next"
    promotion = compare_candidate(current, candidate)
    assert (promotion.verdict, promotion.candidate_model) == ("hold", "gpt-next")
    assert promotion.worse == [f"c{i}" for i in range(10)]
    text = eval_markdown.render(EvalOutcome(current, promotion=promotion))
    assert "candidate: HOLD gpt-next (reported m-1) — candidate is significantly worse" in text

"""At 80 columns no table header is cut: the load-test table keeps load, success, degraded,
p50/p95/p99, answers/s and the main error in its first table and moves the rest to further
tables; ``--wide`` (and a console wide enough) prints one table of every column."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from llmops.reporters.loadtest_markdown import table_header
from llmops.reporters.loadtest_terminal import render_terminal
from llmops.workflows.loadtest import LoadtestOptions, LoadtestResult
from tests.loadtest.conftest import profile, run

KEPT = ["success", "p50 ms", "p95 ms", "p99 ms", "answers/s", "main error"]


def console(width: int) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=width, color_system=None, force_terminal=False), buf


def header_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "p50 ms" in line or "requests" in line]


def assert_uncut(text: str, width: int) -> None:
    assert "…" not in text, text
    assert all(len(line) <= width for line in text.splitlines()), text


async def overloaded(**options: Any) -> LoadtestResult:
    """A ladder that overloads the known-capacity mock, so errors and a knee appear."""
    result = await run(LoadtestOptions(levels=(2, 16), requests=30, **options), profile())
    degraded = [dataclasses.replace(lv, degraded=3) for lv in result.levels]
    return dataclasses.replace(result, levels=degraded)


@pytest.mark.anyio
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
async def test_at_80_columns_the_first_table_keeps_the_key_columns_uncut(stream: bool) -> None:
    result = await overloaded(stream=stream)
    con, buf = console(80)
    render_terminal(result, con)
    text = buf.getvalue()
    assert_uncut(text, 80)
    first = header_lines(text)[0]
    for name in ["clients", "degraded", *KEPT]:
        assert name in first, first


@pytest.mark.anyio
async def test_at_80_columns_every_other_column_is_shown_in_a_further_table() -> None:
    result = await overloaded(stream=True)
    con, buf = console(80)
    render_terminal(result, con)
    text = buf.getvalue()
    shown = " ".join(text.splitlines())
    for name in table_header(result):
        assert name in shown, name
    assert len(header_lines(text)) >= 2


@pytest.mark.anyio
async def test_open_loop_tables_fit_80_columns_too() -> None:
    result = await run(LoadtestOptions(rates=(5.0, 50.0), requests=20, stream=True), profile())
    con, buf = console(80)
    render_terminal(result, con)
    text = buf.getvalue()
    assert_uncut(text, 80)
    assert "rate (req/s)" in header_lines(text)[0]


@pytest.mark.anyio
async def test_wide_prints_one_table_of_every_column() -> None:
    result = await overloaded(stream=True)
    con, buf = console(80)
    render_terminal(result, con, wide=True)
    text = buf.getvalue()
    assert "…" not in text
    (head,) = [line for line in text.splitlines() if "p50 ms" in line]
    assert all(name in head for name in table_header(result))
    assert "main error" not in head  # a summary of the errors column, only when split


@pytest.mark.anyio
async def test_a_console_wide_enough_gets_one_table() -> None:
    result = await overloaded()
    con, buf = console(250)
    render_terminal(result, con)
    assert len([line for line in buf.getvalue().splitlines() if "p50 ms" in line]) == 1


def test_eval_table_at_80_columns_keeps_every_header_whole() -> None:
    from llmops.reporters import eval_terminal
    from llmops.workflows.evals.compare import DAY, compare
    from llmops.workflows.evals.eval import EvalOutcome
    from tests.evals.conftest import make_run

    long_id = "a-case-with-a-really-rather-long-identifier-that-will-not-fit-" * 2
    passes = {f"{long_id}{i}": [i > 3] for i in range(8)}
    days = [make_run(at=d * DAY, passes=passes) for d in range(3)]
    now = make_run(at=3 * DAY, passes=passes, model="m-2")
    text = eval_terminal.render(EvalOutcome(now, compare(now, days), [*days, now]), width=80)
    assert_uncut(text, 80)
    head = next(line for line in text.splitlines() if "why it failed" in line)
    assert all(name in head for name in ("case", "passed", "output", "why it failed")), head


def test_profile_tables_at_80_columns_keep_every_header_whole(tmp_path: Path) -> None:
    from llmops.reporters.profile.terminal import render_terminal as render_profile
    from llmops.workflows.profile import ProfileOptions, profile_logs
    from tests.profile.helpers import write_synthetic

    # large enough to test segments: a tiny log says so instead of printing an empty table
    log = write_synthetic(tmp_path / "app.jsonl", 600, 3, lambda _t, de: 0.3 if de else 0.08)
    result = profile_logs([str(log)], ProfileOptions(detect_language=False))
    con, buf = console(80)
    render_profile(result, con)
    text = buf.getvalue()
    assert_uncut(text, 80)
    head = next(line for line in text.splitlines() if "rate (95% CI)" in line)
    assert all(n in head for n in ("segment", "outcome", "n", "rate (95% CI)", "diff", "p"))


def test_the_live_display_at_80_columns_cuts_nothing() -> None:
    from llmops.reporters.loadtest_terminal import LiveDisplay
    from llmops.workflows.loadtest import LevelProgress, LevelStarted

    con, buf = console(80)
    errors = {"rate_limited": 120, "server_error": 33, "timeout": 4}
    with LiveDisplay(con, "req/s") as live:
        live(LevelStarted(0, 100, "open", 3000, None, 100))
        live(LevelProgress(0, 100, 1500, 1400, 12.0, 0.595, errors))
    text = buf.getvalue()
    assert_uncut(text, 80)
    assert "100 req/s" in text and "1500/3000" in text and "timeout 4" in text

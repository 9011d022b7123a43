"""LoadtestOptions refuse, when built, what ``llmops loadtest`` refuses: one rule, two doors."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from llmops.cli.app import app
from llmops.errors import InputError
from llmops.workflows.loadtest import LoadtestOptions, parse_slo
from llmops.workflows.loadtest.options import DEFAULT_LEVELS

SLO = tuple(parse_slo("success>=99%"))

# (keyword arguments of LoadtestOptions, the same request on the command line, message)
CASES: list[tuple[dict[str, Any], list[str], str]] = [
    ({"levels": (2,), "rates": (5.0,)}, ["--levels", "2", "--rates", "5"], "not both"),
    ({"requests": 10, "duration_s": 5.0}, ["--requests", "10", "--duration", "5s"], "not both"),
    ({"levels": (50, 10)}, ["--levels", "50,10"], "increasing order"),
    ({"rates": (5.0, 5.0)}, ["--rates", "5,5"], "increasing order"),
    ({"requests": 0}, ["--requests", "0"], "--requests: got 0, expected at least 1"),
    ({"warmup": -1}, ["--warmup", "-1"], "--warmup: got -1, expected 0 or more"),
    ({"max_tokens": 0}, ["--max-tokens", "0"], "--max-tokens"),
    ({"stop_on_success_below": 1.5}, ["--stop-on-success-below", "1.5"], "(0, 1]"),
    ({"levels": (2, 4), "slo": SLO, "peak": 3.0}, ["--levels", "2,4", "--slo", "success>=99%", "--peak", "3"], "--peak: got 3"),
    ({"levels": (2, 4), "peak": 4.0}, ["--levels", "2,4", "--peak", "4"], "give --slo too"),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "argv", "message"), CASES)
def test_options_refuse_what_the_command_line_refuses(
    kwargs: dict[str, Any], argv: list[str], message: str
) -> None:
    with pytest.raises(InputError) as built:
        LoadtestOptions(**kwargs)
    assert message in str(built.value)
    result = CliRunner().invoke(app, ["loadtest", *argv])
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_no_levels_and_no_rates_is_the_default_ladder() -> None:
    assert LoadtestOptions().levels == DEFAULT_LEVELS
    assert LoadtestOptions(levels=()).loads == tuple(float(x) for x in DEFAULT_LEVELS)


def test_rates_alone_are_an_open_loop_without_the_default_levels() -> None:
    options = LoadtestOptions(rates=(2.0, 5.0))
    assert options.open_loop and options.levels == () and options.loads == (2.0, 5.0)


@pytest.mark.parametrize("levels", [(0,), (2.5,), (True,)])
def test_levels_are_positive_whole_numbers(levels: tuple[Any, ...]) -> None:
    with pytest.raises(InputError, match="--levels"):
        LoadtestOptions(levels=levels)


@pytest.mark.parametrize("duration", [0.0, -1.0, float("inf"), float("nan")])
def test_durations_are_positive_and_finite(duration: float) -> None:
    with pytest.raises(InputError, match="--timeout"):
        LoadtestOptions(timeout_s=duration)

"""Parsing of the loadtest options' spellings."""

from __future__ import annotations

import pytest

from llmops.errors import InputError
from llmops.workflows.loadtest import parse_duration, parse_levels, parse_slo


def test_levels_parse() -> None:
    assert parse_levels("10, 25,50,100") == [10, 25, 50, 100]


@pytest.mark.parametrize("bad", ["", "10,abc", "50,10", "0,5", "2.5"])
def test_bad_levels_raise_input_error(bad: str) -> None:
    with pytest.raises(InputError, match="--levels"):
        parse_levels(bad)


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("500ms", 0.5), ("2m", 120), ("3", 3)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_slo_clauses_convert_units() -> None:
    clauses = parse_slo("p95<=2s,success>=99%,ttft_p99<300ms")
    assert [(c.metric, c.op, c.value) for c in clauses] == [
        ("p95", "<=", 2.0),
        ("success", ">=", 0.99),
        ("ttft_p99", "<", 0.3),
    ]


def test_slo_unknown_metric_suggests_the_closest() -> None:
    with pytest.raises(InputError, match=r"did you mean 'success'"):
        parse_slo("sucess>=99%")

"""The one duration grammar: options, schedules and reset headers read the same spellings."""

from __future__ import annotations

import pytest

from llmops.durations import duration_or_none, parse_duration
from llmops.errors import InputError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90.0),
        ("0.5", 0.5),
        ("500ms", 0.5),
        ("30s", 30.0),
        ("30 s", 30.0),
        ("2m", 120.0),
        ("1m30s", 90.0),
        ("6m0s", 360.0),
        ("1h2m3.5s", 3723.5),
        ("24h", 86400.0),
        ("7d", 604800.0),
        ("1w", 604800.0),
        ("250us", 0.00025),
        ("1.5S", 1.5),
        (" 20ms ", 0.02),
    ],
)
def test_spellings(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)
    assert duration_or_none(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text", ["", "soon", "24 hours", "h", "5x", "1s garbage", "m5", "1.2.3s", "-2m"]
)
def test_not_a_duration_names_where_and_what_was_expected(text: str) -> None:
    with pytest.raises(InputError, match=r"^--timeout: got .*, expected a duration such as"):
        parse_duration(text, where="--timeout")
    assert duration_or_none(text) is None


@pytest.mark.parametrize("text", ["0", "0s", "-1", "-0.5"])
def test_a_duration_must_be_more_than_zero(text: str) -> None:
    with pytest.raises(InputError, match=r"^schedule.every: .*more than zero"):
        parse_duration(text, where="schedule.every")


def test_zero_when_allowed() -> None:
    assert parse_duration("0s", allow_zero=True) == 0.0
    with pytest.raises(InputError, match="zero or more"):
        parse_duration("-1", allow_zero=True)


@pytest.mark.parametrize(("text", "seconds"), [(None, None), ("-3", 0.0), ("inf", None)])
def test_header_values_never_raise(text: str | None, seconds: float | None) -> None:
    assert duration_or_none(text) == seconds


@pytest.mark.parametrize("ms", [9, 13, 300, 1500])
def test_milliseconds_are_the_nearest_float(ms: int) -> None:
    assert parse_duration(f"{ms}ms") == ms / 1000

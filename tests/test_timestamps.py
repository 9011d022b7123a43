"""The one time parser: log records, reset headers and command-line times read alike."""

from __future__ import annotations

import pytest

from llmops.timestamps import as_float, parse_iso, parse_time

NOON = 1_740_830_400.0  # 2025-03-01T12:00:00Z


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-01T12:00:00Z",
        "2025-03-01T12:00:00z",
        "2025-03-01T12:00:00+00:00",
        "2025-03-01T14:00:00+02:00",
        "2025-03-01 12:00:00",
        " 2025-03-01T12:00:00Z ",
    ],
)
def test_iso_times_are_utc_unless_they_name_a_zone(text: str) -> None:
    assert parse_iso(text) == NOON


def test_a_date_is_its_midnight() -> None:
    assert parse_iso("2025-03-01") == NOON - 12 * 3600


def test_fractions_finer_than_microseconds_are_cut() -> None:
    assert parse_iso("2025-03-01T12:00:00.123456789Z") == pytest.approx(NOON + 0.123456)


@pytest.mark.parametrize("text", [None, "", "next tuesday", "2025-13-01"])
def test_what_is_not_a_time_is_none(text: str | None) -> None:
    assert parse_iso(text) is None


@pytest.mark.parametrize(
    "value",
    [NOON, int(NOON), NOON * 1e3, NOON * 1e6, NOON * 1e9, str(NOON), "2025-03-01T12:00:00Z"],
)
def test_record_times_in_any_unit(value: object) -> None:
    assert parse_time(value) == pytest.approx(NOON)


@pytest.mark.parametrize("value", [None, 0, -5, True, "soon", [], {}])
def test_record_times_that_cannot_be_read(value: object) -> None:
    assert parse_time(value) is None


@pytest.mark.parametrize(
    ("value", "number"), [(3, 3.0), (2.5, 2.5), ("1.5", 1.5), ("x", None), (True, None)]
)
def test_as_float(value: object, number: float | None) -> None:
    assert as_float(value) == number

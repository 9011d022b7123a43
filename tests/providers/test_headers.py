from __future__ import annotations

import pytest

from llmops.providers.headers import (
    parse_duration,
    parse_int,
    parse_retry_after,
    parse_rfc3339,
    seconds_until,
)

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("6m0s", 360.0),
        ("1s", 1.0),
        ("20ms", 0.02),
        ("1h2m3.5s", 3723.5),
        ("0.5s", 0.5),
        ("7.66s", 7.66),
        ("250us", 0.00025),
        ("12", 12.0),
        ("2h", 7200.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", [None, "", "soon", "5x", "1s garbage", "m5", "-", "1.2.3s"])
def test_parse_duration_garbage_is_none(text: str | None) -> None:
    assert parse_duration(text) is None


@pytest.mark.parametrize(
    ("text", "value"), [("100", 100), (" 7 ", 7), ("x", None), ("-1", None), (None, None)]
)
def test_parse_int(text: str | None, value: int | None) -> None:
    assert parse_int(text) == value


def test_retry_after_ms_wins_over_retry_after() -> None:
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}, NOW) == 1.5


def test_retry_after_seconds() -> None:
    assert parse_retry_after({"retry-after": "2"}, NOW) == 2.0


def test_retry_after_fractional_seconds() -> None:
    assert parse_retry_after({"retry-after": "0.25"}, NOW) == 0.25


def test_retry_after_http_date_relative_to_now() -> None:
    headers = {"retry-after": "Tue, 14 Nov 2023 22:13:50 GMT"}
    assert parse_retry_after(headers, NOW) == pytest.approx(30.0)


def test_retry_after_date_in_the_past_is_zero() -> None:
    assert parse_retry_after({"retry-after": "Tue, 14 Nov 2023 22:00:00 GMT"}, NOW) == 0.0


def test_negative_retry_after_is_zero() -> None:
    assert parse_retry_after({"retry-after": "-5"}, NOW) == 0.0


def test_negative_retry_after_ms_is_zero() -> None:
    assert parse_retry_after({"retry-after-ms": "-5"}, NOW) == 0.0


@pytest.mark.parametrize("value", ["soon", "", "nan", "inf", "Tuesday"])
def test_garbage_retry_after_is_none(value: str) -> None:
    assert parse_retry_after({"retry-after": value}, NOW) is None


def test_garbage_retry_after_ms_falls_back_to_retry_after() -> None:
    assert parse_retry_after({"retry-after-ms": "x", "retry-after": "3"}, NOW) == 3.0


def test_no_retry_headers_is_none() -> None:
    assert parse_retry_after({}, NOW) is None


@pytest.mark.parametrize(
    "text",
    ["2023-11-14T22:13:50Z", "2023-11-14T22:13:50+00:00", "2023-11-14T23:13:50+01:00"],
)
def test_rfc3339_timezones(text: str) -> None:
    assert parse_rfc3339(text) == pytest.approx(NOW + 30)


def test_rfc3339_nanosecond_fraction() -> None:
    assert parse_rfc3339("2023-11-14T22:13:50.123456789Z") == pytest.approx(NOW + 30.123456)


def test_rfc3339_garbage_is_none() -> None:
    assert parse_rfc3339("next tuesday") is None


def test_seconds_until_past_time_is_zero() -> None:
    assert seconds_until("2023-11-14T22:00:00Z", NOW) == 0.0

"""``limits.headroom`` and ``limits.burst``: the spellings accepted, the nonsense refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from llmops.config import LimitsConfig


def test_defaults_keep_a_tenth_of_the_tokens_and_five_seconds_at_once() -> None:
    limits = LimitsConfig()
    assert (limits.headroom, limits.burst) == (0.1, 5.0)


@pytest.mark.parametrize(("given", "share"), [("10%", 0.1), (0.25, 0.25), ("0", 0.0)])
def test_headroom_as_a_share_or_a_percentage(given: object, share: float) -> None:
    assert LimitsConfig(headroom=given).headroom == pytest.approx(share)


@pytest.mark.parametrize(("given", "seconds"), [("5s", 5.0), (2, 2.0), ("10%", 6.0), ("1m", 60.0)])
def test_burst_as_seconds_worth_or_a_share_of_the_minute(given: object, seconds: float) -> None:
    assert LimitsConfig(burst=given).burst == pytest.approx(seconds)


@pytest.mark.parametrize(
    "bad",
    [{"headroom": "60%"}, {"headroom": "lots"}, {"burst": "2m"}, {"burst": 0}, {"burst": "x"}],
)
def test_nonsense_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        LimitsConfig(**bad)  # type: ignore[arg-type]

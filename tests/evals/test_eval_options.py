"""The eval options refuse what ``llmops eval`` would refuse, when they are built."""

from __future__ import annotations

import math

import pytest

from llmops.errors import InputError
from llmops.workflows.evals import EvalOptions


@pytest.mark.parametrize(
    ("kwargs", "option"),
    [
        ({"rerun_max_calls": -1}, "--rerun-max-calls"),
        ({"max_cost": -0.5}, "--max-cost"),
        ({"max_cost": math.inf}, "--max-cost"),
        ({"max_cost": math.nan}, "--max-cost"),
    ],
)
def test_bad_rerun_bounds_are_refused_naming_the_option(
    kwargs: dict[str, float], option: str
) -> None:
    with pytest.raises(InputError, match=option):
        EvalOptions(compare=True, **kwargs)  # type: ignore[arg-type]


def test_rerun_bounds_within_range_are_kept() -> None:
    opts = EvalOptions(compare=True, rerun_max_calls=0, max_cost=0.25)
    assert (opts.rerun_max_calls, opts.max_cost) == (0, 0.25)

"""A tally merged from parts, in reading order, is the tally of one pass over the whole input,
and its example inputs with it: past the cap on distinct model and feature names in the whole
input too, as long as no part holds more than the cap itself."""

from __future__ import annotations

import random

import pytest

from llmops.core.textprofile import measure_text
from llmops.workflows.profile.calls import Call
from llmops.workflows.profile.samples import SAMPLED_FEATURES, Samples
from llmops.workflows.profile.tally import MAX_CATEGORY_VALUES, OTHER, Tally

TEXTS = [f"Summarise ticket {i} for the support team, please." for i in range(40)]


def _calls(n: int, names: range, seed: int) -> list[Call]:
    """``n`` calls whose model and feature names are drawn from ``names`` and a few shared ones."""
    rng = random.Random(seed)
    pool = [*names, *range(-20, 0)]
    return [
        Call(
            text=rng.choice(TEXTS),
            outcome="ok" if rng.random() < 0.8 else "error",
            model=f"model-{rng.choice(pool)}",
            feature=f"feature-{rng.choice(pool)}",
            latency_s=rng.random(),
        )
        for _ in range(n)
    ]


def _count(tally: Tally, calls: list[Call]) -> Tally:
    for call in calls:
        key = tally.add_measured(measure_text(call.text or "", None), call)
        assert tally.samples is not None
        tally.samples.add(call.text or "", key, call.outcome != "ok")
    return tally


@pytest.mark.parametrize("per_part", [20, MAX_CATEGORY_VALUES - 20])
def test_parts_merged_in_order_are_one_pass(per_part: int) -> None:
    parts = [_calls(1200, range(i * per_part, (i + 1) * per_part), seed=i) for i in range(3)]
    whole = _count(Tally(samples=Samples(3)), [call for part in parts for call in part])
    merged = Tally(samples=Samples(3))
    for part in parts:
        merged.merge(_count(Tally(samples=Samples(3)), part))

    assert merged.cells == whole.cells
    assert (merged.error_types, merged.latency_ms_log2) == (
        whole.error_types,
        whole.latency_ms_log2,
    )
    assert merged.samples is not None and whole.samples is not None
    for index in SAMPLED_FEATURES:
        for failed in (True, False):
            assert merged.samples.inputs(index, failed) == whole.samples.inputs(index, failed)
    capped = any(key[-1] == OTHER for key in whole.cells)
    assert capped == (per_part * 3 > MAX_CATEGORY_VALUES)  # the cap was (or was not) reached

"""The eval result as JSON: the whole run (every trial), the verdict and the promotion."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import orjson

from llmops.workflows.evals.eval import EvalOutcome


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def as_dict(outcome: EvalOutcome) -> dict[str, Any]:
    """Plain data (infinities become null)."""
    run = dataclasses.asdict(outcome.run)
    run["pass_rate"] = outcome.run.pass_rate
    run["model_reported"] = outcome.run.model_reported
    data: dict[str, Any] = {
        "run": run,
        "comparison": dataclasses.asdict(outcome.comparison) if outcome.comparison else None,
        "promotion": dataclasses.asdict(outcome.promotion) if outcome.promotion else None,
        "candidate_run": dataclasses.asdict(outcome.candidate_run)
        if outcome.candidate_run
        else None,
    }
    return dict(_clean(data))


def render(outcome: EvalOutcome) -> str:
    """Indented JSON."""
    return orjson.dumps(as_dict(outcome), option=orjson.OPT_INDENT_2).decode() + "\n"

"""The ``runbook:`` section of ``llmops.yaml`` (``llmops runbook check`` reads it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from pydantic import Field, field_validator

from llmops.config.base import Strict, duration_seconds, unknown_name


class RunbookFeature(Strict):
    """The runbook's answers for one feature (``runbook.features.NAME``)."""

    owner: str | None = None
    when_down: str | None = Field(
        default=None, description="What the user sees when the model API is down (one sentence)."
    )
    peak_concurrency: int | None = Field(default=None, ge=1)
    p95_budget: str | None = Field(default=None, description="p95 latency budget, e.g. 2s.")
    success_floor: float = Field(default=0.99, gt=0, le=1)
    loadtest_report: str | None = Field(
        default=None, description="Loadtest JSON for this feature (default: evidence.loadtest)."
    )
    trust_provider_limits: bool = Field(
        default=False, description="No limits declared: the provider's rate-limit headers pace."
    )
    eval_suite: str | None = None
    eval_every: str = "24h"
    eval_window: str = "7d"
    eval_slack: str | None = Field(
        default=None, description="Lateness allowed beyond one period (default half a period)."
    )
    alert_threshold: float = Field(default=0.03, gt=0, lt=1)

    @field_validator("p95_budget", "eval_every", "eval_window", "eval_slack")
    @classmethod
    def _durations(cls, v: str | None) -> str | None:
        if v is not None:
            duration_seconds(v)
        return v

    def seconds(self, key: str) -> float | None:
        """A duration key in seconds (None when unset)."""
        value = getattr(self, key)
        return None if value is None else duration_seconds(value)


class RunbookEvidence(Strict):
    """Where the evidence lives and how old it may be."""

    loadtest: str = "reports/loadtest-latest.json"
    max_age: str = "7d"
    history: str | None = Field(
        default=None, description="Eval history: SQLite path or postgresql:// URL."
    )

    @field_validator("max_age")
    @classmethod
    def _age(cls, v: str) -> str:
        duration_seconds(v)
        return v

    def seconds_max_age(self) -> float:
        """``max_age`` in seconds."""
        return duration_seconds(self.max_age)


class RunbookWaiver(Strict):
    """An accepted gap: this question of this feature is not required until ``expires``."""

    question: int = Field(ge=1, le=6)
    feature: str
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: dt.date


class RunbookConfig(Strict):
    """The ``runbook:`` section: answers per feature, evidence, waivers (the instance count is
    ``state.instances``)."""

    evidence: RunbookEvidence = Field(default_factory=RunbookEvidence)
    features: dict[str, RunbookFeature] = Field(default_factory=dict)
    waivers: list[RunbookWaiver] = Field(default_factory=list)


def runbook_references(
    features: Collection[str], runbook: RunbookConfig
) -> list[tuple[tuple[str | int, ...], str]]:
    """Runbook entries and waivers must name ``features`` that exist."""
    known = sorted(features)
    expected = "a feature defined under features"
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for name in runbook.features:
        if name not in features:
            problems.append((("runbook", "features", name), unknown_name(name, known, expected)))
    for i, waiver in enumerate(runbook.waivers):
        if waiver.feature not in features:
            msg = unknown_name(waiver.feature, known, expected)
            problems.append((("runbook", "waivers", i, "feature"), msg))
    return problems

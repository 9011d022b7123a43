"""``llmops loadtest``: the concurrency ladder that finds the knee and sets the queue limit.

:func:`run_loadtest` is what the CLI calls and what a library user calls: it runs level after
level (closed loop: N concurrent clients; open loop: Poisson arrivals at a rate) through the
engine (or ``raw``), measures each level (:class:`LevelResult`), and returns a
:class:`LoadtestResult` with the :class:`Verdict` (knee, ceiling, recommended queue limit,
dominant failure, SLO gate) that the reporters render. :func:`run_in_parts` runs a share of
the ladder in worker processes (and one shard of several machines'); :func:`merge_partials`
merges the shards' partial reports into one result.
"""

from __future__ import annotations

from llmops.durations import parse_duration
from llmops.workflows.loadtest.cost import (
    CostEstimate,
    CostRefused,
    Price,
    check_cost,
    estimate_cost,
    load_prices,
)
from llmops.workflows.loadtest.distributed import LevelSchedule, ShareRun, run_in_parts
from llmops.workflows.loadtest.events import (
    LevelFinished,
    LevelProgress,
    LevelStarted,
    LoadtestEvent,
    LoadtestObserver,
)
from llmops.workflows.loadtest.loadtest import LoadtestResult, run_loadtest
from llmops.workflows.loadtest.metrics import LevelResult
from llmops.workflows.loadtest.options import (
    LoadtestOptions,
    SloClause,
    parse_levels,
    parse_rates,
    parse_slo,
)
from llmops.workflows.loadtest.partial import load_partial, merge_partials, partial_to_json
from llmops.workflows.loadtest.prompts import PromptSet, load_prompts, synthetic_prompts
from llmops.workflows.loadtest.record import LevelRecord, merge_records
from llmops.workflows.loadtest.shares import Part
from llmops.workflows.loadtest.verdict import SloOutcome, Verdict
from llmops.workflows.target import Target, target_from_config, target_from_url

__all__ = [
    "CostEstimate",
    "CostRefused",
    "LevelFinished",
    "LevelProgress",
    "LevelRecord",
    "LevelResult",
    "LevelSchedule",
    "LevelStarted",
    "LoadtestEvent",
    "LoadtestObserver",
    "LoadtestOptions",
    "LoadtestResult",
    "Part",
    "Price",
    "PromptSet",
    "ShareRun",
    "SloClause",
    "SloOutcome",
    "Target",
    "Verdict",
    "check_cost",
    "estimate_cost",
    "load_partial",
    "load_prices",
    "load_prompts",
    "merge_partials",
    "merge_records",
    "parse_duration",
    "parse_levels",
    "parse_rates",
    "parse_slo",
    "partial_to_json",
    "run_in_parts",
    "run_loadtest",
    "synthetic_prompts",
    "target_from_config",
    "target_from_url",
]

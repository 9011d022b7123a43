"""``llmops eval``: eval suites, their runs and history, and drift detection.

- :func:`load_suite` reads an llmops suite or a promptfoo config into a :class:`Suite`.
- :func:`resolve_target` / :func:`live_target` choose the model (a config feature or provider,
  ``--target URL``, the suite's ``target:`` hint, or the built-in mock): the resolver
  ``llmops loadtest`` uses too (:mod:`llmops.workflows.target`).
- :func:`evaluate` runs a suite through the engine, records it and compares it to the window.
- :func:`compare` (drift verdict), :func:`compare_candidate` (promote/hold), :func:`run_every`
  (scheduling), :func:`notify` (webhooks) are usable on their own.
- :class:`EvalRun`, :class:`CaseRecord`, :class:`CheckVerdict`: the records a run leaves.

The names are loaded on first use (PEP 562): the history stores import the records without
loading the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops._lazy import lazy_exports

if TYPE_CHECKING:
    from llmops.durations import parse_duration
    from llmops.workflows.evals.compare import CaseTally, Comparison, compare
    from llmops.workflows.evals.eval import EvalOptions, EvalOutcome, evaluate
    from llmops.workflows.evals.loader import load_suite
    from llmops.workflows.evals.notify import NotifyError, notification, notify
    from llmops.workflows.evals.promote import Promotion, compare_candidate
    from llmops.workflows.evals.records import CaseRecord, CheckVerdict, EvalRun
    from llmops.workflows.evals.schedule import RunLock, Tick, run_every
    from llmops.workflows.evals.suite import Suite
    from llmops.workflows.evals.trials import run_suite
    from llmops.workflows.target import Target, live_target, mock_target, resolve_target

__all__ = [
    "CaseRecord",
    "CaseTally",
    "CheckVerdict",
    "Comparison",
    "EvalOptions",
    "EvalOutcome",
    "EvalRun",
    "NotifyError",
    "Promotion",
    "RunLock",
    "Suite",
    "Target",
    "Tick",
    "compare",
    "compare_candidate",
    "evaluate",
    "live_target",
    "load_suite",
    "mock_target",
    "notification",
    "notify",
    "parse_duration",
    "resolve_target",
    "run_every",
    "run_suite",
]

#: where each public name is defined
_HOME = {
    "CaseRecord": "llmops.workflows.evals.records",
    "CaseTally": "llmops.workflows.evals.compare",
    "CheckVerdict": "llmops.workflows.evals.records",
    "Comparison": "llmops.workflows.evals.compare",
    "EvalOptions": "llmops.workflows.evals.eval",
    "EvalOutcome": "llmops.workflows.evals.eval",
    "EvalRun": "llmops.workflows.evals.records",
    "NotifyError": "llmops.workflows.evals.notify",
    "Promotion": "llmops.workflows.evals.promote",
    "RunLock": "llmops.workflows.evals.schedule",
    "Suite": "llmops.workflows.evals.suite",
    "Target": "llmops.workflows.target",
    "Tick": "llmops.workflows.evals.schedule",
    "compare": "llmops.workflows.evals.compare",
    "compare_candidate": "llmops.workflows.evals.promote",
    "evaluate": "llmops.workflows.evals.eval",
    "live_target": "llmops.workflows.target",
    "load_suite": "llmops.workflows.evals.loader",
    "mock_target": "llmops.workflows.target",
    "notification": "llmops.workflows.evals.notify",
    "notify": "llmops.workflows.evals.notify",
    "parse_duration": "llmops.durations",
    "resolve_target": "llmops.workflows.target",
    "run_every": "llmops.workflows.evals.schedule",
    "run_suite": "llmops.workflows.evals.trials",
}


__getattr__, __dir__ = lazy_exports(__name__, _HOME)

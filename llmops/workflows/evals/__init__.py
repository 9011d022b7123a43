"""``llmops eval``: eval suites, their runs and history, and drift detection.

- :func:`load_suite` reads an llmops suite or a promptfoo config into a :class:`Suite`.
- :func:`resolve_target` / :func:`live_target` choose the model (a config feature or provider,
  ``--target URL``, the suite's ``target:`` hint, or the built-in mock): the resolver
  ``llmops loadtest`` uses too (:mod:`llmops.workflows.target`).
- :func:`evaluate` runs a suite through the engine, records it and compares it to the window.
- :func:`compare` (drift verdict), :func:`compare_candidate` (promote/hold), :func:`run_every`
  (scheduling), :func:`notify` (webhooks) are usable on their own.
"""

from __future__ import annotations

from llmops.workflows.evals.compare import CaseTally, Comparison, compare
from llmops.workflows.evals.notify import NotifyError, notification, notify
from llmops.workflows.evals.promote import Promotion, compare_candidate
from llmops.workflows.evals.runner import run_suite
from llmops.workflows.evals.schedule import RunLock, Tick, parse_duration, run_every
from llmops.workflows.evals.session import EvalOptions, EvalOutcome, evaluate
from llmops.workflows.evals.suite import Suite, load_suite
from llmops.workflows.target import Target, live_target, mock_target, resolve_target

__all__ = [
    "CaseTally",
    "Comparison",
    "EvalOptions",
    "EvalOutcome",
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

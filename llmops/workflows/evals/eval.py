"""One eval, end to end: run the suite, record it, compare it, and optionally try a candidate.

:func:`run_eval` is what ``llmops eval`` calls and what a library user calls: it takes the
:class:`~llmops.workflows.target.Target` that :func:`~llmops.workflows.target.resolve_target`
names, spawns the built-in mock when that is the target, opens the history, and runs
:func:`evaluate`. :func:`evaluate` runs the suite through an :class:`~llmops.Engine` against a
target that is already live (or through a ``transport`` of the caller's), appends the run to
the history store (whole or nothing) and, with ``compare``, returns the drift verdict against
the window.

When the verdict asks for it (``Comparison.needs_rerun``: a drop that is suggestive but not yet
conclusive) and ``rerun`` is on (the default), the suspect cases and a matched random sample of
the others are run again at once (:mod:`llmops.workflows.evals.rerun`), within ``rerun_max_calls``
(default: one more suite's worth of calls) and, when ``max_cost`` is set, only if the re-run's
estimated cost is within it; the verdict is then given on both stages. The re-run's trials are
not appended to the history (the scheduled runs stay what the next comparisons pool); its calls,
cost and the reason when it was skipped are in the verdict and in ``run.meta["rerun"]``.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import anyio
import anyio.to_thread

from llmops.engine.clock import Clock
from llmops.engine.engine import Engine
from llmops.engine.events import Observer
from llmops.engine.transport import Transport
from llmops.errors import InputError
from llmops.stores.history import HistoryStore, open_history
from llmops.workflows.evals.compare import DAY, Comparison, compare
from llmops.workflows.evals.identity import (
    SETTINGS_KEY,
    flat_settings,
    same_target,
)
from llmops.workflows.evals.judge import engine_judge
from llmops.workflows.evals.promote import Promotion, compare_candidate
from llmops.workflows.evals.records import EvalRun
from llmops.workflows.evals.rerun import Rerun, plan_rerun, rerun_cost, rerun_suite
from llmops.workflows.evals.suite import Suite
from llmops.workflows.evals.trials import Progress, config_hash, git_commit, run_suite
from llmops.workflows.target import Target, live_target, with_model

__all__ = ["FAIL_ON", "EvalOptions", "EvalOutcome", "evaluate", "run_eval"]

#: what ``fail_on`` may name: the verdicts that fail the run
FAIL_ON = ("regression", "warn")


@dataclass(frozen=True, slots=True)
class EvalOptions:
    """How to run and judge: ``threshold`` is a fraction (0.03 = 3 points).

    ``fail_on`` says which verdicts fail the run (:meth:`EvalOutcome.failed`): ``regression``,
    or ``warn`` for WARN too. Values ``llmops eval`` would refuse raise
    :class:`~llmops.errors.InputError` naming the option, when the options are built.
    """

    compare: bool = False
    window_s: float = 7 * DAY
    threshold: float = 0.03
    alpha: float = 0.01
    concurrency: int = 8
    record: bool = True
    candidate_model: str | None = None
    history_days: float = 30.0
    #: only runs started at or after this Unix time form the baseline (e.g. once a model update
    #: has been accepted); the history chart still shows the earlier ones
    baseline_since: float | None = None
    fail_on: str = "regression"
    #: compare only with runs of the same target and model request (``--any-target``: all)
    same_target: bool = True
    #: re-run suspect cases (and a matched random sample) at once when a drop is not conclusive
    rerun: bool = True
    #: calls the re-run may make (default: as many as the run made)
    rerun_max_calls: int | None = None
    #: USD the re-run may cost (None: no money cap; local targets cost nothing)
    max_cost: float | None = None

    def __post_init__(self) -> None:
        if self.fail_on not in FAIL_ON:
            raise InputError(f"--fail-on: got {self.fail_on!r}, expected regression or warn")
        if not 0 < self.alpha < 1:
            raise InputError(f"--alpha: got {self.alpha}, expected a probability between 0 and 1")
        if not 0 <= self.threshold <= 1:
            points = self.threshold * 100
            raise InputError(f"--threshold: got {points:g} points, expected 0 to 100")
        if self.concurrency < 1:
            raise InputError(f"--concurrency: got {self.concurrency}, expected at least 1")
        for value, option in ((self.window_s, "--window"), (self.history_days, "history_days")):
            if not value > 0:
                raise InputError(f"{option}: got {value}, expected a positive duration")
        if self.rerun_max_calls is not None and self.rerun_max_calls < 0:
            raise InputError(f"--rerun-max-calls: got {self.rerun_max_calls}, expected 0 or more")
        if self.max_cost is not None and not 0 <= self.max_cost < math.inf:
            raise InputError(f"--max-cost: got {self.max_cost}, expected a finite amount >= 0")


@dataclass(slots=True)
class EvalOutcome:
    """A finished eval: the run, its verdict, the history for charts, a candidate's verdict."""

    run: EvalRun
    comparison: Comparison | None = None
    history: list[EvalRun] = field(default_factory=list)
    candidate_run: EvalRun | None = None
    promotion: Promotion | None = None
    #: why the run is no measurement of the model: no case got an answer from it (then it is
    #: neither compared nor recorded, and it fails)
    no_answer: str | None = None

    @property
    def interrupted(self) -> str | None:
        """``interrupted after k of n trials`` when Ctrl-C stopped the run, else None."""
        value = self.run.meta.get("interrupted")
        return None if value is None else str(value)

    def failed(self, fail_on: str = "regression") -> bool:
        """True for a REGRESSION (and a WARN with ``fail_on="warn"``), a candidate on hold, or
        a run in which the model answered no case: what makes ``llmops eval`` exit 1."""
        c, p = self.comparison, self.promotion
        failing = {"REGRESSION"} | ({"WARN"} if fail_on == "warn" else set())
        return (
            self.no_answer is not None
            or (c is not None and c.status in failing)
            or (p is not None and p.verdict == "hold")
        )


async def run_eval(
    suite: Suite,
    target: Target,
    *,
    history: HistoryStore | str | None = None,
    options: EvalOptions | None = None,
    seed: int = 0,
    on_progress: Progress | None = None,
    stop: anyio.Event | None = None,
) -> EvalOutcome:
    """Run ``suite`` against ``target`` as ``llmops eval`` does, and return the outcome.

    Setting ``stop`` (Ctrl-C) ends the run with the trials finished so far: the outcome is
    marked :attr:`EvalOutcome.interrupted`, and is neither compared nor recorded.

    ``target`` is as :func:`~llmops.workflows.target.resolve_target` returns it: when it is
    the built-in mock, the mock server is spawned (with ``seed``) for this run. The run is
    recorded under the hash of the target as named, so a spawned server's port does not make
    each run look like a new configuration. ``history`` is a store, or a SQLite path or
    ``postgresql://`` URL opened (and closed) here; None records nothing.
    """
    identity = config_hash(target.config, target.feature, target.label)
    store = open_history(history) if isinstance(history, str) else history
    try:
        with live_target(target, seed=seed) as live:
            return await evaluate(
                suite,
                live,
                history=store,
                options=options,
                on_progress=on_progress,
                identity=identity,
                stop=stop,
            )
    finally:
        if store is not None and isinstance(history, str):
            store.close()


async def evaluate(
    suite: Suite,
    target: Target,
    *,
    history: HistoryStore | None = None,
    options: EvalOptions | None = None,
    transport: Transport | None = None,
    clock: Clock | None = None,
    observers: Sequence[Observer] = (),
    now: Callable[[], float] | None = None,
    on_progress: Progress | None = None,
    suite_dir: Path | None = None,
    identity: str | None = None,
    commit: str | bool | None = True,
    stop: anyio.Event | None = None,
) -> EvalOutcome:
    """Run ``suite`` against ``target`` and return the outcome (see the module docstring).

    ``identity`` is the config hash to record (by default, of ``target``); pass the hash of the
    target as configured when the live one differs only by a spawned server's port. ``commit``
    is the git commit to record; ``True`` reads it from the working directory. Runs are stamped
    with ``now()`` (Unix seconds), by default ``clock.wall()`` (the system's time without ``clock``).
    """
    opts = options or EvalOptions()
    if suite.judge.feature is not None and suite.judge.feature not in target.config.features:
        raise InputError(f"judge.feature {suite.judge.feature!r} is not a feature of the config")
    digest = identity or config_hash(target.config, target.feature, target.label)
    sha = await anyio.to_thread.run_sync(git_commit) if commit is True else (commit or None)
    run = await _run(
        suite, target, transport, clock, observers, now, on_progress, suite_dir, opts, digest, sha,
        stop,
    )  # fmt: skip
    outcome = EvalOutcome(run, no_answer=_no_answer(run))
    if outcome.interrupted is not None:
        return outcome  # a partial run is no measurement: not compared, never recorded
    if history is not None:
        earlier = history.query(suite.name, since=run.started_at - opts.history_days * DAY)
        earlier = [r for r in earlier if r.started_at < run.started_at]
        if opts.same_target:
            earlier = [r for r in earlier if same_target(run, r)]
        if opts.compare and outcome.no_answer is None:
            since = opts.baseline_since
            baseline = earlier if since is None else [r for r in earlier if r.started_at >= since]

            def judge(again: Rerun | None = None) -> Comparison:
                return compare(
                    run, baseline, window_s=opts.window_s, threshold=opts.threshold,
                    alpha=opts.alpha, rerun=again, rerun_design=opts.rerun,
                )  # fmt: skip

            def execute(part: Suite) -> Awaitable[EvalRun]:
                return _run(
                    part, target, transport, clock, observers, now, None, suite_dir, opts,
                    digest, sha,
                )  # fmt: skip

            outcome.comparison = judge()
            if outcome.comparison.needs_rerun:
                cases = outcome.comparison.cases_compared
                again = await _rerun(suite, target, run, cases, opts, execute)
                if again is not None:
                    outcome.comparison = judge(again)
                else:
                    outcome.comparison.rerun_note = str(run.meta["rerun"].get("skipped", ""))
        if opts.record and outcome.no_answer is None:
            history.append(run)
        outcome.history = [*earlier, run]
    if opts.candidate_model is not None:
        cand_target = replace(
            target,
            config=with_model(target.config, target.feature, opts.candidate_model),
            label=f"{target.label} candidate {opts.candidate_model}",
        )
        cand_digest = config_hash(cand_target.config, cand_target.feature, cand_target.label)
        outcome.candidate_run = await _run(
            suite, cand_target, transport, clock, observers, now, on_progress, suite_dir, opts,
            cand_digest, sha, stop,
        )  # fmt: skip
        outcome.promotion = compare_candidate(
            run, outcome.candidate_run, threshold=opts.threshold, alpha=opts.alpha
        )
    return outcome


async def _rerun(
    suite: Suite,
    target: Target,
    run: EvalRun,
    cases: Sequence[str],
    opts: EvalOptions,
    execute: Callable[[Suite], Awaitable[EvalRun]],
) -> Rerun | None:
    """Plan, price and make the re-run; None (with the reason in ``run.meta``) when refused."""
    plan = plan_rerun(run, cases, max_calls=opts.rerun_max_calls, seed=_seed(run.run_id))
    cost = rerun_cost(run, plan.calls, local=target.local)
    info: dict[str, object] = {"planned_calls": plan.calls, "estimated_cost_usd": cost}
    run.meta["rerun"] = info
    if not plan.cases:
        info["skipped"] = "no case to re-run within the call budget"
        return None
    if opts.max_cost is not None and (cost is None or cost > opts.max_cost):
        shown = "unknown" if cost is None else f"${cost:.4f}"
        info["skipped"] = f"cost guard: re-run would cost {shown} > --max-cost ${opts.max_cost:g}"
        return None
    again = await execute(rerun_suite(suite, plan))
    info.update(calls=again.total, suspects=len(plan.suspects), sample=len(plan.sample))
    return Rerun(plan, again, rerun_cost(run, again.total, local=target.local))


def _seed(run_id: str) -> int:
    return zlib.crc32(run_id.encode())


async def _run(
    suite: Suite,
    target: Target,
    transport: Transport | None,
    clock: Clock | None,
    observers: Sequence[Observer],
    now: Callable[[], float] | None,
    on_progress: Progress | None,
    suite_dir: Path | None,
    opts: EvalOptions,
    digest: str,
    sha: str | None,
    stop: anyio.Event | None = None,
) -> EvalRun:
    engine = Engine(target.config, transport=transport, clock=clock, observers=observers)
    async with engine:
        judge = engine_judge(engine, feature=suite.judge.feature, max_tokens=suite.judge.max_tokens)
        run = await run_suite(
            suite,
            engine,
            feature=target.feature,
            target=target.label,
            judge=judge,
            concurrency=opts.concurrency,
            now=now,
            on_progress=on_progress,
            suite_dir=suite_dir,
            commit=sha,
            stop=stop,
        )
    run.config_hash = digest
    settings = flat_settings(target.config, target.feature)
    if target.mock_profile is not None:  # a spawned mock's port is no setting of the user's
        settings = {k: v for k, v in settings.items() if not k.endswith(".base_url")}
    run.meta[SETTINGS_KEY] = settings
    if target.mock_profile is not None:
        run.meta["mock_profile"] = target.mock_profile
    return run


def _no_answer(run: EvalRun) -> str | None:
    """Why ``run`` measured nothing about the model (no trial got its answer), or None."""
    if run.total == 0 or run.answered > 0:
        return None
    causes = Counter(c.error for c in run.cases if c.error)
    top = f": {causes.most_common(1)[0][0]}" if causes else ""
    return (
        f"no case got an answer from the model (0 of {run.total} trials){top}; "
        "not a pass, not compared and not recorded"
    )

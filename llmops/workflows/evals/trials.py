"""Run a suite through the engine, concurrently, and record every trial.

The engine applies the configured limits, retries and breaker, so an eval never trips the rate
limit it is testing. A run is stamped with the engine's clock (``engine.clock.wall()``, Unix
seconds) unless ``now`` is given, so a test can lay out a week of daily runs.
"""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import anyio
import orjson

from llmops.config import LlmopsConfig
from llmops.engine.engine import Engine
from llmops.engine.result import cause_of
from llmops.errors import CallError, LlmopsError
from llmops.redact import redact_urls
from llmops.sigint import cancel_when_set
from llmops.workflows.evals.checks import Judge, run_checks
from llmops.workflows.evals.promptfoo_format import PromptfooSuite
from llmops.workflows.evals.records import CaseRecord, EvalRun
from llmops.workflows.evals.suite import PythonCheck, Suite, load_function, target_api

Progress = Callable[[int, int], None]


def config_hash(config: LlmopsConfig, feature: str | None, target: str) -> str:
    """SHA-256 (16 hex digits) of the configuration that shapes answers, and the target label.

    Only key *names* are in the config (never keys), so the hash reveals nothing secret.
    """
    data = {"config": config.model_dump(mode="json"), "feature": feature, "target": target}
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def git_commit(cwd: Path | None = None) -> str | None:
    """``git rev-parse HEAD`` in ``cwd`` (the working directory), or None outside a repository."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit[:12] if out.returncode == 0 and commit else None


def requested_model(config: LlmopsConfig, feature: str | None) -> str | None:
    """The model id the engine will request for ``feature`` (or for its only provider)."""
    if feature is not None:
        cfg = config.features.get(feature)
        if cfg is None:
            return None
        if cfg.model:
            return cfg.model
        found = config.provider_for(cfg)
        return found[1].model if found else None
    if len(config.providers) == 1:
        return next(iter(config.providers.values())).model
    return None


async def run_suite(
    suite: Suite,
    engine: Engine,
    *,
    feature: str | None = None,
    target: str = "",
    judge: Judge | None = None,
    concurrency: int = 8,
    now: Callable[[], float] | None = None,
    on_progress: Progress | None = None,
    suite_dir: Path | None = None,
    commit: str | None = None,
    stop: anyio.Event | None = None,
) -> EvalRun:
    """Run every case (``repeat`` times) through ``engine`` and return the recorded run.

    When ``stop`` is set (Ctrl-C) the trials in flight are cancelled and the run holds only
    the finished ones, with ``meta["interrupted"]`` saying how many of how many.

    ``engine`` must be entered. A call that fails (or answers from a fallback) is a failed
    trial with the error recorded; it does not stop the run. ``started_at`` and ``finished_at``
    are read from ``now`` (Unix seconds), by default the engine's clock's ``wall``.
    """
    now = now or engine.clock.wall
    suite.start_run()
    trials = [
        (i, r)
        for i, case in enumerate(suite.cases)
        for r in range(case.repeat or suite.defaults.repeat)
    ]
    suite_dir = suite_dir or suite.source_dir
    for check in (*suite.defaults.checks, *(c for case in suite.cases for c in case.checks)):
        if isinstance(check, PythonCheck):
            load_function(check.function, suite_dir)  # an InputError now, not from a task group
    records: list[CaseRecord | None] = [None] * len(trials)
    model = requested_model(engine.config, feature)
    limiter = anyio.CapacityLimiter(max(1, concurrency))
    done = 0
    started = now()

    async def one(slot: int, index: int, repeat: int) -> None:
        nonlocal done
        async with limiter:
            records[slot] = await _trial(
                suite, index, repeat, engine, feature, model, judge, suite_dir
            )
        done += 1
        if on_progress is not None:
            on_progress(done, len(trials))

    async with anyio.create_task_group() as outer:
        if stop is not None:
            outer.start_soon(cancel_when_set, stop, outer.cancel_scope)
        if suite.sequential:  # later cases read earlier answers: one at a time, in order
            for slot, (index, repeat) in enumerate(trials):
                await one(slot, index, repeat)
        else:
            async with anyio.create_task_group() as tg:
                for slot, (index, repeat) in enumerate(trials):
                    tg.start_soon(one, slot, index, repeat)
        outer.cancel_scope.cancel()
    if done == len(trials):
        await suite.compare(records, engine, feature)
    run = EvalRun(
        run_id=uuid.uuid4().hex,
        suite=suite.name,
        started_at=started,
        finished_at=max(started, now()),
        suite_hash=suite.content_hash(),
        config_hash=config_hash(engine.config, feature, target),
        git_commit=commit,
        target=redact_urls(target),
        model_requested=model,
        cases=[r for r in records if r is not None],
    )
    if done < len(trials):
        run.meta["interrupted"] = f"interrupted after {done} of {len(trials)} trials"
    return run


async def _trial(
    suite: Suite,
    index: int,
    repeat: int,
    engine: Engine,
    feature: str | None,
    model: str | None,
    judge: Judge | None,
    suite_dir: Path | None,
) -> CaseRecord:
    case = suite.cases[index]
    case_id = suite.case_id(index)
    record = CaseRecord(case_id, repeat, False, None, model_requested=model)
    problem = suite.problem_for(index)
    if problem is not None:
        record.error = problem
        return record
    messages = suite.messages_for(index)
    try:
        result = await engine.call(
            messages,
            feature=feature,
            max_tokens=case.max_tokens or suite.defaults.max_tokens,
            options=suite.options_for(index, target_api(engine, feature)),
        )
    except LlmopsError as exc:
        cause = f" (cause: {cause_of(exc)})" if isinstance(exc, CallError) else ""
        record.error = redact_urls(f"{type(exc).__name__}: {exc}{cause}")
        return record
    record.latency_s = result.latency_s
    if not result.ok or result.text is None or result.response is None:
        record.output = result.text
        error = (
            f"{result.outcome}: {result.error} (cause: {result.cause})"
            if result.error
            else result.outcome
        )
        record.error = redact_urls(error)
        return record
    response = result.response
    record.output = result.text
    record.model_reported = response.model
    record.system_fingerprint = response.system_fingerprint
    if response.usage is not None:
        record.input_tokens = response.usage.input_tokens
        record.output_tokens = response.usage.output_tokens
    if isinstance(suite, PromptfooSuite):  # promptfoo's assertions, graded its way
        record.checks, record.passed = await suite.grade(index, result, engine, feature)
        return record
    checks = [*suite.defaults.checks, *case.checks]
    context = {"case_id": case_id, "vars": dict(case.vars), "suite_dir": suite_dir}
    record.checks = await run_checks(checks, result.text, messages, judge=judge, context=context)
    record.passed = all(v.passed for v in record.checks)
    return record

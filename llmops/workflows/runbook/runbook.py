"""``check_runbook``: the six runbook questions, per feature, answered by evidence or drills.

This is what ``llmops runbook check`` calls, and what a library user calls::

    from llmops.workflows.runbook import check_runbook
    result = check_runbook(load_config("llmops.yaml"), config_path="llmops.yaml")
    sys.exit(result.exit_code)  # 0 ready, 1 not ready, 3 a check could not run

Drills run in-process on virtual time with isolated state (see :mod:`.drills`); evidence is
read, never written. Every failing answer names what to fix.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from typing import Literal

from llmops.config import LlmopsConfig, RunbookConfig, RunbookFeature
from llmops.errors import InputError, did_you_mean
from llmops.workflows.runbook import questions
from llmops.workflows.runbook.evidence import drift_answer, loadtest_answer
from llmops.workflows.runbook.model import QUESTIONS, Answer, FeatureReport, RunbookResult
from llmops.workflows.runbook.waivers import apply_waivers


def parse_questions(text: str | None) -> list[int]:
    """``"1,3"`` -> ``[1, 3]``; None -> all six. Raises :class:`InputError` otherwise."""
    if text is None:
        return list(QUESTIONS)
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) not in QUESTIONS:
            raise InputError(f"--question: got {part!r}, expected numbers 1 to 6, e.g. 1,3")
        out.append(int(part))
    return sorted(set(out))


def _select(cfg: LlmopsConfig, names: Iterable[str] | None) -> list[str]:
    known = sorted(cfg.features)
    if names is None:
        return list(cfg.features)
    chosen = list(names)
    for name in chosen:
        if name not in cfg.features:
            extra = did_you_mean(
                name, known, otherwise=f" (features: {', '.join(known) or 'none'})"
            )
            raise InputError(f"--feature: no feature {name!r} in the configuration{extra}")
    return chosen


def _guarded(question: int, fn: Callable[[], Answer]) -> Answer:
    try:
        return fn()
    except Exception as exc:  # the check itself broke: exit 3, never a pass
        return Answer(question, "error", f"the check could not run: {type(exc).__name__}: {exc}",
                      fix="rerun with --debug and report it")  # fmt: skip


def check_runbook(
    cfg: LlmopsConfig,
    *,
    config_path: str = "llmops.yaml",
    features: Iterable[str] | None = None,
    question_numbers: Iterable[int] | None = None,
    drills: bool = True,
    waivers: bool = True,
    fail_on: Literal["fail", "warn"] = "fail",
    now: float | None = None,
    on_answer: Callable[[str, Answer], None] | None = None,
) -> RunbookResult:
    """Answer the selected questions for the selected features (all by default).

    ``on_answer(feature, answer)`` sees each answer as it is given. Ctrl-C (``KeyboardInterrupt``)
    ends the check with the answers given so far, marked ``interrupted`` (exit code 130).

    ``now`` (Unix seconds) dates the evidence; the wall clock when None. Raises
    :class:`InputError` for an unknown feature or question.
    """
    started = time.perf_counter()
    now = time.time() if now is None else now
    rb = cfg.runbook or RunbookConfig()
    wanted = list(question_numbers) if question_numbers is not None else list(QUESTIONS)
    reports: list[FeatureReport] = []
    names = _select(cfg, features)
    interrupted = None
    try:
        for name in names:
            answers_cfg = rb.features.get(name, RunbookFeature())
            report = FeatureReport(name, answers_cfg.owner)
            reports.append(report)
            for q in wanted:
                answer = _guarded(
                    q, _asker(q, cfg, name, answers_cfg, rb, drills, now, config_path)
                )
                report.answers.append(answer)
                if on_answer is not None:
                    on_answer(name, answer)
    except KeyboardInterrupt:
        given = sum(len(r.answers) for r in reports)
        interrupted = f"interrupted after {given} of {len(names) * len(wanted)} answers"
        reports = [r for r in reports if r.answers]
    unused: list[str] = []
    if waivers:
        today = dt.datetime.fromtimestamp(now, dt.timezone.utc).date()
        unused = apply_waivers(reports, rb.waivers, today)
    return RunbookResult(
        config_path=config_path,
        checked_at=now,
        features=reports,
        fail_on=fail_on,
        drills=drills,
        waivers_applied=waivers,
        unused_waivers=unused,
        wall_s=time.perf_counter() - started,
        interrupted=interrupted,
    )


def _asker(
    q: int,
    cfg: LlmopsConfig,
    name: str,
    answers: RunbookFeature,
    rb: RunbookConfig,
    drills: bool,
    now: float,
    config_path: str,
) -> Callable[[], Answer]:
    if q == 1:
        return lambda: questions.api_down(cfg, name, answers, drills=drills)
    if q == 2:
        return lambda: questions.rate_limit(cfg, name, answers, rb.evidence, drills=drills)
    if q == 3:
        return lambda: loadtest_answer(
            cfg, name, answers, rb.evidence, now=now, config_path=config_path
        )
    if q == 4:
        return lambda: drift_answer(name, answers, rb.evidence, now=now, config_path=config_path)
    if q == 5:
        return lambda: questions.fallback(cfg, name)
    return lambda: questions.breaker(cfg, name, drills=drills)

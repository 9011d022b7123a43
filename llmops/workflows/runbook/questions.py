"""Questions 1, 2, 5 and 6: answers from the configuration and from drills.

Each function returns one :class:`~llmops.workflows.runbook.model.Answer`. A drill whose fault
did not fire is ``inconclusive``; with drills turned off the configuration is still checked and
a passing answer becomes ``warn`` ("not drilled").
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from llmops.config import LlmopsConfig, RunbookEvidence, RunbookFeature
from llmops.workflows.runbook.drill_breaker import breaker_drill
from llmops.workflows.runbook.drill_limits import rate_limit_drill
from llmops.workflows.runbook.drills import DrillResult, outage_drill
from llmops.workflows.runbook.evidence import read_loadtest
from llmops.workflows.runbook.model import Answer, Evidence

_DRILL = Evidence("drill", "in-process mock, virtual clock, isolated state")


def _from_drill(question: int, drill: DrillResult, ok: str, fix: str) -> Answer:
    if not drill.fired:
        return Answer(question, "inconclusive", "the drill's fault never fired: nothing was proven",
                      fix="report this: the mock injected no failure", numbers=drill.numbers,
                      evidence=[_DRILL], details=drill.details)  # fmt: skip
    if drill.problems:
        return Answer(question, "fail", "; ".join(drill.problems), fix=fix,
                      numbers=drill.numbers, evidence=[_DRILL], details=drill.details)  # fmt: skip
    return Answer(question, "pass", ok, numbers=drill.numbers, evidence=[_DRILL],
                  details=drill.details)  # fmt: skip


def _undrilled(question: int, message: str) -> Answer:
    return Answer(question, "warn", f"{message} (not drilled: --no-drills)",
                  fix="run without --no-drills", evidence=[Evidence("config", "llmops.yaml")])  # fmt: skip


def api_down(cfg: LlmopsConfig, feature: str, rb: RunbookFeature, *, drills: bool) -> Answer:
    """Question 1: a declared sentence, and the outage drill ends every call in the fallback."""
    key = f"runbook.features.{feature}.when_down"
    if not rb.when_down:
        init = "run `llmops runbook init`, then " if cfg.runbook is None else ""
        return Answer(1, "fail", "no sentence saying what the user sees", fix=f"{init}set {key}")
    strategy = cfg.features[feature].fallback.strategy
    if not drills:
        return _undrilled(1, f"declared: {rb.when_down}")
    drill = outage_drill(cfg, feature)
    fix = f"fix features.{feature}.fallback so that it answers during an outage"
    return _from_drill(1, drill, f"every call degraded to {strategy}: {rb.when_down}", fix)


def _advertised(path: Path) -> dict[str, float]:
    """The limits a loadtest report recorded from the provider's headers (may be none)."""
    try:
        data = read_loadtest(path)
    except (OSError, ValueError):
        return {}
    found = data.get("advertised_limits") or data.get("rate_limits") or {}
    return {k: float(v) for k, v in found.items() if isinstance(v, (int, float))}


def rate_limit(
    cfg: LlmopsConfig,
    feature: str,
    rb: RunbookFeature,
    evidence: RunbookEvidence,
    *,
    drills: bool,
) -> Answer:
    """Question 2: limits declared (or headers trusted), not above the advertised ones, shared
    across instances, and the burst drill lets no 429 through."""
    limits = cfg.limits
    declared = {
        "requests_per_minute": limits.requests_per_minute,
        "tokens_per_minute": limits.tokens_per_minute,
    }
    if not any(declared.values()) and not rb.trust_provider_limits:
        return Answer(2, "fail", "no rate limit declared",
                      fix="set limits.requests_per_minute (and/or tokens_per_minute), or "
                      f"runbook.features.{feature}.trust_provider_limits: true")  # fmt: skip
    instances, state = cfg.state.instances, cfg.state.backend
    if instances > 1 and state != "redis":
        return Answer(2, "fail", f"{instances} instances with {state} state: each instance gets "
                      "the whole limit", fix="set state.backend: redis (shared limiter) or state.instances: 1")  # fmt: skip
    report = Path(rb.loadtest_report or evidence.loadtest)
    advertised = _advertised(report)
    above = [
        f"{k} {v:g} > advertised {advertised[k]:g}"
        for k, v in declared.items()
        if v is not None and k in advertised and v > advertised[k]
    ]
    if above:
        return Answer(2, "fail", "declared limits above the provider's: " + ", ".join(above),
                      fix="lower limits." + above[0].split()[0] + " to the advertised value",
                      evidence=[Evidence("loadtest", str(report))])  # fmt: skip
    shown = ", ".join(f"{k} {v:g}" for k, v in declared.items() if v) or "provider headers"
    if not drills:
        return _undrilled(2, f"limits: {shown}")
    drill = rate_limit_drill(cfg, feature, advertise_only=not any(declared.values()))
    fix = "check limits.* and retry settings: the engine must pace calls under the limit"
    answer = _from_drill(2, drill, f"limits {shown}: paced, no 429 reached the caller", fix)
    if not advertised and answer.status == "pass":
        answer.numbers += "; no advertised limits recorded to compare with"
    return answer


def _writable(path: Path) -> bool:
    """Whether a SQLite file can be written at ``path`` (created in its nearest existing folder)."""
    if path.exists():
        return path.is_file() and os.access(path, os.W_OK)
    parent = next((p for p in path.absolute().parents if p.exists()), None)
    return parent is not None and parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)


def fallback(cfg: LlmopsConfig, feature: str) -> Answer:
    """Question 5: a fallback is declared (the implicit default does not count) and fits."""
    feat = cfg.features[feature]
    key = f"features.{feature}.fallback"
    if "fallback" not in feat.model_fields_set:
        return Answer(5, "fail", "no fallback declared (the implicit error fallback does not count)",
                      fix=f"set {key}.strategy: queue, default, cached or error")  # fmt: skip
    fb = feat.fallback
    ev = [Evidence("config", key)]
    if fb.strategy == "default":
        text = fb.value if isinstance(fb.value, str) else orjson.dumps(fb.value).decode()
        problem = feat.validation.problem(text) if feat.validation is not None else None
        if problem:
            return Answer(5, "fail", f"the default value fails the feature's validation: {problem}",
                          fix=f"set {key}.value to an answer that passes features.{feature}.validation",
                          evidence=ev)  # fmt: skip
        return Answer(5, "pass", "default value passes the feature's validation", evidence=ev,
                      numbers=f"default: {text[:60]}")  # fmt: skip
    if fb.strategy == "queue":
        if not _writable(Path(fb.path)):
            return Answer(5, "fail", f"the queue path {fb.path} is not writable",
                          fix=f"set {key}.path to a writable place", evidence=ev)  # fmt: skip
        return Answer(5, "pass", f"failed calls are queued in {fb.path}", evidence=ev)
    if fb.strategy == "error":
        if not fb.message.strip():
            return Answer(5, "fail", "the error fallback has no message", fix=f"set {key}.message",
                          evidence=ev)  # fmt: skip
        return Answer(5, "pass", f"fails explicitly: {fb.message!r}", evidence=ev)
    return Answer(5, "pass", f"the last good answer (up to {fb.max_entries} kept)", evidence=ev)


def breaker(cfg: LlmopsConfig, feature: str, *, drills: bool) -> Answer:
    """Question 6: the breaker is on, and its drill opens, probes, closes and obeys manual control."""
    b = cfg.breaker
    if not b.enabled:
        return Answer(6, "fail", "the circuit breaker is disabled", fix="set breaker.enabled: true")
    shown = (f"opens at failure rate {b.failure_rate_threshold:g} over {b.minimum_calls}+ calls "
             f"in {b.window_s:g}s, open {b.open_s:g}s, {b.half_open_probes} probe(s)")  # fmt: skip
    if not drills:
        return _undrilled(6, shown)
    fix = "check breaker.* (failure_rate_threshold, minimum_calls, open_s, half_open_probes)"
    return _from_drill(6, breaker_drill(cfg, feature), shown, fix)

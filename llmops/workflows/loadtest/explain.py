"""Sentences of the verdict that say *why*: who answered (the model or the fallback), the
upstream cause behind refusals and fallbacks, and what our own breaker did versus the target.

For the team's own feature (a function or HTTP target) no engine sits in front: there is no
upstream, breaker or fallback of ours to speak of, and the causes are the feature's own errors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from llmops.workflows.loadtest.metrics import LevelResult

__all__ = ["END_TO_END_KINDS", "breaker_lines", "cause_clause", "degraded_line"]

#: target kinds that are the team's own feature, called end to end with no engine in front
END_TO_END_KINDS = frozenset({"function", "http"})

#: upstream failure classes that say the target was overloaded (not down or broken)
_OVERLOAD = {"overloaded", "rate_limited", "timeout"}


def cause_clause(levels: Sequence[LevelResult], most: int = 2, *, end_to_end: bool = False) -> str:
    """``"the upstream cause behind them: connection refused to 127.0.0.1:9 (20 of 20)"``,
    or for the team's own feature (``end_to_end``) ``"the feature's errors: HTTP 503
    (success is 2xx) x20"``; ``""`` when no cause was recorded over ``levels``."""
    counts = Counter[str]()
    for level in levels:
        counts.update(level.causes)
    if not counts:
        return ""
    if end_to_end:
        shown = "; ".join(f"{cause} x{n}" for cause, n in counts.most_common(most))
        return f"the feature's errors: {shown}"
    total = sum(counts.values())
    shown = "; ".join(f"{cause} ({n} of {total})" for cause, n in counts.most_common(most))
    return f"the upstream cause behind them: {shown}"


def degraded_line(levels: Sequence[LevelResult], unit: str) -> str | None:
    """Where the feature's fallback answered instead of the model, or ``None`` if nowhere."""
    hit = [lv for lv in levels if lv.degraded]
    if not hit:
        return None
    total = sum(lv.degraded for lv in hit)
    where = ", ".join(f"{lv.degraded_rate:.0%} at {lv.load:g}" for lv in hit)
    cause = cause_clause(hit)
    return (
        f"The fallback answered {total} requests instead of the model ({where} {unit}): "
        "degraded answers, counted apart and not as successes"
        + (f"; {cause}" if cause else "")
        + "."
    )


def breaker_lines(levels: Sequence[LevelResult], unit: str) -> list[str]:
    """For each level where the engine's own circuit breaker refused requests: that it was
    our breaker (turning overload into refusals when the target answered 429/503/529 or timed
    out; else refusing a target whose attempts failed), and, separately, what the target
    answered."""
    lines: list[str] = []
    for lv in levels:
        if not lv.breaker_refusals:
            continue
        opened = next((t for t in lv.breaker if "-> open" in t), None)
        why = f" ({opened.partition(': ')[2]})" if opened else ""
        attempts = lv.upstream_attempts
        answered = round(lv.upstream_success_rate * attempts)
        target = f"the target itself answered {answered} of {attempts} attempts"
        failed = ", ".join(f"{n} {cls}" for cls, n in lv.upstream_errors_by_class.items())
        statuses = ", ".join(f"HTTP {s} x{n}" for s, n in lv.errors_by_status.items())
        if failed:
            target += f"; failed: {failed}" + (f" ({statuses})" if statuses else "")
        overload = bool(_OVERLOAD & set(lv.upstream_errors_by_class))
        what = (
            "the breaker turned overload into refusals"
            if overload
            else "the breaker refused because the target's own attempts were failing"
        )
        lines.append(
            f"At {lv.load:g} {unit} our own circuit breaker (the engine's, not the target's) "
            f"opened{why} and refused {lv.breaker_refusals} of {lv.requests} requests without "
            f"calling the target: {what}. Separately, {target}."
        )
    return lines

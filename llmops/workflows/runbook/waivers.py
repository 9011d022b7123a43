"""Waivers: a question of a feature accepted as unanswered until a date, by a named owner.

A waiver turns a ``fail``, ``warn``, ``stale`` or ``inconclusive`` answer into ``waived``; an
expired waiver turns it into ``fail`` instead; a waiver that matched no such answer is reported
as unused. ``error`` (the check itself did not run) is never waived.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from llmops.config import RunbookWaiver
from llmops.workflows.runbook.model import FeatureReport

_WAIVABLE = frozenset({"fail", "warn", "stale", "inconclusive"})


def describe(waiver: RunbookWaiver) -> str:
    """One line naming a waiver."""
    return (
        f"question {waiver.question} of {waiver.feature}: {waiver.reason} "
        f"(owner {waiver.owner}, expires {waiver.expires.isoformat()})"
    )


def apply_waivers(
    features: Sequence[FeatureReport], waivers: Sequence[RunbookWaiver], today: dt.date
) -> list[str]:
    """Apply ``waivers`` to the answers in place; return the unused ones, described."""
    unused: list[str] = []
    by_key = {(f.name, a.question): a for f in features for a in f.answers}
    for w in waivers:
        answer = by_key.get((w.feature, w.question))
        if answer is None or answer.status not in _WAIVABLE:
            state = "expired and unused" if w.expires < today else "unused"
            unused.append(f"{state}: {describe(w)}")
            continue
        if w.expires < today:
            answer.status = "fail"
            answer.message = f"waiver expired on {w.expires.isoformat()}; {answer.message}"
            answer.fix = f"fix it, or renew the waiver ({w.owner}): {answer.fix}".rstrip(": ")
            continue
        answer.status = "waived"
        answer.waiver = describe(w)
    return unused

"""One LLM call as read from a log: its input (text or a ready profile) joined with its outcome.

Every log format is reduced to :class:`Call`. Outcomes are one of :data:`OUTCOMES`; everything
that is not ``ok`` counts as a failure. Formats that spread one call over several lines (llmops's
own events, OpenAI Batch input + output files) produce partial calls with a ``join_key``; they are
merged by :func:`merge_into` and complete once both the input and the outcome are known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmops.content import content_text, messages_text
from llmops.core.textprofile import TextProfile
from llmops.timestamps import as_float, parse_time

__all__ = [
    "OUTCOMES",
    "Call",
    "as_float",
    "as_int",
    "content_text",
    "dig",
    "merge_into",
    "messages_text",
    "parse_time",
]

#: outcome classes, in the order of the per-segment counters
OUTCOMES = ("ok", "validation_failed", "error", "degraded")


@dataclass(slots=True)
class Call:
    """One request: input, outcome and what the response reported."""

    text: str | None = None
    profile: TextProfile | None = None
    outcome: str | None = None
    error_type: str | None = None
    status: int | None = None
    retried: bool = False
    fallback: str | None = None
    latency_s: float | None = None
    output_tokens: int | None = None
    model: str | None = None
    turns: int | None = None
    feature: str | None = None
    time: float | None = None
    join_key: str | None = None

    @property
    def has_input(self) -> bool:
        return self.text is not None or self.profile is not None

    @property
    def complete(self) -> bool:
        return self.outcome is not None and self.has_input


def merge_into(base: Call, part: Call) -> None:
    """Copy every field ``part`` knows into ``base`` (later parts win, ``retried`` accumulates)."""
    for name in Call.__slots__:
        if name == "retried":
            base.retried = base.retried or part.retried
            continue
        value = getattr(part, name)
        if value is not None:
            setattr(base, name, value)


def dig(obj: Any, path: str) -> Any:
    """Value at a dotted path in nested dicts (a literal key containing dots wins), else None."""
    if not isinstance(obj, dict):
        return None
    if path in obj:
        return obj[path]
    head, dot, rest = path.partition(".")
    while dot:
        if head in obj:
            found = dig(obj[head], rest)
            if found is not None:
                return found
        more, dot, rest = rest.partition(".")
        head = f"{head}.{more}"
    return None


def as_int(value: Any) -> int | None:
    """An int from an int, float or numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None

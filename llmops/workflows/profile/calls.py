"""One LLM call as read from a log: its input (text or a ready profile) joined with its outcome.

Every log format is reduced to :class:`Call`. Outcomes are one of :data:`OUTCOMES`; everything
that is not ``ok`` counts as a failure. Formats that spread one call over several lines (llmops's
own events, OpenAI Batch input + output files) produce partial calls with a ``join_key``; they are
merged by :func:`merge_into` and complete once both the input and the outcome are known.

The format readers decode records with :mod:`msgspec` structs. A field that holds an object in
a well-formed record is typed ``SomeStruct | Scalar | list[Any]``, so a record with another type
there is still read (as the plain value, which the reader then ignores) rather than refused: any
JSON value fits. :class:`Message` and :func:`user_text` are the typed chat message list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import msgspec

from llmops.content import content_text, messages_text
from llmops.core.textprofile import TextProfile
from llmops.timestamps import as_float, parse_time

__all__ = [
    "OUTCOMES",
    "UNSET",
    "Call",
    "Message",
    "Messages",
    "Scalar",
    "as_float",
    "as_int",
    "cached_time",
    "content_text",
    "dig",
    "merge_into",
    "messages_text",
    "parse_time",
    "present",
    "user_text",
]

#: outcome classes, in the order of the per-segment counters
OUTCOMES = ("ok", "validation_failed", "error", "degraded")

#: a struct field's value when its key is absent from the record
UNSET: Any = msgspec.UNSET
#: every JSON value that is neither an object nor an array
Scalar: TypeAlias = str | int | float | bool | None


class Message(msgspec.Struct):
    """One chat message; only what the input text needs."""

    role: Any = None
    content: Any = UNSET
    parts: Any = UNSET


#: a chat message list as logs hold it (a plain string is the input itself)
Messages: TypeAlias = list[Message | Scalar | list[Any]] | Scalar | dict[str, Any]


def present(*values: Any) -> Any:
    """The first value whose key was present (``obj.get(a, obj.get(b, ...))``), else None."""
    for value in values:
        if value is not UNSET:
            return value
    return None


def user_text(messages: Any) -> tuple[str | None, int | None]:
    """:func:`messages_text` of a typed message list (:data:`Messages`)."""
    if isinstance(messages, str):
        return messages, 1
    if not isinstance(messages, list):
        return None, None
    last: str | None = None
    turns = 0
    for message in messages:
        if type(message) is Message and message.role == "user":
            turns += 1
            content = message.content
            if content is UNSET:
                content = None if message.parts is UNSET else message.parts
            last = content if type(content) is str else content_text(content)
    return last, turns


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


_MERGED = tuple(name for name in Call.__slots__ if name != "retried")


def merge_into(base: Call, part: Call) -> None:
    """Copy every field ``part`` knows into ``base`` (later parts win, ``retried`` accumulates)."""
    base.retried = base.retried or part.retried
    for name in _MERGED:
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
    if isinstance(value, float | str):
        try:
            return int(float(value))
        except (ValueError, OverflowError):  # not a number, or NaN / infinity ("1e400")
            return None
    return None


#: distinct timestamp strings remembered by :func:`cached_time` (then it starts afresh)
TIME_CACHE_SIZE = 4096
_TIMES: dict[str, float | None] = {}


def cached_time(value: Any) -> float | None:
    """:func:`parse_time`, remembering the answers for timestamp strings: a busy log repeats
    each second's timestamp over many records."""
    if type(value) is not str:
        return parse_time(value)
    try:
        return _TIMES[value]
    except KeyError:
        if len(_TIMES) >= TIME_CACHE_SIZE:
            _TIMES.clear()
        stamp = _TIMES[value] = parse_time(value)
        return stamp

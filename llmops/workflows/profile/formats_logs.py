"""llmops's own event log, and plain structured logs (structlog, pino) mapped by field paths.

llmops events (see :mod:`llmops.engine.events`): ``input_profile`` carries the profile,
``model_call`` the attempt (response model, output tokens, status), ``call_finished`` the outcome
(``ok``, ``degraded:<strategy>``, ``error`` with ``error.type``; a ``cancelled`` call, whose
caller left before it ended, has no outcome of its input and is left out). They are joined on
``llmops.request_id``. The profile event has no non-ASCII share or informal-marker count: those
features are reported as ``n/a`` for this format. An event is decoded into :class:`LlmopsEvent`.

A plain structured log has no fixed keys (its fields are named with ``--field``), so its records
are decoded as objects (``dict[str, Any]``) and read through :class:`FieldMap`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import msgspec

from llmops.core.textprofile import TextProfile
from llmops.errors import InputError
from llmops.workflows.profile.calls import Call, as_float, as_int, cached_time, dig

__all__ = [
    "OK_WORDS",
    "FailureRule",
    "FieldMap",
    "LlmopsEvent",
    "classify_outcome",
    "from_llmops",
    "from_structured",
]

#: outcome values that mean success in plain structured logs
OK_WORDS = frozenset({"ok", "success", "succeeded", "successful", "true", "pass", "passed", "done"})
#: marker for "this format does not say" in a profile's share / count fields
UNKNOWN = -1


def classify_outcome(value: Any) -> tuple[str, str | None]:
    """Map a free-form outcome value to ``(outcome class, error type)``."""
    text = str(value).strip().lower()
    if text in OK_WORDS or text in ("200", "1"):
        return "ok", None
    if "valid" in text:
        return "validation_failed", "validation_failed"
    if text.startswith(("degraded", "fallback")):
        return "degraded", None
    return "error", text or "error"


def _field(name: str) -> Any:
    return msgspec.field(default=None, name=name)


class LlmopsEvent(msgspec.Struct):
    """One event of llmops's own log (``input_profile``, ``model_call``, ``call_finished``)."""

    event: Any = None
    request_id: Any = _field("llmops.request_id")
    time: Any = None
    feature: Any = _field("llmops.feature")
    chars: Any = _field("llmops.input.chars")
    words: Any = _field("llmops.input.words")
    lines: Any = _field("llmops.input.lines")
    has_code: Any = _field("llmops.input.has_code")
    language: Any = _field("llmops.input.language")
    response_model: Any = _field("gen_ai.response.model")
    output_tokens: Any = _field("gen_ai.usage.output_tokens")
    status_code: Any = _field("http.response.status_code")
    attempt: Any = _field("llmops.attempt")
    attempts: Any = _field("llmops.attempts")
    outcome: Any = _field("llmops.outcome")
    error_type: Any = _field("error.type")
    latency_s: Any = _field("llmops.latency_s")


def _finished(event: LlmopsEvent, call: Call) -> None:
    raw = str(event.outcome or "error")
    error_type = event.error_type
    if raw == "ok":
        call.outcome = "ok"
    elif raw.startswith("degraded"):
        call.outcome = "degraded"
        call.fallback = raw.partition(":")[2] or "unknown"
    elif error_type == "validation_failed":
        call.outcome = "validation_failed"
    else:
        call.outcome = "error"
    call.error_type = None if error_type is None else str(error_type)
    call.retried = (as_int(event.attempts) or 1) > 1
    call.latency_s = as_float(event.latency_s)


def from_llmops(event: LlmopsEvent) -> Call | None:
    """One llmops event as a partial :class:`Call` keyed by request id; None for other events."""
    kind = event.event
    request_id = event.request_id
    if request_id is None or (kind == "call_finished" and event.outcome == "cancelled"):
        return None
    call = Call(join_key=str(request_id), time=cached_time(event.time))
    feature = event.feature
    call.feature = None if feature is None else str(feature)
    if kind == "input_profile":
        chars = as_int(event.chars) or 0
        call.profile = TextProfile(
            chars=chars,
            words=as_int(event.words) or 0,
            lines=as_int(event.lines) or 0,
            token_estimate=(chars + 3) // 4,
            has_code=bool(event.has_code),
            language=event.language,
            non_ascii_share=float(UNKNOWN),
            informal_markers=UNKNOWN,
        )
    elif kind == "model_call":
        call.model = event.response_model or None
        call.output_tokens = as_int(event.output_tokens)
        call.status = as_int(event.status_code)
        call.retried = (as_int(event.attempt) or 1) > 1
    elif kind == "call_finished":
        _finished(event, call)
    else:
        return None
    return call


@dataclass(frozen=True, slots=True)
class FailureRule:
    """What counts as a failure in a plain structured log, parsed from ``--fail-if``.

    ``PATH=V1,V2`` fails when the value is one of the list; ``PATH!=V1,V2`` when it is none of
    them; ``PATH>=N`` / ``PATH>N`` when the number is at least / above N; a bare ``PATH`` when the
    value is present and truthy. Without a rule the outcome field's value is classified by words
    (``ok``/``success`` → ok, anything with ``valid`` → validation failed, ``degraded``/``fallback``
    → degraded, everything else an error).
    """

    path: str
    op: str
    values: tuple[str, ...] = ()
    threshold: float = 0.0

    @classmethod
    def parse(cls, expr: str) -> FailureRule:
        """Parse ``--fail-if`` text; raises :class:`InputError` naming the expression."""
        for op in ("!=", ">=", "=", ">"):
            path, found, rhs = expr.partition(op)
            if found:
                path = path.strip()
                if not path or not rhs.strip():
                    break
                if op in (">=", ">"):
                    number = as_float(rhs.strip())
                    if number is None:
                        raise InputError(f"--fail-if {expr!r}: expected a number after {op}")
                    return cls(path, op, threshold=number)
                return cls(path, op, tuple(v.strip() for v in rhs.split(",")))
        if expr.strip() and not any(c in expr for c in "=<>!"):
            return cls(expr.strip(), "truthy")
        raise InputError(
            f"--fail-if {expr!r}: expected PATH=V1,V2, PATH!=V1,V2, PATH>=N, PATH>N or PATH"
        )

    def failed(self, obj: Mapping[str, Any]) -> bool:
        """Whether the record ``obj`` is a failure under this rule."""
        value = dig(obj, self.path)
        if self.op == "truthy":
            return bool(value)
        if self.op in (">=", ">"):
            number = as_float(value)
            if number is None:
                return False
            return number >= self.threshold if self.op == ">=" else number > self.threshold
        hit = value is not None and str(value) in self.values
        return hit if self.op == "=" else not hit


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Dotted paths of the fields of a plain structured log (``--field NAME=PATH``)."""

    paths: dict[str, str] = field(default_factory=dict)

    NAMES: ClassVar[tuple[str, ...]] = (
        "input",
        "outcome",
        "error",
        "model",
        "latency",
        "time",
        "feature",
        "turns",
        "status",
    )
    DEFAULTS: ClassVar[dict[str, str]] = {
        "input": "input",
        "outcome": "outcome",
        "error": "error",
        "model": "model",
        "latency": "latency_s",
        "time": "time",
        "feature": "feature",
        "turns": "turns",
        "status": "status",
    }

    @classmethod
    def parse(cls, specs: list[str]) -> FieldMap:
        """Parse ``NAME=PATH`` pairs; unknown names raise :class:`InputError`."""
        paths = dict(cls.DEFAULTS)
        for spec in specs:
            name, eq, path = spec.partition("=")
            name = name.strip()
            if not eq or not path.strip():
                raise InputError(f"--field {spec!r}: expected NAME=DOTTED.PATH")
            if name not in cls.NAMES:
                raise InputError(
                    f"--field {spec!r}: unknown name {name!r}; expected one of {', '.join(cls.NAMES)}"
                )
            paths[name] = path.strip()
        return cls(paths)

    def get(self, obj: Mapping[str, Any], name: str) -> Any:
        """The value of field ``name`` in the record ``obj`` (see :func:`dig`), else None."""
        path = self.paths[name]
        if "." in path:
            return dig(obj, path)
        return obj.get(path)  # what dig answers for a plain key, without its walk


def from_structured(
    obj: Mapping[str, Any], fields: FieldMap, rule: FailureRule | None
) -> Call | None:
    """A plain structured record as a :class:`Call`; None without an input text or an outcome."""
    text = fields.get(obj, "input")
    if not isinstance(text, str):
        return None
    raw_outcome = fields.get(obj, "outcome")
    error = fields.get(obj, "error")
    if rule is not None:
        failed = rule.failed(obj)
        outcome, error_type = (
            ("error", str(error or raw_outcome or "failed")) if failed else ("ok", None)
        )
        if failed and raw_outcome is not None:
            outcome, error_type = classify_outcome(raw_outcome)
            if outcome == "ok":
                outcome, error_type = "error", str(error or raw_outcome)
    elif raw_outcome is not None:
        outcome, error_type = classify_outcome(raw_outcome)
    elif error is not None:
        outcome, error_type = ("error", str(error)) if error else ("ok", None)
    else:
        return None
    if outcome == "error" and error:
        error_type = str(error)
    model = fields.get(obj, "model")
    feature = fields.get(obj, "feature")
    return Call(
        text=text,
        outcome=outcome,
        error_type=error_type,
        status=as_int(fields.get(obj, "status")),
        latency_s=as_float(fields.get(obj, "latency")),
        model=None if model is None else str(model),
        turns=as_int(fields.get(obj, "turns")),
        feature=None if feature is None else str(feature),
        time=cached_time(fields.get(obj, "time")),
    )

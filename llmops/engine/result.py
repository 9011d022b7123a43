"""What a call returns to its caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmops.errors import CallError
from llmops.types import LLMResponse


@dataclass(slots=True)
class CallResult:
    """The answer to one :meth:`llmops.Engine.call`.

    ``outcome`` is ``"ok"`` when the model answered, or ``"degraded:<strategy>"`` when the
    feature's fallback answered instead (``queue``, ``default``, ``cached``); then ``error`` is
    the failure that triggered it. ``text`` is the answer (or the fallback's value as text).
    """

    request_id: str
    feature: str
    outcome: str
    text: str | None
    response: LLMResponse | None = None
    value: Any = None
    error: CallError | None = None
    attempts: int = 0
    latency_s: float = 0.0
    queue_wait_s: float = 0.0
    queued_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def degraded(self) -> bool:
        return self.outcome.startswith("degraded:")

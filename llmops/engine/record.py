"""One call's facts as they become known, and the :class:`CallFinished` event they make."""

from __future__ import annotations

from dataclasses import dataclass

from llmops.engine.delivery import Delivery
from llmops.engine.events import CallFinished
from llmops.engine.result import cause_of
from llmops.engine.upstream import Upstream
from llmops.errors import CallError
from llmops.types import LLMRequest

__all__ = ["CallRecord"]


@dataclass(slots=True)
class CallRecord:
    """What the engine knows about one call so far (filled in as the call goes on)."""

    request_id: str
    feature: str
    start: float
    request: LLMRequest
    #: the upstream of the first route, then the one that answered
    upstream: Upstream
    delivery: Delivery
    attempts: int = 0
    queue_wait_s: float = 0.0
    #: the route that answered
    route: str | None = None
    #: whether its ``call_finished`` event has been made
    closed: bool = False

    def finished(
        self,
        outcome: str,
        err: CallError | None,
        now: float,
        *,
        content: bool,
        text: str | None = None,
        tools: tuple[str, ...] = (),
    ) -> CallFinished:
        """The call's closing event; message content only when an observer opted in."""
        request = self.request
        return CallFinished(
            request_id=self.request_id,
            feature=self.feature,
            outcome=outcome,
            error_type=err.error_type if err is not None else None,
            attempts=self.attempts,
            latency_s=now - self.start,
            queue_wait_s=self.queue_wait_s,
            cause=cause_of(err) if err is not None else None,
            provider=self.upstream.provider.name,
            model=request.model,
            input_messages=tuple(request.messages) if content else None,
            output_text=text if content else None,
            route=self.route,
            tool_calls=tools,
            ttft_s=self.delivery.ttft_s(self.start),
        )

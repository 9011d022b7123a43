"""The metric instruments of :class:`~llmops.telemetry.otel.OtelObserver`.

Two come from the OpenTelemetry GenAI semantic conventions and are recorded per attempt (one
request to the model API): ``gen_ai.client.operation.duration`` (seconds) and
``gen_ai.client.token.usage`` (tokens, by ``gen_ai.token.type``). The rest are the engine's own,
named ``llmops.*`` so that each alert of the docs is one query:

========================================  ======================================================
``llmops.attempts``                       every attempt, by ``http.response.status_code`` and
                                          ``error.type`` (the 429 rate is one ratio)
``llmops.retries``                        attempts after the first
``llmops.calls``                          calls, by ``llmops.outcome`` (``ok``, ``degraded:*``,
                                          ``error``, ``cancelled``) and ``error.type``
``llmops.validation_failures``            calls whose answer failed the feature's validation
``llmops.fallbacks``                      calls a fallback answered, by ``llmops.fallback``
``llmops.sheds``                          calls shed because the queue was full
``llmops.breaker.transitions``            breaker moves, by ``llmops.breaker.to``
``llmops.breaker.state``                  1 for the current state of each upstream's breaker,
                                          0 for the others (by ``llmops.breaker.state``)
``llmops.model.responses``                answers by ``gen_ai.request.model`` and the
                                          ``gen_ai.response.model`` (version) they reported
========================================  ======================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.metrics import Counter, Histogram, Meter
from opentelemetry.metrics import _Gauge as Gauge  # the synchronous gauge (in __all__ as such)

#: bucket boundaries the GenAI semantic conventions advise
DURATION_BUCKETS = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
TOKEN_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip
BREAKER_STATES = ("closed", "open", "half_open")


@dataclass(frozen=True, slots=True)
class EngineInstruments:
    """Every instrument the observer records to, made once per meter."""

    duration: Histogram
    tokens: Histogram
    attempts: Counter
    retries: Counter
    calls: Counter
    validation_failures: Counter
    fallbacks: Counter
    sheds: Counter
    breaker_transitions: Counter
    breaker_state: Gauge
    model_responses: Counter

    @classmethod
    def create(cls, meter: Meter) -> EngineInstruments:
        """Create the instruments on ``meter``."""
        return cls(
            duration=meter.create_histogram(
                "gen_ai.client.operation.duration",
                unit="s",
                description="GenAI operation duration (one attempt)",
                explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
            ),
            tokens=meter.create_histogram(
                "gen_ai.client.token.usage",
                unit="{token}",
                description="Measures number of input and output tokens used",
                explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
            ),
            attempts=meter.create_counter(
                "llmops.attempts", unit="{attempt}", description="Model API attempts by status"
            ),
            retries=meter.create_counter(
                "llmops.retries", unit="{attempt}", description="Attempts after the first"
            ),
            calls=meter.create_counter(
                "llmops.calls", unit="{call}", description="Engine calls by outcome"
            ),
            validation_failures=meter.create_counter(
                "llmops.validation_failures",
                unit="{call}",
                description="Calls whose answer failed validation",
            ),
            fallbacks=meter.create_counter(
                "llmops.fallbacks", unit="{call}", description="Calls answered by a fallback"
            ),
            sheds=meter.create_counter(
                "llmops.sheds", unit="{call}", description="Calls shed with the queue full"
            ),
            breaker_transitions=meter.create_counter(
                "llmops.breaker.transitions",
                unit="{transition}",
                description="Circuit breaker state changes",
            ),
            breaker_state=meter.create_gauge(
                "llmops.breaker.state",
                unit="1",
                description="1 for the breaker's current state, 0 for the others",
            ),
            model_responses=meter.create_counter(
                "llmops.model.responses",
                unit="{response}",
                description="Answers by the model version they reported",
            ),
        )

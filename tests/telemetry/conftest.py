"""OpenTelemetry tests: the real SDK with its in-memory span exporter and metric reader."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from trio.testing import MockClock

from llmops.telemetry.otel import OtelObserver


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    # the engine tests' virtual clock: Retry-After and backoff waits take no wall time
    return ("trio", {"clock": MockClock(autojump_threshold=0)})


@dataclass
class Telemetry:
    """An SDK set-up of our own: spans to memory, metrics to an in-memory reader."""

    spans: InMemorySpanExporter
    reader: InMemoryMetricReader
    tracer_provider: TracerProvider
    meter_provider: MeterProvider

    def observer(self, **kwargs: Any) -> OtelObserver:
        return OtelObserver(
            tracer_provider=self.tracer_provider, meter_provider=self.meter_provider, **kwargs
        )

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def points(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        """(attributes, data point) of every point of the metric ``name``."""
        data = self.reader.get_metrics_data()
        found = []
        for rm in data.resource_metrics if data else []:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    if metric.name == name:
                        found += [(dict(p.attributes or {}), p) for p in metric.data.data_points]
        return found

    def total(self, name: str, **match: Any) -> float:
        """Sum of a counter's points whose attributes include ``match`` (dots as ``__``)."""
        want = {k.replace("__", "."): v for k, v in match.items()}
        return sum(p.value for attrs, p in self.points(name) if want.items() <= attrs.items())


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    yield Telemetry(spans, reader, tracer_provider, meter_provider)
    tracer_provider.shutdown()
    meter_provider.shutdown()


@pytest.fixture(scope="session")
def global_telemetry() -> Telemetry:
    """The process-wide providers (set once: OpenTelemetry refuses to replace them)."""
    from opentelemetry import metrics, trace

    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    return Telemetry(spans, reader, tracer_provider, meter_provider)

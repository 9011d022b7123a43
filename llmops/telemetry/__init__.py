"""Telemetry from the engine: OpenTelemetry spans and metrics (the ``otel`` extra).

Nothing here is imported unless asked for: ``telemetry.opentelemetry: true`` in ``llmops.yaml``
or an explicit ``from llmops.telemetry.otel import OtelObserver``. Without the extra the engine
neither imports this package nor OpenTelemetry.
"""

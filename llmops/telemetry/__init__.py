"""Telemetry from the engine: OpenTelemetry spans and metrics (the ``otel`` extra).

Nothing here is imported unless asked for: ``telemetry.opentelemetry: true`` in ``llmops.yaml``
or an explicit ``from llmops.telemetry.otel import OtelObserver``. Without the extra the engine
neither imports this package nor OpenTelemetry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from llmops.errors import ConfigError

if TYPE_CHECKING:
    from llmops.config import LlmopsConfig
    from llmops.engine.events import Observer

__all__ = ["observer_from_config"]


def observer_from_config(
    config: LlmopsConfig, now: Callable[[], float], *, call_events: bool = True
) -> Observer:
    """The observer ``telemetry.opentelemetry: true`` asks for, on the engine's clock ``now``.

    Raises :class:`ConfigError` naming the extra when OpenTelemetry is not installed.
    """
    try:
        from llmops.telemetry.otel import OtelObserver
    except ImportError as exc:
        raise ConfigError(
            "telemetry.opentelemetry: true needs the otel extra: pip install 'llmops-toolkit[otel]'"
        ) from exc
    return OtelObserver(
        capture_content=config.telemetry.capture_content, now=now, per_call=call_events
    )

"""llmops: reliability toolkit and library for features built on LLM APIs.

The public API is what ``__all__`` lists; everything else is private.

The names are loaded on first use (PEP 562), so ``import llmops`` and the command line load only
what they use: ``llmops profile`` never loads the engine, the configuration schema (pydantic) or
the HTTP clients.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops._lazy import lazy_exports

if TYPE_CHECKING:
    from llmops import sdk as sdk
    from llmops.config import LlmopsConfig, config_from_dict, load_config
    from llmops.engine.clock import AnyioClock, Clock
    from llmops.engine.engine import Engine
    from llmops.engine.events import BreakerTransition, CallFinished, Event, InputProfile, ModelCall
    from llmops.engine.result import CallResult
    from llmops.engine.sinks import EventRecorder, JsonlSink
    from llmops.engine.sync import SyncEngine
    from llmops.errors import (
        CallError,
        CapacityExceeded,
        CircuitOpen,
        ClientError,
        ConfigError,
        DeadlineExceeded,
        FeatureUnavailable,
        InputError,
        LlmopsError,
        Overloaded,
        ProviderError,
        QuotaExhausted,
        RateLimited,
        RetryBudgetExhausted,
        ServerError,
        StreamError,
        TransportError,
        ValidationFailed,
    )
    from llmops.types import LLMRequest, LLMResponse, RateLimitInfo, Usage

__version__ = "0.1.0"

__all__ = [
    "AnyioClock",
    "BreakerTransition",
    "CallError",
    "CallFinished",
    "CallResult",
    "CapacityExceeded",
    "CircuitOpen",
    "ClientError",
    "Clock",
    "ConfigError",
    "DeadlineExceeded",
    "Engine",
    "Event",
    "EventRecorder",
    "FeatureUnavailable",
    "InputError",
    "InputProfile",
    "JsonlSink",
    "LLMRequest",
    "LLMResponse",
    "LlmopsConfig",
    "LlmopsError",
    "ModelCall",
    "Overloaded",
    "ProviderError",
    "QuotaExhausted",
    "RateLimitInfo",
    "RateLimited",
    "RetryBudgetExhausted",
    "ServerError",
    "StreamError",
    "SyncEngine",
    "TransportError",
    "Usage",
    "ValidationFailed",
    "__version__",
    "config_from_dict",
    "load_config",
]


#: where each public name is defined
_HOME = {
    "LlmopsConfig": "llmops.config",
    "config_from_dict": "llmops.config",
    "load_config": "llmops.config",
    "AnyioClock": "llmops.engine.clock",
    "Clock": "llmops.engine.clock",
    "Engine": "llmops.engine.engine",
    "BreakerTransition": "llmops.engine.events",
    "CallFinished": "llmops.engine.events",
    "Event": "llmops.engine.events",
    "InputProfile": "llmops.engine.events",
    "ModelCall": "llmops.engine.events",
    "CallResult": "llmops.engine.result",
    "EventRecorder": "llmops.engine.sinks",
    "JsonlSink": "llmops.engine.sinks",
    "SyncEngine": "llmops.engine.sync",
    "CallError": "llmops.errors",
    "CapacityExceeded": "llmops.errors",
    "CircuitOpen": "llmops.errors",
    "ClientError": "llmops.errors",
    "ConfigError": "llmops.errors",
    "DeadlineExceeded": "llmops.errors",
    "FeatureUnavailable": "llmops.errors",
    "InputError": "llmops.errors",
    "LlmopsError": "llmops.errors",
    "Overloaded": "llmops.errors",
    "ProviderError": "llmops.errors",
    "QuotaExhausted": "llmops.errors",
    "RateLimited": "llmops.errors",
    "RetryBudgetExhausted": "llmops.errors",
    "ServerError": "llmops.errors",
    "StreamError": "llmops.errors",
    "TransportError": "llmops.errors",
    "ValidationFailed": "llmops.errors",
    "LLMRequest": "llmops.types",
    "LLMResponse": "llmops.types",
    "RateLimitInfo": "llmops.types",
    "Usage": "llmops.types",
}


#: subpackages read as attributes of ``llmops`` (``llmops.sdk.http_client(...)``), imported then
_SUBMODULES = ("sdk",)

__getattr__, __dir__ = lazy_exports(__name__, _HOME, _SUBMODULES)

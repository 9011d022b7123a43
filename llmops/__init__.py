"""llmops: reliability toolkit and library for features built on LLM APIs.

The public API is what ``__all__`` lists; everything else is private.
"""

from __future__ import annotations

from llmops.config import LlmopsConfig, config_from_dict, load_config
from llmops.engine.clock import AnyioClock, Clock
from llmops.engine.engine import Engine
from llmops.engine.events import BreakerTransition, CallFinished, Event, InputProfile, ModelCall
from llmops.engine.result import CallResult
from llmops.engine.sinks import EventRecorder, JsonlSink
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
    "TransportError",
    "Usage",
    "ValidationFailed",
    "__version__",
    "config_from_dict",
    "load_config",
]

"""The team's own feature as a load test's target, instead of (or in front of) the model API.

``--target-function module:function`` calls a Python callable in-process
(:mod:`~llmops.workflows.service.function`); ``--target-http`` sends a templated request to
the team's service (:mod:`~llmops.workflows.service.http`). Both are resolved by
:func:`llmops.workflows.target.resolve_target` into a :class:`~llmops.workflows.target.Target`
whose ``service`` is set, and are called by the load test's service callers, end to end:
the engine's limits, retries, breaker and fallbacks are the service's own business, not
added by llmops.
"""

from __future__ import annotations

from llmops.workflows.service.function import Answer, FunctionTarget, answer_of, load_function
from llmops.workflows.service.http import (
    DEFAULT_BODY,
    HttpSpec,
    HttpTarget,
    Judgement,
    http_spec,
    load_http_target,
)
from llmops.workflows.service.load import load_service

#: a target that is the team's own code or service
ServiceTarget = FunctionTarget | HttpTarget

__all__ = [
    "DEFAULT_BODY",
    "Answer",
    "FunctionTarget",
    "HttpSpec",
    "HttpTarget",
    "Judgement",
    "ServiceTarget",
    "answer_of",
    "http_spec",
    "load_function",
    "load_http_target",
    "load_service",
]

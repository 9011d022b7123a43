"""The engine configuration each level of the ladder runs with."""

from __future__ import annotations

import math
from typing import Any

from llmops.config import LlmopsConfig
from llmops.workflows.target import Target

__all__ = ["level_config"]


def level_config(target: Target, load: float, *, open_loop: bool) -> LlmopsConfig:
    """The engine configuration for one level.

    The engine's concurrency limit must not be what the ladder measures, so unless the user's
    configuration sets ``limits.max_concurrency`` (then that limit is the point of the test)
    it is raised to the level (closed loop) or to what the offered rate may need (open loop).
    """
    limits = target.config.limits
    if "max_concurrency" in limits.model_fields_set:
        return target.config
    need = math.ceil(load) if not open_loop else max(64, math.ceil(load * limits.timeout_s))
    update: dict[str, Any] = {"max_concurrency": max(limits.max_concurrency, need)}
    if open_loop and "queue_limit" not in limits.model_fields_set:
        update["queue_limit"] = max(limits.queue_limit, update["max_concurrency"])
    return target.config.model_copy(update={"limits": limits.model_copy(update=update)})

"""The engine configuration each level of the ladder runs with."""

from __future__ import annotations

import math
import os
from typing import Any

from llmops.config import FeatureConfig, LlmopsConfig
from llmops.workflows.target import Target

__all__ = ["isolated_config", "level_config"]


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


def isolated_config(config: LlmopsConfig, scratch_dir: str) -> LlmopsConfig:
    """``config`` with every store synthetic traffic could write to moved out of the user's
    reach: a feature's ``queue`` fallback gets a queue file in ``scratch_dir`` (a temporary
    directory the load test removes), and no engine events go to the user's events log.
    The answer cache of ``cached`` fallbacks is the engine's own in-memory one already."""
    features: dict[str, FeatureConfig] = {}
    for name, feature in config.features.items():
        fallback = feature.fallback
        if fallback.strategy == "queue":
            path = os.path.join(scratch_dir, f"reprocess-{len(features)}.sqlite3")
            fallback = fallback.model_copy(update={"path": path})
            feature = feature.model_copy(update={"fallback": fallback})
        features[name] = feature
    return config.model_copy(update={"features": features, "events_log": None})

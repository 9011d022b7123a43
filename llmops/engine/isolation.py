"""Synthetic traffic (load tests, runbook drills) never writes into the user's stores.

:func:`isolated_config` moves every store such traffic could write to out of the user's reach;
the engine's ``isolate_state=True`` does the rest (limiter, breaker, answer cache and
conversations in process, whatever ``state:`` says). One function serves every workflow that
builds an engine for traffic of its own.
"""

from __future__ import annotations

import os
from collections.abc import Collection

from llmops.config import FeatureConfig, LlmopsConfig

__all__ = ["isolated_config"]


def isolated_config(
    config: LlmopsConfig, scratch_dir: str | os.PathLike[str], *, features: Collection[str] = ()
) -> LlmopsConfig:
    """``config`` with a feature's ``queue`` fallback writing to a file in ``scratch_dir`` (a
    temporary directory the caller removes) and no engine events going to the user's events
    log; with ``features``, only those features are kept."""
    kept: dict[str, FeatureConfig] = {}
    for name, feature in config.features.items():
        if features and name not in features:
            continue
        fallback = feature.fallback
        if fallback.strategy == "queue":
            path = os.path.join(scratch_dir, f"reprocess-{len(kept)}.sqlite3")
            feature = feature.model_copy(
                update={"fallback": fallback.model_copy(update={"path": path})}
            )
        kept[name] = feature
    return config.model_copy(update={"features": kept, "events_log": None})

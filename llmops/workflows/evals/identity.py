"""Which runs may be compared, and what changed between two, in words.

A run is compared with earlier runs of the same *target* (as the user named it: a URL, a
feature, a provider, the built-in mock) and the same *model request*, unless the user asks
otherwise: a pass rate measured against another API says nothing about drift. Each run keeps
the settings that shape its answers, flattened to dotted keys (``retry.max_attempts``,
``features.summarize.temperature``), so a config change is named by the keys that changed
rather than by two hashes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmops.config import LlmopsConfig
from llmops.workflows.evals.records import EvalRun

__all__ = ["config_change", "flat_settings", "same_target", "settings_diff"]

#: where a run keeps its flattened settings (``EvalRun.meta``)
SETTINGS_KEY = "settings"


def flat_settings(config: LlmopsConfig, feature: str | None) -> dict[str, Any]:
    """The configuration as ``{dotted.key: value}`` (only names of key variables, never keys),
    with the feature called."""
    out: dict[str, Any] = {"feature": feature}
    _flatten(config.model_dump(mode="json"), "", out)
    return out


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping) and value:
        for key, inner in value.items():
            _flatten(inner, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = value


def settings_diff(before: Mapping[str, Any], after: Mapping[str, Any], most: int = 4) -> str:
    """``"retry.max_attempts 4 → 2, limits.timeout_s 60 → 30"``: the keys whose values differ
    (at most ``most``, then how many more); ``""`` when none does."""
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    shown = [f"{k} {_v(before.get(k, '(unset)'))} → {_v(after.get(k, '(unset)'))}" for k in keys]
    more = len(shown) - most
    return ", ".join(shown[:most]) + (f" and {more} more" if more > 0 else "")


def _v(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def same_target(run: EvalRun, other: EvalRun) -> bool:
    """True when ``other`` ran against the same target with the same model request."""
    return other.target == run.target and other.model_requested == run.model_requested


def config_change(last: EvalRun, run: EvalRun) -> str:
    """A config change since ``last`` in words: the keys whose recorded settings differ
    (runs recorded before settings were kept cannot say which key: then the text says so)."""
    before, after = last.meta.get(SETTINGS_KEY), run.meta.get(SETTINGS_KEY)
    if isinstance(before, dict) and isinstance(after, dict):
        words = settings_diff(before, after)
        return f"config changed: {words}" if words else "config changed (same settings)"
    return "config changed (the earlier run did not record its settings, so which key is unknown)"

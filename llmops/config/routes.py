"""Routes, per-provider and per-model limits, and feature priorities in ``llmops.yaml``.

A feature may list ``routes`` in order (``openai/gpt-4o-2024-08-06``, ``claude/claude-sonnet-4-5``:
a provider name of the file, a slash, one of that provider's models); a provider may set its own
``limits`` and per-model ``models:`` limits (providers enforce them per model), the global
``limits`` block being the default. Checked across keys by :func:`route_problems`
(``llmops.engine.routes`` resolves them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from llmops.config.base import unknown_name
from llmops.errors import ConfigError, did_you_mean

__all__ = ["PRIORITY_RANK", "Priority", "RateLimits", "Route", "parse_route", "route_problems"]

Priority = Literal["high", "normal", "low"]
#: lower goes first
PRIORITY_RANK: Mapping[str, int] = {"high": 0, "normal": 1, "low": 2}


class RateLimits(BaseModel):
    """A provider's (or one model's) own rate limits; unset fields take the global ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)


@dataclass(frozen=True, slots=True)
class Route:
    """One place a feature's call may go: a provider of the file and one of its models."""

    provider: str
    model: str

    def __str__(self) -> str:
        return f"{self.provider}/{self.model}"


def parse_route(text: str) -> Route:
    """``provider/model`` (the model may itself contain slashes)."""
    provider, sep, model = text.partition("/")
    if not sep or not provider or not model:
        raise ConfigError(f"route {text!r}: expected provider/model")
    return Route(provider, model)


def route_problems(
    name: str, routes: list[str], models: Mapping[str, set[str]]
) -> list[tuple[tuple[str | int, ...], str]]:
    """What is wrong with feature ``name``'s routes, given each provider's models in the file:
    the format, an unknown provider, a model the provider does not have."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    known = sorted(models)
    for i, text in enumerate(routes):
        loc: tuple[str | int, ...] = ("features", name, "routes", i)
        try:
            route = parse_route(text)
        except ConfigError as err:
            problems.append((loc, str(err)))
            continue
        if route.provider not in models:
            msg = unknown_name(
                route.provider, known, "a provider defined under providers", none="none"
            )
            problems.append((loc, msg))
            continue
        have = sorted(models[route.provider])
        if route.model not in have:
            msg = f"provider '{route.provider}' has no model '{route.model}' in the config"
            msg += did_you_mean(
                route.model, have, otherwise=f" (its models: {', '.join(have) or 'none'})"
            )
            problems.append((loc, msg))
    return problems

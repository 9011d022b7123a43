"""Where a feature's call goes: its routes in order, each an upstream with its own limiter and
breaker, tried one after another before the feature's fallback.

An upstream is per provider (``p``), or per model (``p/model``) when the provider lists that
model under ``models:`` with limits of its own: providers enforce limits per model. Limits are
the global block, overridden by the provider's ``limits`` and then the model's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from llmops.config import FeatureConfig, LimitsConfig, LlmopsConfig
from llmops.config.routes import PRIORITY_RANK, RateLimits, Route, parse_route
from llmops.engine.clock import Clock
from llmops.engine.delivery import Delivery
from llmops.engine.events import Observer
from llmops.engine.transport import Transport
from llmops.engine.upstream import AttemptOutcome, Upstream
from llmops.errors import CallError, ClientError, ConfigError
from llmops.providers.registry import make_provider
from llmops.stores.redis_state import RuntimeState
from llmops.types import LLMRequest

__all__ = ["RouteTable", "Target", "call_routes", "limits_for", "routes_for"]


def limits_for(cfg: LlmopsConfig, provider: str, model: str | None = None) -> LimitsConfig:
    """The limits of a provider (and one of its models): global, then provider, then model."""
    limits = cfg.limits
    p = cfg.providers[provider]
    for own in (p.limits, p.models.get(model) if model else None):
        if own is not None:
            limits = limits.model_copy(update=own.model_dump(exclude_none=True))
    return limits


def routes_for(cfg: LlmopsConfig, feature: FeatureConfig) -> list[Route]:
    """Where a feature's calls go, in order: its ``routes``, else its provider and model."""
    if feature.routes:
        return [parse_route(r) for r in feature.routes]
    found = cfg.provider_for(feature)
    if found is None:
        raise ConfigError("no provider configured for this call")
    return [Route(found[0], cfg.model_for(feature))]


def _own_limits(own: RateLimits | None) -> bool:
    return own is not None and bool(own.model_dump(exclude_none=True))


@dataclass(frozen=True, slots=True)
class Target:
    """One route of a call: its label (``provider/model``), upstream and model."""

    label: str
    upstream: Upstream
    model: str


class RouteTable:
    """The engine's upstreams, made on first use, and each feature's routes over them."""

    def __init__(
        self,
        cfg: LlmopsConfig,
        state: RuntimeState,
        transport: Transport,
        clock: Clock,
        rng: random.Random,
        emit: Observer | None,
    ) -> None:
        self._cfg = cfg
        self._state = state
        self._transport = transport
        self._clock = clock
        self._rng = rng
        self._emit = emit
        self.upstreams: dict[str, Upstream] = {}
        #: each (feature, caller's model)'s resolved routes: the same for every call of it
        self._targets: dict[tuple[int, str | None], tuple[FeatureConfig, list[Target]]] = {}
        for name in cfg.providers:
            self.upstream(name)

    def set_emit(self, emit: Observer | None) -> None:
        """Send every upstream's events to ``emit``."""
        self._emit = emit
        for up in self.upstreams.values():
            up.emit = emit

    def upstream(self, provider: str, model: str | None = None) -> Upstream:
        """The upstream a call to ``provider`` (and ``model``) goes through."""
        p = self._cfg.providers[provider]
        key = provider
        if model is not None and _own_limits(p.models.get(model)):
            key = f"{provider}/{model}"
        found = self.upstreams.get(key)
        if found is None:
            found = self.upstreams[key] = self._make(key, provider, model)
        return found

    def _make(self, key: str, provider: str, model: str | None) -> Upstream:
        cfg = self._cfg
        p = cfg.providers[provider]
        limits = limits_for(cfg, provider, model if key != provider else None)
        adapter = make_provider(p.kind, p.base_url, p.api_key(), wall_clock=self._clock.wall)
        lease = cfg.limits.attempt_timeout_s + 1
        return Upstream(
            key,
            adapter,
            self._transport,
            self._clock,
            limits=limits,
            retry=cfg.retry,
            limiter=self._state.limiter(key, limits),
            breaker=(
                self._state.breaker(key, cfg.breaker, probe_lease_s=lease)
                if cfg.breaker.enabled
                else None
            ),
            rng=self._rng,
            emit=self._emit,
        )

    def targets(self, feature: FeatureConfig, model: str | None = None) -> list[Target]:
        """A feature's routes in order; ``model`` (the caller's) replaces the model of a feature
        without routes (a feature with routes decides where its calls go). Resolved once per
        feature and model, not on every call."""
        known = self._targets.get((id(feature), model))
        if known is not None and known[0] is feature:
            return known[1]
        targets = self._resolve(feature, model)
        self._targets[(id(feature), model)] = (feature, targets)
        return targets

    def _resolve(self, feature: FeatureConfig, model: str | None) -> list[Target]:
        routes = routes_for(self._cfg, feature)
        if model is not None and not feature.routes:
            routes[0] = Route(routes[0].provider, model)
        for r in routes:
            if r.provider not in self._cfg.providers:
                raise ConfigError(f"route {r}: no provider {r.provider!r} in the config")
        return [Target(str(r), self.upstream(r.provider, r.model), r.model) for r in routes]


async def call_routes(
    targets: list[Target],
    request: LLMRequest,
    *,
    feature: FeatureConfig,
    request_id: str,
    name: str,
    deadline: float,
    estimated_tokens: int,
    delivery: Delivery,
    clock: Clock,
) -> tuple[Target, AttemptOutcome]:
    """Try each route in turn (each with its limiter, breaker and retries) until one answers
    or the deadline passes; raise the last route's failure. A request the provider refuses
    (a 4xx) is not tried elsewhere, nor a stream whose output has reached the caller
    (``delivery``); a body in one wire format goes only to that format's routes."""
    rank = PRIORITY_RANK[feature.priority]
    kind = targets[0].upstream.provider.name
    last: CallError | None = None
    for target in targets:
        if request.wire_body is not None and target.upstream.provider.name != kind:
            continue
        if last is not None and clock.now() >= deadline:
            break
        try:
            outcome = await target.upstream.call(
                request if request.model == target.model else replace(request, model=target.model),
                request_id=request_id,
                feature=name,
                deadline=deadline,
                estimated_tokens=estimated_tokens,
                delivery=delivery,
                priority=rank,
            )
            return target, outcome
        except ClientError:
            raise
        except CallError as err:
            if delivery.delivered:
                raise
            last = err
    assert last is not None
    raise last

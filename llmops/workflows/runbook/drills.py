"""Drills: the engine, built from the user's configuration, against the in-process mock.

Every drill runs on trio's virtual clock (``MockClock(autojump_threshold=0)``: time jumps
whenever every task waits), so a minute of outage costs milliseconds. State is the drill's own:
a fresh engine (in-memory limiter, breaker and answer cache), a temporary reprocess queue, no
events log, no API key, and the mock's transport instead of the network. Nothing the user's
service shares (Redis, the queue file, the answer cache, the eval history) is touched.

A drill returns a :class:`DrillResult`: ``problems`` (each one a sentence naming what broke),
``fired`` (False when the injected fault never happened: the drill is then inconclusive, never
a pass) and one line of ``numbers``.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio

from llmops.config import FeatureConfig, LlmopsConfig, StateConfig
from llmops.engine.clock import AnyioClock
from llmops.engine.engine import Engine
from llmops.engine.isolation import isolated_config as engine_isolated_config
from llmops.engine.transport import HttpRequest, HttpResponse, StreamResponse
from llmops.errors import CallError, FeatureUnavailable
from llmops.mock.profile import Answer, Latency, Match, MockProfile, Outage
from llmops.mock.transport import MockTransport
from llmops.stores.answers import MemoryAnswerCache

T = TypeVar("T")

MESSAGES = [{"role": "user", "content": "runbook drill: please answer"}]


@dataclass(slots=True)
class DrillResult:
    """What a drill saw."""

    problems: list[str] = field(default_factory=list)
    fired: bool = True
    numbers: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def run_virtual(fn: Callable[[], Awaitable[T]]) -> T:
    """Run ``fn`` on trio with a virtual clock that jumps whenever every task waits."""
    import trio
    from trio.testing import MockClock

    return trio.run(fn, clock=MockClock(autojump_threshold=0))


def isolated_config(cfg: LlmopsConfig, feature: str, workdir: Path, **limits: Any) -> LlmopsConfig:
    """``cfg`` for one feature's drill: its stores isolated (:func:`~llmops.engine.isolation.
    isolated_config`: a queue under ``workdir``, no events log), no API keys, the shared
    ``state:`` left out (the drill's engine keeps its own); ``limits`` overrides keys of
    ``limits`` (the rate-limit drill scales big limits down)."""
    isolated = engine_isolated_config(cfg, workdir, features=(feature,))
    providers = {
        name: p.model_copy(update={"api_key_env": None}) for name, p in cfg.providers.items()
    }
    update: dict[str, Any] = {"providers": providers, "runbook": None, "state": StateConfig()}
    if limits:
        update["limits"] = cfg.limits.model_copy(update=limits)
    return isolated.model_copy(update=update)


def drill_answer(feature: FeatureConfig) -> str:
    """An answer the mock gives that passes the feature's own validation, where one is known."""
    candidates = ['{"drill": "ok"}', "drill answer"]
    if feature.fallback.strategy == "default":
        value = feature.fallback.value
        if isinstance(value, str):
            candidates.insert(0, value)
    if feature.validation is None:
        return candidates[-1]
    for text in candidates:
        if feature.validation.problem(text) is None:
            return text
    return candidates[-1]


def healthy_profile(feature: FeatureConfig, **kwargs: Any) -> MockProfile:
    """A fault-free mock answering quickly with :func:`drill_answer`."""
    answer = Answer(match=Match(regex="[\\s\\S]*"), text=drill_answer(feature))
    return MockProfile(
        name="runbook-drill", latency=Latency(ttft_s=0.05), answers=[answer], **kwargs
    )


def outage_profile(feature: FeatureConfig) -> MockProfile:
    """Every request fails with 503."""
    base = healthy_profile(feature)
    outage = Outage(start_request=0, status=503)
    return base.model_copy(update={"faults": base.faults.model_copy(update={"outages": [outage]})})


def status_count(transport: MockTransport, status: int) -> int:
    """Responses with ``status`` the mock served."""
    return sum(n for k, n in transport.app.stats.by_status.items() if str(k) == str(status))


class RecordingTransport:
    """The mock transport, noting when each request was sent and its status."""

    def __init__(self, inner: MockTransport) -> None:
        self.inner = inner
        self.sends: list[tuple[float, int]] = []

    async def send(self, request: HttpRequest) -> HttpResponse:
        t = self.inner.clock.now()
        response = await self.inner.send(request)
        self.sends.append((t, response.status))
        return response

    def stream(self, request: HttpRequest) -> AbstractAsyncContextManager[StreamResponse]:
        return self.inner.stream(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def make_engine(
    cfg: LlmopsConfig, feature: str, workdir: Path, transport: Any, **limits: Any
) -> Engine:
    """An engine for one feature with isolated state over ``transport``."""
    return Engine(
        isolated_config(cfg, feature, workdir, **limits),
        transport=transport,
        clock=AnyioClock(virtual=True),
        rng=random.Random(0),
        answer_cache=MemoryAnswerCache(),
        detect_language=False,
        call_events=False,
        isolate_state=True,
    )


async def call_once(engine: Engine, feature: str, limit_s: float) -> tuple[Any, str | None]:
    """One call: ``(result or exception, problem)``; a call still running after ``limit_s``
    (virtual seconds) is a hang."""
    with anyio.move_on_after(limit_s) as scope:
        try:
            return await engine.call(MESSAGES, feature=feature), None
        except CallError as exc:
            return exc, None
        except Exception as exc:
            return exc, f"raised {type(exc).__name__}: {exc}"
    if scope.cancelled_caught:
        return None, f"hung: no answer after {limit_s:g}s"
    return None, "no answer"  # pragma: no cover


def outage_drill(cfg: LlmopsConfig, feature: str) -> DrillResult:
    """Question 1: the provider is down; every call must end in the declared degraded answer."""
    with tempfile.TemporaryDirectory(prefix="llmops-drill-") as tmp:
        return run_virtual(lambda: _outage(cfg, feature, Path(tmp)))


def expected_degraded(feat: FeatureConfig, got: Any) -> str | None:
    """Why ``got`` (a CallResult or an exception) is not the declared degraded answer."""
    fb = feat.fallback
    if isinstance(got, FeatureUnavailable):
        if fb.strategy != "error":
            return f"raised FeatureUnavailable instead of the {fb.strategy} fallback"
        if str(got) != fb.message:
            return f"FeatureUnavailable said {str(got)!r}, not the declared message"
        return None
    if isinstance(got, BaseException):
        return f"raised {type(got).__name__}: {got}"
    outcome = getattr(got, "outcome", None)
    if fb.strategy == "error":
        return f"ended {outcome!r} instead of FeatureUnavailable"
    if outcome != f"degraded:{fb.strategy}":
        return f"ended {outcome!r} instead of degraded:{fb.strategy}"
    if fb.strategy == "default" and got.value != fb.value:
        return f"answered {got.value!r} instead of the declared default {fb.value!r}"
    if fb.strategy == "queue" and got.queued_id is None:
        return "was not queued"
    return None


async def _outage(cfg: LlmopsConfig, feature: str, workdir: Path) -> DrillResult:
    feat = cfg.features[feature]
    mock = MockTransport(healthy_profile(feat), clock=AnyioClock())
    engine = make_engine(cfg, feature, workdir, mock)
    out = DrillResult()
    deadline = cfg.limits.timeout_s
    calls = min(60, 5 + (cfg.breaker.minimum_calls if cfg.breaker.enabled else 0))
    async with engine:
        primed: str | None = None
        if feat.fallback.strategy == "cached":
            got, problem = await call_once(engine, feature, deadline * 2 + 1)
            primed = getattr(got, "text", None) if getattr(got, "ok", False) else None
            if primed is None:
                out.fired = False
                out.numbers = "could not prime the cache: the healthy mock's answer was refused"
                return out
        mock.app.set_profile(outage_profile(feat), engine.clock.now())
        worst = 0.0
        ok = 0
        for i in range(calls):
            start = engine.clock.now()
            got, problem = await call_once(engine, feature, deadline * 2 + 1)
            took = engine.clock.now() - start
            worst = max(worst, took)
            problem = problem or expected_degraded(feat, got)
            if problem is None and primed is not None and got.text != primed:
                problem = "answered something other than the cached answer"
            if problem is None and took > deadline + 1e-6:
                problem = f"took {took:.1f}s, past the deadline limits.timeout_s={deadline:g}s"
            if problem is not None:
                out.problems.append(f"call {i + 1} of {calls} {problem}")
                break
            ok += 1
        if feat.fallback.strategy == "queue" and not out.problems:
            pending = await engine.reprocess_queue(feature).pending(limit=calls + 10)
            if len([q for q in pending if q.feature == feature]) != ok:
                out.problems.append(
                    f"{ok} calls were queued but {len(pending)} could be read back from the queue"
                )
    out.fired = status_count(mock, 503) > 0
    out.numbers = (
        f"{ok}/{calls} calls degraded to {feat.fallback.strategy} during a full outage; "
        f"slowest {worst:.2f}s (deadline {deadline:g}s); mock served {status_count(mock, 503)} x 503"
    )
    out.details = {"calls": calls, "degraded": ok, "slowest_s": round(worst, 3)}
    return out

"""The one request handler behind both the loopback server and the in-process transport.

:meth:`MockApp.handle` takes ``(method, path, headers, body, now)`` and returns a :class:`Plan`:
the status, headers, and either a body or a list of ``(delay, chunk)`` for a stream, or a
connection reset. It never sleeps and never reads a clock; the servers carry the plan out on
their own clocks (the event loop's, or an injected virtual one).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson

from llmops.errors import ConfigError
from llmops.mock import faults as fm
from llmops.mock.content import Composer, Reply, malformed, split_pieces
from llmops.mock.embeddings import embeddings_response
from llmops.mock.profile import MockProfile, load_profile, patch_profile
from llmops.mock.tools import answer
from llmops.mock.wire import JSON, SSE, BadRequest, StreamBody
from llmops.mock.wire_anthropic import AnthropicWire
from llmops.mock.wire_openai import OpenAIWire
from llmops.yamlsafe import decode_text, load_yaml_text

Wire = OpenAIWire | AnthropicWire

_LOOPBACK_ONLY = (
    b'{"error":{"message":"control endpoints answer loopback clients only","type":"forbidden"}}'
)
_NOT_FOUND = (
    b'{"error":{"message":"no such endpoint","type":"invalid_request_error","code":"not_found"}}'
)


@dataclass(slots=True)
class Plan:
    """What to send. ``chunks`` is ``None`` for a plain response; for a stream each entry is
    the delay before the chunk (seconds after the previous one) and its bytes. ``reset``
    drops the connection: instead of the response when ``chunks`` is ``None``, else after
    the chunks. ``head_delay`` comes before the status line."""

    status: int
    headers: Mapping[str, str]
    body: bytes = b""
    head_delay: float = 0.0
    chunks: list[tuple[float, bytes]] | None = None
    reset: bool = False
    #: False when every chunk's delay is zero (the server then writes them all at once)
    paced: bool = True


@dataclass(slots=True)
class Stats:
    """What the mock has served since it started (``GET /_mock/stats``)."""

    requests: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_model: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    #: the most requests in flight at once since the counters were last reset
    max_in_flight: int = 0

    def enter(self) -> None:
        """One more request in flight."""
        self.in_flight += 1
        if self.in_flight > self.max_in_flight:
            self.max_in_flight = self.in_flight


class MockApp:
    """The mock's state (profile, buckets, slots, counters) and its request handler."""

    def __init__(self, profile: MockProfile | str | Path = "default", *, seed: int = 0) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.stats = Stats()
        self.wall_offset: float | None = None
        self.profile = load_profile(profile)
        self._planner = fm.CapacityPlanner(self.profile.capacity)
        self._epoch: float | None = None
        self._apply(self.profile)
        self._wires: dict[str, Wire] = {
            "/v1/chat/completions": OpenAIWire(),
            "/v1/messages": AnthropicWire(),
        }

    def _apply(self, profile: MockProfile, now: float | None = None) -> None:
        old = self.profile.rate_limits
        self.profile = profile
        self._composer = Composer(profile, self.seed)
        self._planner.resize(profile.capacity)
        self._epoch = now
        self._index = 0
        limits = profile.rate_limits
        if not hasattr(self, "_req_bucket") or limits != old:
            start = now or 0.0
            rpm, tpm = limits.requests_per_minute, limits.tokens_per_minute
            self._req_bucket = fm.Bucket(rpm, start) if rpm else None
            self._tok_bucket = fm.Bucket(tpm, start) if tpm else None
        self._has_faults = profile.faults.any

    def set_profile(self, profile: MockProfile, now: float) -> None:
        """Switch profile; its time windows and request counts start again from ``now``."""
        self._apply(profile, now)

    def start(self, now: float) -> None:
        """Mark the start of time for time-based windows (first request otherwise)."""
        self._epoch = now
        self.wall_offset = time.time() - now

    def handle(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
        now: float,
        *,
        loopback: bool = True,
    ) -> Plan:
        """Plan the answer to one request arriving at ``now`` (seconds on the server's clock)."""
        if self._epoch is None or self.wall_offset is None:
            self.start(now)
        wire = self._wires.get(path)
        if wire is not None and method == "POST":
            return self._chat(wire, body, now)
        route, _, query = path.partition("?")
        if route == "/v1/models" and method == "GET":
            return self._models()
        if route == "/v1/embeddings" and method == "POST":
            status, payload = embeddings_response(body)
            self._record(str(status))
            return Plan(status, JSON, payload)
        if route.startswith("/_mock/"):
            if not loopback:
                return Plan(403, JSON, _LOOPBACK_ONLY)
            return self._control(method, route, parse_qs(query), body, now)
        return Plan(404, JSON, _NOT_FOUND)

    def _record(self, status: str, model: str | None = None) -> None:
        stats = self.stats
        stats.requests += 1
        stats.by_status[status] += 1
        if model is not None:
            stats.by_model[model] += 1

    def _error(self, wire: Wire, key: str, extra: Mapping[str, str] | None = None) -> Plan:
        status, body = wire.error(key)
        self._record(str(status))
        return Plan(status, {**JSON, **extra} if extra else JSON, body)

    def _chat(self, wire: Wire, body: bytes, now: float) -> Plan:
        try:
            req = wire.parse(body)
        except BadRequest as exc:
            status, payload = wire.error("400", str(exc))
            self._record(str(status))
            return Plan(status, JSON, payload)
        index = self._index
        self._index += 1
        elapsed = now - (self._epoch or 0.0)
        model, switched = fm.model_version(self.profile.model_version, elapsed, index)
        fault = (
            fm.decide_faults(self.profile.faults, elapsed, index, req.stream, self.rng)
            if self._has_faults
            else fm.NO_FAULT
        )
        if fault.reset_before:
            self._record("reset")
            return Plan(0, {}, reset=True)
        if fault.error is not None:
            extra = None
            if fault.error == "429":
                after = fm.retry_after_header(self.profile.faults.retry_after_s)
                extra = {"retry-after": after[0], "retry-after-ms": after[1]}
            return self._error(wire, fault.error, extra)
        reply = self._composer.reply(req.prompt, switched, req.max_tokens)
        if req.ask is not None:
            reply = answer(req.ask, reply)
        headers: Mapping[str, str] = JSON
        if self._req_bucket is not None or self._tok_bucket is not None:
            limited, limit_headers = self._rate_limit(
                wire, req.input_tokens + reply.output_tokens, now
            )
            if limited:
                return self._error(wire, "429", limit_headers)
            headers = {**JSON, **limit_headers}
        admission = self._planner.admit(now)
        if admission is None:
            return self._error(wire, str(wire.overloaded_status))
        latency = self.profile.latency
        service = fm.service_time(latency, reply.output_tokens, admission.busy, self.rng)
        self._planner.occupy(now, admission, service)
        self._record("200", model)
        if fault.malformed:
            bad = malformed(reply.text)
            reply = Reply(bad, split_pieces(bad), reply.finish)
        rid = f"mock{self.seed:x}x{index:08d}"
        created = int((self.wall_offset or 0.0) + now)
        head_delay = admission.wait_s + fault.slow_first_byte_s
        if not req.stream:
            return Plan(
                200, headers, wire.body(req, reply, model, rid, created), head_delay + service
            )
        rendered = wire.stream(req, reply, model, rid, created)
        return self._stream(rendered, fault, service, headers, head_delay)

    def _stream(
        self,
        rendered: StreamBody,
        fault: fm.FaultDecision,
        service: float,
        headers: Mapping[str, str],
        head_delay: float,
    ) -> Plan:
        count = len(rendered.deltas)
        ttft, per_token = fm.first_token_time(self.profile.latency, service, count)
        # chunk 0 is the head with the first piece, chunk i piece i, chunk `count` the tail
        cuts = [i for i in (fault.truncate_at, fault.reset_at) if i is not None]
        keep = min(min(cuts), count) if cuts else count + 1
        reset = fault.reset_at is not None and keep == min(fault.reset_at, count)
        stream_headers = SSE if headers is JSON else {**headers, **SSE}
        paced = ttft > 0.0 or per_token > 0.0 or fault.stall_s > 0.0
        chunks: list[tuple[float, bytes]]
        if not paced:  # everything arrives at once: one buffer
            data = (rendered.head if keep else b"") + rendered.joined(min(keep, count))
            chunks = [(0.0, data + rendered.tail if keep > count else data)] if keep else []
        else:
            chunks = [(ttft, rendered.head + rendered.piece(0))]
            chunks += [(per_token, rendered.piece(i)) for i in range(1, count)]
            chunks.append((0.0, rendered.tail))
            if fault.stall_at is not None:
                at = min(fault.stall_at, count)
                delay, chunk = chunks[at]
                chunks[at] = (delay + fault.stall_s, chunk)
            chunks = chunks[:keep]
        return Plan(
            200, stream_headers, head_delay=head_delay, chunks=chunks, reset=reset, paced=paced
        )

    def _rate_limit(self, wire: Wire, tokens: int, now: float) -> tuple[bool, dict[str, str]]:
        wall = (self.wall_offset or 0.0) + now
        wait = 0.0
        pairs = [
            (b, c, k)
            for b, c, k in ((self._req_bucket, 1, "requests"), (self._tok_bucket, tokens, "tokens"))
            if b
        ]
        for bucket, cost, _ in pairs:
            wait = max(wait, bucket.wait(cost, now))
        if wait == 0.0:
            for bucket, cost, _ in pairs:
                bucket.take(cost, now)
        headers: dict[str, str] = {}
        for bucket, _, kind in pairs:
            headers.update(
                wire.limit_headers(
                    kind, int(bucket.capacity), bucket.remaining(now), bucket.reset_s(now), wall
                )
            )
        if wait > 0.0:
            headers["retry-after"], headers["retry-after-ms"] = fm.retry_after_header(wait)
        return wait > 0.0, headers

    def _models(self) -> Plan:
        spec = self.profile.model_version
        names = [spec.name] + ([spec.switch_to] if spec.switch_to else [])
        data = [
            {"id": n, "object": "model", "created": 0, "owned_by": "llmops-mock"} for n in names
        ]
        return Plan(200, JSON, orjson.dumps({"object": "list", "data": data}))

    def snapshot(self, now: float) -> dict[str, Any]:
        """Counters, in-flight and queue depth at ``now``, as ``GET /_mock/stats`` reports them."""
        return {
            "profile": self.profile.name,
            "requests": self.stats.requests,
            "by_status": dict(self.stats.by_status),
            "by_model_version": dict(self.stats.by_model),
            "in_flight": self.stats.in_flight,
            "max_in_flight": self.stats.max_in_flight,
            "busy_slots": self._planner.busy(now),
            "queue_depth": self._planner.queue_depth(now),
            "uptime_s": round(now - (self._epoch or now), 3),
        }

    def _control(
        self, method: str, route: str, query: dict[str, list[str]], body: bytes, now: float
    ) -> Plan:
        if route == "/_mock/stats" and method == "GET":
            return Plan(200, JSON, orjson.dumps(self.snapshot(now)))
        if route == "/_mock/stats" and method == "DELETE":
            in_flight = self.stats.in_flight
            self.stats = Stats(in_flight=in_flight, max_in_flight=in_flight)
            return Plan(200, JSON, orjson.dumps(self.snapshot(now)))
        if route == "/_mock/profile" and method == "GET":
            return Plan(200, JSON, orjson.dumps(self.profile.model_dump(mode="json")))
        if route == "/_mock/profile" and method == "POST":
            try:
                self.set_profile(self._new_profile(query, body), now)
            except ConfigError as exc:
                message = {
                    "error": {
                        "message": str(exc),
                        "type": "invalid_profile",
                        "problems": exc.problems,
                    }
                }
                return Plan(400, JSON, orjson.dumps(message))
            return Plan(200, JSON, orjson.dumps(self.profile.model_dump(mode="json")))
        return Plan(404, JSON, _NOT_FOUND)

    def _new_profile(self, query: dict[str, list[str]], body: bytes) -> MockProfile:
        if "name" in query:
            return load_profile(query["name"][0])
        source = "profile patch"
        data = load_yaml_text(decode_text(body, source, source), source)[0] if body.strip() else {}
        if not isinstance(data, dict):
            raise ConfigError(f"profile patch: expected a JSON object, got {type(data).__name__}")
        replace = query.get("replace", ["false"])[0].lower() in ("1", "true", "yes")
        return patch_profile(self.profile, data, replace=replace)

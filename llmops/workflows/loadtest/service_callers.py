"""Callers for the team's own feature: a Python function, or an HTTP service, end to end.

They record into the level's recorder as the API callers do, so the ladder, the knee, the
self-check and the reports are the same. The latency counts from ``t0`` to the answer's end
(the function's return, the response's last byte); with ``--stream`` the time to the first
chunk (an async generator's first item, the first body bytes) is the TTFT. No engine sits
in front: limits, retries, breaker and fallbacks are the feature's own. ``--timeout`` is the
deadline of one call (a timed-out call counts as ``timeout``).

Failure classes: a function's exception class name (``ValueError``; an llmops ``CallError``
by its ``error_type``), its cause in words ``raised ValueError: <first line>``; for HTTP, ``http_503`` for a status the success rule refuses,
``unexpected_body`` for a body ``expect`` refuses, ``connection_error`` and ``timeout``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio
import anyio.lowlevel
import anyio.to_thread

from llmops.config import LlmopsConfig
from llmops.core.textprofile import estimate_tokens
from llmops.engine.clock import Clock
from llmops.engine.result import describe_failure
from llmops.engine.transport import MAX_BODY_BYTES, Transport, body_too_large
from llmops.errors import CallError, TransportError
from llmops.redact import redact_text
from llmops.workflows.loadtest.callers import Caller, error_class, open_caller
from llmops.workflows.loadtest.metrics import LevelRecorder
from llmops.workflows.loadtest.prompts import PromptSet
from llmops.workflows.service import Answer, FunctionTarget, HttpTarget, answer_of
from llmops.workflows.target import Target

__all__ = ["FunctionCaller", "HttpCaller", "open_target_caller", "prompt_text"]

#: distinct failure messages kept as causes per level; past it, one line per class
MAX_CAUSES = 20


def prompt_text(messages: Sequence[dict[str, str]]) -> str:
    """The prompt a function or a template gets: the message's text, or the texts of
    several messages joined by blank lines."""
    if len(messages) == 1:
        return messages[0]["content"]
    return "\n\n".join(m["content"] for m in messages)


class _ServiceCaller(Caller):
    def __init__(self, clock: Clock, timeout_s: float) -> None:
        self.clock = clock
        self.transitions = []
        self._timeout = timeout_s
        self._causes: set[str] = set()

    def _fail(
        self, rec: LevelRecorder, cls: str, cause: str, latency: float, status: int | None
    ) -> None:
        rec.attempt(status, cls)
        rec.failure(cls, latency)
        if cause not in self._causes and len(self._causes) >= MAX_CAUSES:
            cause = f"{cls} (further messages not kept)"
        else:
            self._causes.add(cause)
        rec.cause(cause)

    def _answered(
        self, rec: LevelRecorder, latency: float, tokens: int, chunks: list[float] | None
    ) -> None:
        rec.attempt(None, None)  # statuses count the refused ones (errors_by_status)
        rec.success(latency, tokens)
        if chunks and rec.ttft is not None:
            rec.stream_timing(chunks[0], chunks, latency)


class FunctionCaller(_ServiceCaller):
    """Calls the team's function with the prompt: awaited, iterated, or in a worker thread
    (at most ``threads`` at once; inline on a virtual clock, which cannot see thread time)."""

    def __init__(
        self,
        function: FunctionTarget,
        prompts: PromptSet,
        clock: Clock,
        *,
        timeout_s: float,
        threads: int,
    ) -> None:
        super().__init__(clock, timeout_s)
        self._call = function.call
        self._mode = function.mode
        self._prompts = [prompt_text(m) for m in prompts.messages]
        self._n = len(self._prompts)
        self._inline = bool(getattr(clock, "virtual", False))
        self._limiter = anyio.CapacityLimiter(max(1, threads))

    async def _invoke(self, prompt: str, sent: float) -> tuple[Any, list[float] | None]:
        mode = self._mode
        # a call that returns without waiting on anything would let this client run its
        # whole share before any other: yield once, so N clients are N callers in turn
        await anyio.lowlevel.checkpoint()
        if mode == "agen":
            return await self._iterate(prompt, sent)
        if mode == "async":
            value = await self._call(prompt)
        elif self._inline:
            value = self._call(prompt)
        else:
            value = await anyio.to_thread.run_sync(
                partial(self._call, prompt), limiter=self._limiter, abandon_on_cancel=True
            )
        if inspect.isawaitable(value):  # a plain def handing back a coroutine (a partial, say)
            value = await value
        return value, None

    async def _iterate(self, prompt: str, sent: float) -> tuple[Answer, list[float]]:
        clock = self.clock
        times: list[float] = []
        parts: list[str] = []
        reported = 0  # usage that chunks other than text report (a final usage chunk, say)
        async for chunk in self._call(prompt):
            times.append(clock.now() - sent)
            if isinstance(chunk, str):
                parts.append(chunk)
            else:
                answer = answer_of(chunk)
                parts.append(answer.text)
                reported += answer.output_tokens
        text = "".join(parts)
        return Answer(text, reported or estimate_tokens(text)), times

    async def one(self, index: int, t0: float, rec: LevelRecorder, warmup: bool = False) -> float:
        clock = self.clock
        sent = clock.now()
        try:
            with clock.timeout(self._timeout):
                value, chunks = await self._invoke(self._prompts[index % self._n], sent)
        except TimeoutError as exc:
            end = clock.now()
            if end - sent >= self._timeout:
                cause = f"no answer within {self._timeout:g}s (--timeout)"
                self._fail(rec, "timeout", cause, end - t0, None)
            else:
                self._fail(rec, "TimeoutError", f"raised {_said(exc)}", end - t0, None)
            return end
        except Exception as exc:
            end = clock.now()
            cls = error_class(exc) if isinstance(exc, CallError) else type(exc).__name__
            self._fail(rec, cls, f"raised {_said(exc)}", end - t0, None)
            return end
        end = clock.now()
        answer = value if isinstance(value, Answer) else answer_of(value)
        self._answered(rec, end - t0, answer.output_tokens, chunks)
        return end


def _said(exc: BaseException) -> str:
    """The exception in words, stable enough to count: class and first line, redacted."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    if len(text) > 120:
        text = text[:117] + "..."
    return redact_text(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


class HttpCaller(_ServiceCaller):
    """Sends each prompt's request (built once per prompt) over the run's transport and
    judges the response by the success rule and ``expect``."""

    def __init__(
        self,
        http: HttpTarget,
        transport: Transport,
        prompts: PromptSet,
        clock: Clock,
        *,
        timeout_s: float,
        stream: bool,
    ) -> None:
        super().__init__(clock, timeout_s)
        self._http = http
        self._transport = transport
        self._requests = [http.request(prompt_text(m), m) for m in prompts.messages]
        self._n = len(self._requests)
        self._stream = stream

    async def _streamed(self, index: int, sent: float) -> tuple[int, bytes, list[float]]:
        clock = self.clock
        times: list[float] = []
        parts: list[bytes] = []
        size = 0
        async with self._transport.stream(self._requests[index]) as resp:
            async for chunk in resp.iter_bytes():
                if not chunk:
                    continue
                times.append(clock.now() - sent)
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise TransportError(body_too_large(size))
                parts.append(chunk)
            return resp.status, b"".join(parts), times

    async def one(self, index: int, t0: float, rec: LevelRecorder, warmup: bool = False) -> float:
        clock = self.clock
        i = index % self._n
        sent = clock.now()
        chunks: list[float] | None = None
        try:
            with clock.timeout(self._timeout):
                if self._stream:
                    status, body, chunks = await self._streamed(i, sent)
                else:
                    response = await self._transport.send(self._requests[i])
                    status, body = response.status, response.body
        except TimeoutError:
            end = clock.now()
            cause = f"no answer within {self._timeout:g}s (--timeout)"
            self._fail(rec, "timeout", cause, end - t0, None)
            return end
        except CallError as exc:  # the transport's: refused, reset, body too large
            end = clock.now()
            cause = describe_failure(exc, self._requests[i].url)
            self._fail(rec, exc.error_type, cause, end - t0, None)
            return end
        end = clock.now()
        judged = self._http.judge(status, body)
        if judged.error is not None:
            self._fail(rec, judged.error, judged.cause, end - t0, status)
        else:
            self._answered(rec, end - t0, judged.output_tokens, chunks)
        return end


@asynccontextmanager
async def open_target_caller(
    target: Target,
    config: LlmopsConfig,
    prompts: PromptSet,
    transport: Transport,
    clock: Clock,
    *,
    raw: bool,
    max_tokens: int,
    stream: bool,
    timeout_s: float,
    closed_loop: bool = True,
    shared_state: bool = False,
) -> AsyncIterator[Caller]:
    """The caller of one level for any target: the team's function or service (its sync
    calls in at most the level's ``max_concurrency`` worker threads: the clients in closed
    loop), else :func:`~llmops.workflows.loadtest.callers.open_caller`'s API caller."""
    service = target.service
    if isinstance(service, FunctionTarget):
        threads = config.limits.max_concurrency
        yield FunctionCaller(service, prompts, clock, timeout_s=timeout_s, threads=threads)
    elif isinstance(service, HttpTarget):
        yield HttpCaller(service, transport, prompts, clock, timeout_s=timeout_s, stream=stream)
    else:
        async with open_caller(
            target,
            config,
            prompts,
            transport,
            clock,
            raw=raw,
            max_tokens=max_tokens,
            stream=stream,
            timeout_s=timeout_s,
            closed_loop=closed_loop,
            shared_state=shared_state,
        ) as caller:
            yield caller

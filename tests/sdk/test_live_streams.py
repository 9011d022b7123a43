"""Streams through the SDK drop-in are live: the SDK sees the first tokens while the provider is
still answering (a mock stream held after its first chunk until the test lets it go), TTFT is in
the events, and a failure once tokens are out is the SDK's own stream error, never retried."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing, asynccontextmanager
from typing import Any

import anthropic
import anyio
import anyio.lowlevel
import openai
import pytest

from llmops import Engine, EventRecorder, ModelCall, config_from_dict
from llmops.engine.clock import AnyioClock
from llmops.engine.events import CallFinished
from llmops.engine.sync import SyncEngine
from llmops.engine.transport import HttpRequest, HttpResponse
from llmops.errors import FeatureUnavailable, TransportError
from llmops.mock import MockTransport
from llmops.sdk import OUTCOME_HEADER, async_http_client, http_client

ASK = [{"role": "user", "content": "Write a long story about the sea, please"}]


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    from trio.testing import MockClock

    return ("trio", {"clock": MockClock(autojump_threshold=0)})


class Held:
    """The in-process mock, its streams held after their first chunk until ``release`` is set
    (or cut there with ``cut=True``). ``sent`` counts the chunks that went out, ``cancelled``
    the streams cancelled while held."""

    def __init__(self, mock: MockTransport, *, cut: bool = False) -> None:
        self.mock = mock
        self.cut = cut
        self.release: anyio.Event | None = None
        self.first_sent = 0
        self.sent = 0
        self.cancelled = 0  # streams cancelled while held

    async def send(self, request: HttpRequest) -> HttpResponse:
        return await self.mock.send(request)

    @asynccontextmanager
    async def stream(self, request: HttpRequest) -> AsyncIterator[Any]:
        async with self.mock.stream(request) as resp:
            yield _HeldResponse(resp, self)

    async def aclose(self) -> None:
        pass


class _HeldResponse:
    def __init__(self, inner: Any, held: Held) -> None:
        self._inner = inner
        self._held = held
        self.status = inner.status
        self.headers = inner.headers

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        held = self._held
        first = True
        async with aclosing(self._inner.iter_bytes()) as chunks:  # (closed when cancelled too)
            async for chunk in chunks:
                held.sent += 1
                yield chunk
                if first:
                    first = False
                    held.first_sent += 1
                    if held.cut:
                        raise TransportError("connection reset after the first chunk (test)")
                    held.release = held.release or anyio.Event()
                    try:
                        await held.release.wait()
                    except anyio.get_cancelled_exc_class():
                        held.cancelled += 1
                        raise

    async def read(self) -> bytes:
        return await self._inner.read()


def config(kind: str, *, limits: dict[str, float] | None = None) -> Any:
    base = "http://mock/v1" if kind == "openai" else "http://mock"
    return config_from_dict(
        {
            "providers": {"p": {"kind": kind, "base_url": base, "model": "mock-1"}},
            "retry": {"max_attempts": 3},
            "limits": limits or {"timeout_s": 60, "stream_stall_s": 30},
            "features": {"f": {"fallback": {"strategy": "default", "value": "FALLBACK"}}},
        }
    )


def paced_mock(clock: Any) -> MockTransport:
    """The default mock (first token after 0.1 s, then 4 ms a token), without its faults."""
    mock = MockTransport("default", clock=clock, seed=1)
    profile = mock.app.profile
    faults = profile.faults.model_copy(update={"error_rates": {}})
    mock.app.set_profile(profile.model_copy(update={"faults": faults}), 0.0)
    return mock


def deltas(kind: str, stream: Any) -> Iterator[str]:
    """The text deltas of a sync SDK stream."""
    for item in stream:
        if kind == "openai":
            if item.choices and item.choices[0].delta.content:
                yield item.choices[0].delta.content
        elif item.type == "content_block_delta":
            yield item.delta.text


async def adeltas(kind: str, stream: Any) -> AsyncIterator[str]:
    """The text deltas of an async SDK stream."""
    async for item in stream:
        if kind == "openai":
            if item.choices and item.choices[0].delta.content:
                yield item.choices[0].delta.content
        elif item.type == "content_block_delta":
            yield item.delta.text


async def parsed(raw: Any) -> Any:
    """An async raw response parsed (awaitable in one SDK, not in the other)."""
    value = raw.parse()
    return await value if inspect.isawaitable(value) else value


def sdk(kind: str, http: Any, *, sync: bool) -> Any:
    if kind == "openai":
        cls: Any = openai.OpenAI if sync else openai.AsyncOpenAI
        return cls(api_key="unused", base_url="http://sdk/v1", http_client=http)
    cls = anthropic.Anthropic if sync else anthropic.AsyncAnthropic
    return cls(api_key="unused", base_url="http://sdk", http_client=http)


def create(kind: str, client: Any) -> Any:
    """The streamed request, raw (headers) in the SDK's with_raw_response form."""
    if kind == "openai":
        return client.chat.completions.with_raw_response.create(
            model="mock-1", messages=ASK, stream=True
        )
    return client.messages.with_raw_response.create(
        model="mock-1", max_tokens=256, messages=ASK, stream=True
    )


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_an_async_sdk_stream_gets_its_first_tokens_while_the_provider_still_answers(
    kind: str,
) -> None:
    clock = AnyioClock()
    held = Held(paced_mock(clock))
    recorder = EventRecorder()
    async with Engine(config(kind), transport=held, clock=clock, observers=[recorder]) as engine:
        client = sdk(kind, async_http_client("f", engine=engine), sync=False)
        # (no timeout of the test's own: the SDK's first request waits for a thread, which
        # virtual time does not see; the engine's deadlines bound every wait)
        raw = await create(kind, client)
        assert raw.headers[OUTCOME_HEADER] == "ok"
        pieces = adeltas(kind, await parsed(raw))
        first = await anext(pieces)
        # the SDK holds a token while the provider's stream is still held open
        assert held.sent == 1
        assert held.release is not None
        held.release.set()
        rest = [piece async for piece in pieces]
    assert first and rest and held.sent > 1
    calls = [e for e in recorder.events if isinstance(e, ModelCall)]
    done = [e for e in recorder.events if isinstance(e, CallFinished)]
    assert [c.status for c in calls] == [200] and calls[0].ttft_s is not None
    assert [d.outcome for d in done] == ["ok"]
    assert done[0].ttft_s is not None and 0 < done[0].ttft_s <= done[0].latency_s


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_a_sync_sdk_stream_gets_its_first_tokens_while_the_provider_still_answers(
    kind: str,
) -> None:
    recorder = EventRecorder()
    held = Held(paced_mock(AnyioClock()))  # real time on the engine's loop: 0.1 s to answer
    engine = SyncEngine(config(kind), observers=[recorder], transport=held)
    with engine, sdk(kind, http_client("f", engine=engine), sync=True) as client:
        pieces = deltas(kind, create(kind, client).parse())
        first = next(pieces)
        assert held.sent == 1
        engine.run(_release, held)
        rest = list(pieces)
    assert first and rest and held.sent > 1
    done = [e for e in recorder.events if isinstance(e, CallFinished)]
    assert [d.outcome for d in done] == ["ok"] and done[0].ttft_s is not None


async def _release(held: Held) -> None:
    assert held.release is not None
    held.release.set()


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_a_stream_cut_after_its_first_tokens_is_the_sdks_error_and_never_retried(
    kind: str,
) -> None:
    clock = AnyioClock()
    held = Held(paced_mock(clock), cut=True)
    recorder = EventRecorder()
    async with Engine(config(kind), transport=held, clock=clock, observers=[recorder]) as engine:
        client = sdk(kind, async_http_client("f", engine=engine), sync=False)
        seen: list[str] = []
        with pytest.raises((openai.APIError, anthropic.APIError)) as info:
            raw = await create(kind, client)
            async for piece in adeltas(kind, await parsed(raw)):
                seen.append(piece)
    assert seen and "FALLBACK" not in "".join(seen)  # the tokens, then the error: no fallback
    assert "after its first tokens" in str(info.value)
    calls = [e for e in recorder.events if isinstance(e, ModelCall)]
    assert [c.error_type for c in calls] == ["stream_error"]  # one attempt: no retry after tokens
    done = [e for e in recorder.events if isinstance(e, CallFinished)]
    assert [d.outcome for d in done] == ["error"]  # what the SDK saw, not the unused fallback
    assert held.first_sent == 1


@pytest.mark.anyio
async def test_once_tokens_are_out_a_failing_route_is_not_failed_over() -> None:
    from tests.engine.test_routes_priority import ByHost

    clock = AnyioClock()
    cut, healthy = Held(paced_mock(clock), cut=True), paced_mock(clock)
    cfg = config_from_dict(
        {
            "providers": {
                "a": {"kind": "openai", "base_url": "http://a/v1", "model": "mock-1"},
                "b": {"kind": "openai", "base_url": "http://b/v1", "model": "mock-2"},
            },
            "features": {"f": {"routes": ["a/mock-1", "b/mock-2"]}},
        }
    )
    seen: list[str] = []
    async with Engine(cfg, transport=ByHost(a=cut, b=healthy), clock=clock) as engine:  # type: ignore[arg-type]
        with pytest.raises(FeatureUnavailable) as info:  # the feature's error fallback
            await engine.stream(ASK, feature="f", on_chunk=lambda text, at: seen.append(text))
    assert seen and info.value.error_type and "stream" in str(info.value.__cause__)
    assert cut.first_sent == 1  # route a was tried once, no retry after its first tokens
    assert healthy.app.snapshot(clock.now())["requests"] == 0  # route b never asked


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_over_the_loopback_mock_the_first_tokens_arrive_while_the_server_still_streams(
    kind: str,
) -> None:
    from llmops.mock import MockServer
    from llmops.mock.profile import Latency, OutputTokens, load_profile

    # a slow stream: the first token at once, then one every 0.15 s for 12 tokens
    profile = load_profile("instant").model_copy(
        update={
            "latency": Latency(ttft_s=0.01, time_per_token_s=0.15),
            "output_tokens": OutputTokens(mean=12, sigma=0, min=12, max=12),
        }
    )
    with SyncEngine(config_from_dict({})) as loop:  # a loop thread to host the server
        server = MockServer(profile)
        url = loop.run(server.__aenter__).url
        try:
            base = url + "/v1" if kind == "openai" else url
            cfg = config_from_dict(
                {
                    "providers": {"p": {"kind": kind, "base_url": base, "model": "mock-1"}},
                    "features": {"f": {}},
                }
            )
            with sdk(kind, http_client("f", config=cfg), sync=True) as client:
                pieces = deltas(kind, create(kind, client).parse())
                first = next(pieces)
                # the server is still writing this response when the SDK holds a token
                streaming = server.app.stats.in_flight
                rest = list(pieces)
        finally:
            loop.run(server.__aexit__, None, None, None)
    assert first and streaming == 1 and len(rest) >= 5
    assert server.app.stats.requests == 1 and server.app.stats.in_flight == 0


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_an_sdk_stream_closed_early_cancels_its_engine_call(kind: str) -> None:
    clock = AnyioClock()
    held = Held(paced_mock(clock))
    async with Engine(config(kind), transport=held, clock=clock) as engine:
        client = sdk(kind, async_http_client("f", engine=engine), sync=False)
        stream = await parsed(await create(kind, client))
        first = await anext(adeltas(kind, stream))
        assert engine.gate.in_flight == 1  # the call is running, its provider stream held
        await stream.close()  # the caller stops reading
        await anyio.sleep(1)
        # the call was cancelled: its slot is free though the provider never finished
        assert engine.gate.in_flight == 0 and held.sent == 1
    assert first


# -- closing: a live call ends with its stream or its client, never runs on to its deadline ----

#: deadlines far away: a call that ends here ended because it was closed (its outcome says so)
LONG = {"timeout_s": 3600, "attempt_timeout_s": 3600, "stream_stall_s": 3600}


def running_tasks() -> int:
    """The tasks of the running event loop (trio: every task under the root)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        import trio

        def count(task: Any) -> int:
            return 1 + sum(count(t) for n in task.child_nurseries for t in n.child_tasks)

        return count(trio.lowlevel.current_root_task())
    return len(asyncio.all_tasks())


def stream_request(kind: str, client: Any) -> Any:
    """The streamed request in the SDK's plain form (a stream to iterate and close)."""
    if kind == "openai":
        return client.chat.completions.create(model="mock-1", messages=ASK, stream=True)
    return client.messages.create(model="mock-1", max_tokens=256, messages=ASK, stream=True)


def cancelled_calls(recorder: EventRecorder) -> list[tuple[str, str | None]]:
    done = [e for e in recorder.events if isinstance(e, CallFinished)]
    return [(d.outcome, d.error_type) for d in done]


async def closing_an_async_client_ends_its_live_stream(kind: str) -> None:
    clock = AnyioClock()
    held = Held(paced_mock(clock))
    recorder = EventRecorder()
    cfg = config(kind, limits=LONG)
    async with Engine(cfg, transport=held, clock=clock, observers=[recorder]) as engine:
        before = running_tasks()
        client = sdk(kind, async_http_client("f", engine=engine), sync=False)
        pieces = adeltas(kind, await stream_request(kind, client))  # (held: no finalizer task)
        first = await anext(pieces)
        assert engine.gate.in_flight == 1 and held.sent == 1  # running, its stream held
        await client.close()  # what `async with client` exit does too
        # close waited for the engine call: ended now, cancelled (not timed out), nothing left
        assert cancelled_calls(recorder) == [("cancelled", None)]
        assert held.cancelled == 1 and held.sent == 1
        assert engine.gate.in_flight == 0 and running_tasks() == before
        # a reader still holding the stream gets the SDK's error, not a silent end
        with pytest.raises((openai.APIError, anthropic.APIError), match="cancelled"):
            async for _ in pieces:
                pass
    assert first


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_closing_an_async_sdk_client_cancels_its_live_streams_on_trio(kind: str) -> None:
    await closing_an_async_client_ends_its_live_stream(kind)  # a trio system task


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_closing_an_async_sdk_client_cancels_its_live_streams_on_asyncio(
    kind: str, anyio_backend: str
) -> None:
    await closing_an_async_client_ends_its_live_stream(kind)  # a detached asyncio task


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_leaving_an_async_sdk_client_that_owns_its_engine_cancels_its_live_streams(
    kind: str,
) -> None:
    clock = AnyioClock()
    held = Held(paced_mock(clock))
    recorder = EventRecorder()
    cfg = config(kind, limits=LONG)
    before = running_tasks()
    http = async_http_client("f", config=cfg, transport=held, clock=clock, observers=[recorder])
    async with sdk(kind, http, sync=False) as client:  # the engine is entered, then closed
        pieces = adeltas(kind, await stream_request(kind, client))
        first = await anext(pieces)
        assert held.sent == 1
    # the stream's call was cancelled before the engine closed: its outcome says so
    assert first and cancelled_calls(recorder) == [("cancelled", None)]
    assert held.cancelled == 1 and held.sent == 1 and running_tasks() == before


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_closing_a_sync_sdk_client_that_owns_its_engine_cancels_its_live_streams(
    kind: str,
) -> None:
    recorder = EventRecorder()
    held = Held(paced_mock(AnyioClock()))
    # deadlines far longer than this test (were the call not cancelled, the engine's close
    # would wait for them: 30 s, not an hour); the outcome says why the call ended
    cfg = config(kind, limits={"timeout_s": 30, "attempt_timeout_s": 30, "stream_stall_s": 30})
    threads = set(threading.enumerate())
    http = http_client("f", config=cfg, transport=held, observers=[recorder])
    with sdk(kind, http, sync=True) as client:  # a SyncEngine and its loop thread, made here
        stream = stream_request(kind, client)  # (held: a collected stream closes itself)
        first = next(deltas(kind, stream))
        assert held.sent == 1
    assert first and cancelled_calls(recorder) == [("cancelled", None)]
    assert held.cancelled == 1 and held.sent == 1
    assert set(threading.enumerate()) <= threads  # the engine's loop thread has ended
    stream.close()


async def _tasks_after_settling(baseline: int) -> int:
    """The loop's tasks once those above ``baseline`` have had a bounded number of turns."""
    for _ in range(1000):
        if len(asyncio.all_tasks()) <= baseline:
            break
        await anyio.lowlevel.checkpoint()
    return len(asyncio.all_tasks())


async def _tasks() -> int:
    return len(asyncio.all_tasks())


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_closing_a_sync_sdk_client_cancels_its_live_streams(kind: str) -> None:
    recorder = EventRecorder()
    held = Held(paced_mock(AnyioClock()))
    engine = SyncEngine(config(kind, limits=LONG), observers=[recorder], transport=held)
    with engine:
        before = engine.run(_tasks)
        client = sdk(kind, http_client("f", engine=engine), sync=True)
        try:
            pieces = deltas(kind, stream_request(kind, client))
            first = next(pieces)
            assert engine.run(_in_flight, engine) == 1 and held.sent == 1
            client.close()
            # close waited for the engine call on the loop: ended now, cancelled, nothing left
            assert cancelled_calls(recorder) == [("cancelled", None)]
            assert held.cancelled == 1 and held.sent == 1
            assert engine.run(_in_flight, engine) == 0 and engine.run(_tasks) == before
        finally:
            engine.run(_release, held)  # (were it still held, the engine's close would wait)
    assert first


async def _in_flight(engine: SyncEngine) -> int:
    return engine.engine.gate.in_flight


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_a_sync_sdk_stream_closed_early_cancels_its_engine_call(kind: str) -> None:
    recorder = EventRecorder()
    finished = threading.Event()

    def on_event(event: object) -> None:
        if isinstance(event, CallFinished):
            finished.set()

    held = Held(paced_mock(AnyioClock()))
    cfg = config(kind, limits=LONG)
    engine = SyncEngine(cfg, observers=[recorder, on_event], transport=held)
    with engine, sdk(kind, http_client("f", engine=engine), sync=True) as client:
        before = engine.run(_tasks)
        try:
            with stream_request(kind, client) as stream:
                first = next(deltas(kind, stream))
                assert held.sent == 1
                stream.close()  # the caller stops reading: the engine call is cancelled
            assert finished.wait(30)  # (a bound, should the cancel never arrive)
            assert cancelled_calls(recorder) == [("cancelled", None)]
            assert held.cancelled == 1 and held.sent == 1
            assert engine.run(_tasks_after_settling, before) == before
            assert engine.run(_in_flight, engine) == 0
        finally:
            engine.run(_release, held)
    assert first

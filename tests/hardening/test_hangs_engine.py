"""No hangs: every engine call against a hostile upstream ends in time with a classified error.

Table-driven over the hostile behaviours x both transports (aiohttp, httpx) x stream or not x
both wire formats, with short configured deadlines in real time over loopback (the
behaviours need real sockets). Each case asserts the error class and what the cause says,
never the elapsed time: a hang would be caught by the outer bound that only a hang reaches.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from llmops.config import config_from_dict
from llmops.engine.engine import Engine
from llmops.engine.result import cause_of
from llmops.engine.transport import Transport
from llmops.errors import (
    CallError,
    DeadlineExceeded,
    FeatureUnavailable,
    ServerError,
    StreamError,
    TransportError,
)

from .hostile_upstream import BEHAVIOURS, hostile

pytestmark = [pytest.mark.anyio, pytest.mark.loopback]

ATTEMPT_S = 0.4
STALL_S = 0.25
CALL_S = 1.0
#: only a hang gets here: the test fails instead of waiting for ever
HANG_BOUND_S = 15.0

#: the attempt's deadline, or what is left of the call's (so no figure: it depends on timing)
TIMED_OUT = "timed out after "

# (behaviour, stream) -> (error class, words the cause contains)
EXPECTED: dict[tuple[str, bool], tuple[type[CallError], str]] = {
    ("never_answers", False): (DeadlineExceeded, TIMED_OUT),
    ("never_answers", True): (DeadlineExceeded, TIMED_OUT),
    ("trickles", False): (DeadlineExceeded, TIMED_OUT),
    ("trickles", True): (DeadlineExceeded, TIMED_OUT),
    ("resets_mid_body", False): (TransportError, "connection failed"),
    ("resets_mid_body", True): (StreamError, "stream ended early"),
    ("malformed_sse", False): (DeadlineExceeded, TIMED_OUT),
    ("malformed_sse", True): (StreamError, "malformed"),
    ("stalls_mid_stream", False): (DeadlineExceeded, TIMED_OUT),
    ("stalls_mid_stream", True): (StreamError, f"stream stalled: no data for {STALL_S:g} s"),
    ("invalid_json", False): (ServerError, "HTTP 200 with an invalid body"),
    ("invalid_json", True): (StreamError, "without its terminator"),
    # bounded memory: refused at a size, not read until the deadline
    ("endless_line", True): (StreamError, "grew past"),
    ("declares_huge", False): (TransportError, "response body over"),
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiohttp runs only there


def _config(url: str, wire: str) -> Any:
    return config_from_dict(
        {
            "providers": {"hostile": {"kind": wire, "base_url": url, "model": "m"}},
            "limits": {
                "timeout_s": CALL_S,
                "attempt_timeout_s": ATTEMPT_S,
                "stream_stall_s": STALL_S,
            },
            "retry": {"max_attempts": 2, "backoff_base_s": 0.01, "backoff_cap_s": 0.02},
            "breaker": {"enabled": False},
        }
    )


def _transport(name: str) -> Transport:
    if name == "aiohttp":
        from llmops.engine.transport_aiohttp import AiohttpTransport

        return AiohttpTransport()
    from llmops.engine.transport_httpx import HttpxTransport

    return HttpxTransport()


async def _failure(url: str, transport: str, stream: bool, wire: str) -> CallError:
    engine = Engine(_config(url, wire), transport=_transport(transport))
    with anyio.fail_after(HANG_BOUND_S):
        async with engine:
            try:
                result = await engine.call([{"role": "user", "content": "hi"}], stream=stream)
            except CallError as exc:
                return exc
            finally:
                await engine._transport.aclose()  # type: ignore[union-attr]
    raise AssertionError(f"the call answered: {result!r}")


CASES = [
    pytest.param(b, t, s, id=f"{b}-{t}-{'stream' if s else 'send'}")
    for b in BEHAVIOURS
    for t in ("aiohttp", "httpx")
    for s in (False, True)
    if (b, s) in EXPECTED
]


@pytest.mark.parametrize(("behaviour", "transport", "stream"), CASES)
async def test_a_hostile_upstream_ends_the_call_with_a_classified_cause(
    behaviour: str, transport: str, stream: bool
) -> None:
    cls, words = EXPECTED[(behaviour, stream)]
    with hostile(behaviour) as server:
        err = await _failure(server.url, transport, stream, "openai")
    # the adhoc feature's fallback is ``error``: its message, and the cause behind it
    assert isinstance(err, FeatureUnavailable)
    assert isinstance(err.cause, cls), repr(err.cause)
    assert words in cause_of(err), cause_of(err)


ANTHROPIC = [
    pytest.param(b, s, id=f"{b}-{'stream' if s else 'send'}")
    for b in ("malformed_sse", "stalls_mid_stream", "invalid_json", "resets_mid_body")
    for s in (False, True)
]


@pytest.mark.parametrize(("behaviour", "stream"), ANTHROPIC)
async def test_the_anthropic_wire_format_classifies_the_same(behaviour: str, stream: bool) -> None:
    cls, words = EXPECTED[(behaviour, stream)]
    with hostile(behaviour, wire="anthropic") as server:
        err = await _failure(server.url, "aiohttp", stream, "anthropic")
    assert isinstance(err, FeatureUnavailable) and isinstance(err.cause, cls), repr(err)
    assert words in cause_of(err), cause_of(err)

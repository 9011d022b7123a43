"""The engine's transport seam: send one HTTP request, get a response or a stream of chunks.

Providers build :class:`HttpRequest` values and parse what comes back; adapters (aiohttp, the
fast default, and httpx, the client API users know) move the bytes. Adapters turn their own
connection failures into :class:`llmops.errors.TransportError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

#: the largest whole (not streamed) response body an adapter reads: a body past it (or one whose
#: ``content-length`` says so) is refused as a :class:`~llmops.errors.TransportError` instead of
#: filling memory until the deadline
MAX_BODY_BYTES = 64 << 20


def body_too_large(size: int) -> str:
    """The message of a refused body."""
    return f"response body over {MAX_BODY_BYTES:,} bytes ({size:,} or more): refused"


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    #: header names are lower-case
    headers: Mapping[str, str]
    body: bytes


class StreamResponse(Protocol):
    """An open streaming response; iterate it for raw body chunks as they arrive."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    def iter_bytes(self) -> AsyncIterator[bytes]: ...

    async def read(self) -> bytes: ...


@runtime_checkable
class Transport(Protocol):
    async def send(self, request: HttpRequest) -> HttpResponse: ...

    def stream(self, request: HttpRequest) -> AbstractAsyncContextManager[StreamResponse]: ...

    async def aclose(self) -> None: ...

"""A FastAPI service on the llmops engine: load shedding, conversations, a queue drained after
an outage.

    pip install 'llmops-toolkit[redis]' fastapi uvicorn
    llmops mock serve --port 8787 &
    LLMOPS_CONFIG=examples/service.llmops.yaml uvicorn examples.fastapi_service:service --port 8000

- ``LoadShedder`` admits 32 requests in flight and 64 queued (what ``llmops loadtest``
  recommended for this service); the rest get 429 with ``Retry-After`` at once.
- ``POST /chat`` keeps each conversation's history (in Redis with ``state: {backend: redis}``,
  so a user's next turn may land on any instance).
- ``POST /summaries`` answers 202 with a ticket when the API is down: the call waits in the
  reprocess queue; once the breaker closes the engine drains it and ``store_summary`` files
  the answer, which ``GET /summaries/{ticket}`` then returns.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from llmops import CapacityExceeded, Engine, FeatureUnavailable, load_config
from llmops.engine.drain import Drained
from llmops.shedding import LoadShedder

config = load_config(os.environ.get("LLMOPS_CONFIG", "examples/service.llmops.yaml"))
engine = Engine(config)
summaries: dict[str, str] = {}  # a real service keeps these in its database


async def store_summary(drained: Drained) -> None:
    """Called by the engine's background drain for each queued summary it reprocessed."""
    summaries[drained.item.id] = drained.result.text or ""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with engine:
        engine.on_drained("summarize", store_summary)
        yield


app = FastAPI(lifespan=lifespan)
# the ASGI app to serve: FastAPI behind the shedder (app.add_middleware(LoadShedder, ...) works
# too; wrapping keeps the instance at hand for its counts)
service = LoadShedder(
    app, max_in_flight=32, queue_limit=64, max_wait_s=10.0, exempt_paths=["/health"]
)


class ChatIn(BaseModel):
    conversation_id: str
    message: str


class SummarizeIn(BaseModel):
    text: str


def _too_busy(exc: CapacityExceeded) -> JSONResponse:
    seconds = max(1, round(exc.retry_after or 1))
    return JSONResponse(
        {"error": {"type": "overloaded", "message": str(exc)}},
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


@app.post("/chat", response_model=None)
async def chat(body: ChatIn) -> dict[str, object] | JSONResponse:
    message = [{"role": "user", "content": body.message}]
    try:
        result = await engine.call(message, feature="chat", conversation_id=body.conversation_id)
    except CapacityExceeded as exc:  # the engine's own queue is full
        return _too_busy(exc)
    # outcome "degraded:default": the fallback answered; it is not stored in the history
    return {"answer": result.text, "outcome": result.outcome}


@app.post("/summaries", response_model=None)
async def summarize(body: SummarizeIn) -> dict[str, object] | JSONResponse:
    try:
        result = await engine.call([{"role": "user", "content": body.text}], feature="summarize")
    except CapacityExceeded as exc:
        return _too_busy(exc)
    except FeatureUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc
    if result.queued_id is not None:  # the API is down: queued, answered later
        return JSONResponse({"ticket": result.queued_id, "status": "queued"}, status_code=202)
    return {"summary": result.text}


@app.get("/summaries/{ticket}")
async def summary(ticket: str) -> dict[str, object]:
    if ticket not in summaries:
        raise HTTPException(404, "not answered yet")
    return {"ticket": ticket, "summary": summaries[ticket]}


@app.get("/health")
async def health() -> dict[str, object]:
    stats = service.stats
    return {
        "breaker_open": engine.breaker_open("summarize"),
        "in_flight": stats.in_flight,
        "waiting": stats.waiting,
        "admitted": stats.admitted,
        "shed": stats.shed,
    }

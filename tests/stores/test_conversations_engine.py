"""Conversational calls through the engine: windowed history, summaries, what is stored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from trio.testing import MockClock

from llmops import Engine, InputError
from llmops.stores.conversations import Turn
from tests.engine.conftest import Upstream, error_response, make_config, ok_body

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return ("trio", {"clock": MockClock(autojump_threshold=0)})


def echo_upstream(fail: list[bool] | None = None) -> Upstream:
    """Answers 'answer N' (N counts the chat calls); the summariser's calls answer 'SUMMARY N'."""

    async def handler(request: httpx.Request) -> httpx.Response:
        if fail and fail[0]:
            return error_response(500, "server_error")
        body = up.requests[-1]
        text = body["messages"][-1]["content"]
        if text.startswith("Summarise this conversation"):
            return httpx.Response(200, json=ok_body(f"SUMMARY {len(up.requests)}"))
        return httpx.Response(200, json=ok_body(f"answer to {text}"))

    up = Upstream(handler)
    return up


def chat_config(**conversation: Any) -> Any:
    return make_config(
        retry={"max_attempts": 1},
        features={
            "chat": {
                "system_prompt": "be brief",
                "conversation": {"token_budget": 30, **conversation},
                "fallback": {"strategy": "default", "value": "sorry, later"},
            },
            "summ": {"max_tokens": 64},
        },
    )


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def sent(up: Upstream, i: int = -1) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in up.requests[i]["messages"]]


async def test_each_call_sends_the_history_and_stores_both_turns() -> None:
    up = echo_upstream()
    async with Engine(chat_config(), transport=up.transport()) as engine:
        await engine.call(user("q1"), feature="chat", conversation_id="c1")
        result = await engine.call(user("q2"), feature="chat", conversation_id="c1")
        stored = await engine.conversations.store.last("c1", 10)
    assert result.text == "answer to q2"
    assert sent(up) == [
        ("system", "be brief"),
        ("user", "q1"),
        ("assistant", "answer to q1"),
        ("user", "q2"),
    ]
    assert [(t.role, t.content) for t in stored] == [*sent(up)[1:], ("assistant", "answer to q2")]


async def test_history_beyond_the_token_budget_is_trimmed_from_the_oldest_end() -> None:
    up = echo_upstream()
    long = "x" * 40  # 10 tokens; each answer 'answer to xxx…' is 13 tokens
    async with Engine(chat_config(token_budget=40), transport=up.transport()) as engine:
        for i in range(3):
            await engine.call(user(f"{i}{long}"), feature="chat", conversation_id="c1")
    # budget 40 - the new turn's 11 tokens = 29: only the last question and answer fit
    assert sent(up) == [
        ("system", "be brief"),
        ("user", f"1{long}"),
        ("assistant", f"answer to 1{long}"),
        ("user", f"2{long}"),
    ]


async def test_a_fallback_answer_is_never_stored_as_the_assistant_turn() -> None:
    failing = [False]
    up = echo_upstream(failing)
    async with Engine(chat_config(), transport=up.transport()) as engine:
        await engine.call(user("q1"), feature="chat", conversation_id="c1")
        failing[0] = True
        degraded = await engine.call(user("q2"), feature="chat", conversation_id="c1")
        stored = await engine.conversations.store.last("c1", 10)
    assert degraded.outcome == "degraded:default" and degraded.text == "sorry, later"
    assert [t.content for t in stored] == ["q1", "answer to q1"]


async def test_summarize_with_a_feature_covers_what_was_trimmed_and_is_redone_when_stale() -> None:
    up = echo_upstream()
    cfg = chat_config(token_budget=60, summarize_with="summ", summary_tokens=10)
    async with Engine(cfg, transport=up.transport()) as engine:
        for i in range(5):  # turns of 10 and 12 tokens: the history outgrows 60 at call 4
            await engine.call(user(f"q{i} " + "y" * 36), feature="chat", conversation_id="c1")
        history = await engine.conversations.store.history("c1")
    summaries = [r for r in up.requests if r["messages"][-1]["content"].startswith("Summarise")]
    assert len(summaries) == 2  # trimming began at call 4 and grew at call 5: redone once
    assert "q0" in summaries[0]["messages"][-1]["content"]
    assert "q1" in summaries[0]["messages"][-1]["content"]
    assert "q2" in summaries[1]["messages"][-1]["content"]
    assert "q1" not in summaries[1]["messages"][-1]["content"]  # covered by the earlier one
    assert "SUMMARY" in summaries[1]["messages"][-1]["content"]  # builds on the earlier one
    system = sent(up)[0][1]
    assert system.startswith("be brief") and "SUMMARY" in system
    assert history.summary is not None and history.summary.covers == 6


async def test_a_summary_hook_of_the_service_replaces_the_feature() -> None:
    up = echo_upstream()
    seen: list[tuple[str | None, list[str]]] = []

    async def hook(previous: str | None, turns: list[Turn]) -> str:
        seen.append((previous, [t.content for t in turns]))
        return f"hooked {len(seen)}"

    async with Engine(chat_config(token_budget=25), transport=up.transport()) as engine:
        engine.set_summarizer("chat", hook)
        for i in range(3):
            await engine.call(user(f"q{i} " + "z" * 30), feature="chat", conversation_id="c1")
    assert seen and seen[0][0] is None and seen[0][1][0].startswith("q0")
    assert "hooked" in sent(up)[0][1]


async def test_conversation_id_needs_a_conversational_feature() -> None:
    up = echo_upstream()
    async with Engine(chat_config(), transport=up.transport()) as engine:
        with pytest.raises(InputError, match="no conversation section"):
            await engine.call(user("q"), feature="summ", conversation_id="c1")
        with pytest.raises(InputError, match="conversation_id"):
            await engine.call(user("q"), feature="chat", conversation_id="two words")

"""Conversational calls: the windowed history sent with each new turn, and what is kept after.

For a feature with ``conversation:``, :meth:`Conversations.context` loads the conversation's
history, keeps the most recent turns that fit the token budget (with the new turn), trimmed
from the oldest end, and — when the feature says ``summarize_with`` or the service registered a
hook — a summary of everything trimmed, redone when it no longer covers all of it.
:meth:`Conversations.record` appends the new turn and the model's answer; the engine calls it
only when the model answered (a fallback's answer is never stored as the assistant's turn).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from llmops.config import ConversationConfig
from llmops.core.textprofile import content_tokens
from llmops.errors import CallError
from llmops.stores.conversations import (
    ConversationStore,
    History,
    Summary,
    Turn,
    check_conversation_id,
    fit_to_budget,
)

#: a service's own summariser: (previous summary or None, the turns it must now also cover)
SummaryHook = Callable[[str | None, list[Turn]], Awaitable[str]]
#: how the engine calls a summarising feature: (feature, prompt, max_tokens) -> text
FeatureCaller = Callable[[str, str, int], Awaitable[str | None]]

SUMMARY_HEADING = "Summary of the earlier conversation:"


@dataclass(frozen=True, slots=True)
class Context:
    """What to send before the new turn: an optional summary and the kept turns."""

    summary: str | None
    turns: list[Turn]


class Conversations:
    """Windowing and summaries over a :class:`ConversationStore`."""

    def __init__(self, store: Callable[[], ConversationStore], call_feature: FeatureCaller):
        self._store = store
        self._call_feature = call_feature
        self.hooks: dict[str, SummaryHook] = {}

    @property
    def store(self) -> ConversationStore:
        return self._store()

    async def messages(
        self,
        feature: str,
        cfg: ConversationConfig,
        conversation_id: str,
        msgs: list[dict[str, str]],
    ) -> list[dict[str, str]]:
        """``msgs`` (a system prompt and the new turn) with the summary and the kept turns."""
        system = msgs[:1] if msgs and msgs[0]["role"] == "system" else []
        new = msgs[len(system) :]
        ctx = await self.context(feature, cfg, conversation_id, new)
        if ctx.summary is not None:  # in the system message: providers take only one
            note = f"{SUMMARY_HEADING}\n{ctx.summary}"
            text = f"{system[0]['content']}\n\n{note}" if system else note
            system = [{"role": "system", "content": text}]
        return [*system, *(t.message() for t in ctx.turns), *new]

    async def context(
        self,
        feature: str,
        cfg: ConversationConfig,
        conversation_id: str,
        new: Sequence[Mapping[str, str]],
    ) -> Context:
        """The summary and turns to send with ``new`` so that all fit ``cfg.token_budget``."""
        check_conversation_id(conversation_id)
        history = await self.store.history(conversation_id)
        turns = history.turns
        budget = max(0, cfg.token_budget - sum(content_tokens(m["content"]) for m in new))
        start = fit_to_budget(turns, budget)
        hook = self.hooks.get(feature)
        summarizing = hook is not None or cfg.summarize_with is not None
        if not summarizing or _covers(turns, start) == 0:
            return Context(None, turns[start:])
        start = fit_to_budget(turns, max(0, budget - cfg.summary_tokens))
        needed = _covers(turns, start)
        summary = history.summary
        if summary is None or summary.covers < needed:
            fresh = await self._summarize(feature, cfg, history, needed, hook)
            if fresh is not None:
                summary = Summary(fresh, needed)
                await self.store.set_summary(conversation_id, summary, ttl_s=cfg.ttl)
        return Context(summary.text if summary else None, turns[start:])

    async def _summarize(
        self,
        feature: str,
        cfg: ConversationConfig,
        history: History,
        needed: int,
        hook: SummaryHook | None,
    ) -> str | None:
        previous = history.summary
        since = previous.covers if previous else 0
        trimmed = [t for t in history.turns if since <= t.seq < needed]
        prior = previous.text if previous else None
        if hook is not None:
            return await hook(prior, trimmed)
        assert cfg.summarize_with is not None
        return await self._call_feature(
            cfg.summarize_with,
            summary_prompt(prior, trimmed, cfg.summary_tokens),
            cfg.summary_tokens,
        )

    async def record(
        self,
        cfg: ConversationConfig,
        conversation_id: str,
        new: Sequence[Mapping[str, str]],
        answer: str,
    ) -> None:
        """Append the new turn(s) and the model's answer, refreshing the TTL."""
        turns = [{"role": m["role"], "content": m["content"]} for m in new if m["role"] != "system"]
        turns.append({"role": "assistant", "content": answer})
        await self.store.append(conversation_id, turns, max_turns=cfg.max_turns, ttl_s=cfg.ttl)


def _covers(turns: list[Turn], start: int) -> int:
    """The ``seq`` the summary must reach: every turn before the window ``turns[start:]``."""
    if start < len(turns):
        return turns[start].seq
    return turns[-1].seq + 1 if turns else 0


def summary_prompt(previous: str | None, turns: Sequence[Turn], max_tokens: int) -> str:
    """The request a ``summarize_with`` feature gets."""
    lines = [
        f"Summarise this conversation in at most {max_tokens} tokens. Keep facts, names,"
        " numbers, decisions and open questions; write it for the assistant that continues it."
    ]
    if previous:
        lines += ["", "Summary so far:", previous]
    lines += ["", "Conversation:"]
    lines += [f"{t.role}: {t.content}" for t in turns]
    return "\n".join(lines)


async def call_for_summary(
    call: Callable[..., Awaitable[object]], feature: str, prompt: str, max_tokens: int
) -> str | None:
    """Run a summarising feature through the engine; None when it could not answer."""
    try:
        result = await call(
            [{"role": "user", "content": prompt}],
            feature=feature,
            max_tokens=max_tokens,
            degrade=False,
        )
    except CallError:
        return None
    text = getattr(result, "text", None)
    return text if isinstance(text, str) and text else None

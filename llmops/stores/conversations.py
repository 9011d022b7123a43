"""Conversation history: the turns of each conversation, kept for a feature with ``conversation:``.

One small interface, :class:`ConversationStore`, with an in-process default
(:class:`MemoryConversationStore`) and a shared one for several instances
(:class:`~llmops.stores.conversations_redis.RedisConversationStore`). Every store keeps the most
recent ``max_turns`` turns of a conversation for ``ttl_s`` after its last append, numbers turns
from the start of the conversation (so a summary can say which turns it covers), and keeps at
most one summary of the turns that no longer fit.

Library use, the same on every backend::

    store = MemoryConversationStore()
    await store.append("c1", [{"role": "user", "content": "hi"}], max_turns=50, ttl_s=3600)
    await store.last("c1", 10)           # the 10 most recent turns
    await store.window("c1", 3000)       # the most recent turns within 3000 tokens
    await store.delete("c1")

Token counts are :func:`llmops.core.textprofile.content_tokens` (the toolkit's one estimate, images counted).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from llmops.core.textprofile import content_tokens
from llmops.errors import InputError

__all__ = [
    "ConversationStore",
    "History",
    "MemoryConversationStore",
    "Summary",
    "Turn",
    "check_conversation_id",
    "fit_to_budget",
]

_ID = re.compile(r"^[^\s{}]{1,200}$")


@dataclass(frozen=True, slots=True)
class Turn:
    """One message of a conversation; ``seq`` counts turns from the conversation's start."""

    role: str
    #: text, or content parts (text and images)
    content: Any
    seq: int = 0

    @property
    def tokens(self) -> int:
        return content_tokens(self.content)

    def message(self) -> dict[str, Any]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class Summary:
    """A summary of every turn before ``covers`` (a turn ``seq``)."""

    text: str
    covers: int


@dataclass(frozen=True, slots=True)
class History:
    """What a store holds for one conversation: its kept turns (oldest first) and summary."""

    turns: list[Turn] = field(default_factory=list)
    summary: Summary | None = None


def check_conversation_id(conversation_id: str) -> str:
    """``conversation_id`` if usable as a key (1-200 characters, no spaces or braces)."""
    if not isinstance(conversation_id, str) or not _ID.match(conversation_id):
        raise InputError(
            f"conversation_id: got {conversation_id!r}, expected 1-200 characters"
            " without spaces or braces"
        )
    return conversation_id


def fit_to_budget(turns: Sequence[Turn], token_budget: int) -> int:
    """Index of the first turn kept when the most recent ``turns`` must fit ``token_budget``.

    Trims from the oldest end; a window never starts with an assistant turn (its question was
    trimmed). Returns ``len(turns)`` when not even the newest turn fits.
    """
    used = 0
    start = len(turns)
    for i in range(len(turns) - 1, -1, -1):
        used += turns[i].tokens
        if used > token_budget:
            break
        start = i
    while start < len(turns) and turns[start].role == "assistant":
        start += 1
    return start


class ConversationStore(Protocol):
    """Where conversation turns live. Implementations: memory (default) and Redis (shared)."""

    async def append(
        self,
        conversation_id: str,
        turns: Sequence[Mapping[str, str]],
        *,
        max_turns: int,
        ttl_s: float,
    ) -> None:
        """Add ``turns`` at the end, keep the newest ``max_turns``, refresh the TTL."""
        ...

    async def history(self, conversation_id: str) -> History:
        """Every kept turn, oldest first, and the summary (empty when unknown or expired)."""
        ...

    async def set_summary(self, conversation_id: str, summary: Summary, *, ttl_s: float) -> None:
        """Keep ``summary`` with the conversation (replacing an older one)."""
        ...

    async def delete(self, conversation_id: str) -> None:
        """Forget the conversation."""
        ...

    async def last(self, conversation_id: str, n: int) -> list[Turn]:
        """The ``n`` most recent turns, oldest first."""
        ...

    async def window(self, conversation_id: str, token_budget: int) -> list[Turn]:
        """The most recent turns that fit ``token_budget`` tokens, oldest first."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class _Views:
    """``last`` and ``window``, the same on every backend (built on ``history``)."""

    async def history(self, conversation_id: str) -> History:
        raise NotImplementedError

    async def last(self, conversation_id: str, n: int) -> list[Turn]:
        """The ``n`` most recent turns, oldest first."""
        turns = (await self.history(conversation_id)).turns
        return turns[max(0, len(turns) - n) :] if n > 0 else []

    async def window(self, conversation_id: str, token_budget: int) -> list[Turn]:
        """The most recent turns that fit ``token_budget`` tokens, oldest first."""
        turns = (await self.history(conversation_id)).turns
        return turns[fit_to_budget(turns, token_budget) :]


@dataclass(slots=True)
class _Conversation:
    turns: list[Turn]
    count: int
    expires_at: float
    summary: Summary | None = None


class MemoryConversationStore(_Views):
    """Conversations in this process: the embedded default (one instance only).

    ``now`` is the time source for TTLs (the engine passes its clock's).
    """

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._data: dict[str, _Conversation] = {}

    def _get(self, conversation_id: str) -> _Conversation | None:
        conv = self._data.get(check_conversation_id(conversation_id))
        if conv is not None and conv.expires_at <= self._now():
            del self._data[conversation_id]
            return None
        return conv

    async def append(
        self,
        conversation_id: str,
        turns: Sequence[Mapping[str, str]],
        *,
        max_turns: int,
        ttl_s: float,
    ) -> None:
        """Add ``turns`` at the end, keep the newest ``max_turns``, refresh the TTL."""
        conv = self._get(conversation_id)
        if conv is None:
            conv = self._data[conversation_id] = _Conversation([], 0, 0.0)
        for t in turns:
            conv.turns.append(Turn(t["role"], t["content"], conv.count))
            conv.count += 1
        del conv.turns[: max(0, len(conv.turns) - max_turns)]
        conv.expires_at = self._now() + ttl_s

    async def history(self, conversation_id: str) -> History:
        """Every kept turn, oldest first, and the summary (empty when unknown or expired)."""
        conv = self._get(conversation_id)
        return History(list(conv.turns), conv.summary) if conv else History()

    async def set_summary(self, conversation_id: str, summary: Summary, *, ttl_s: float) -> None:
        """Keep ``summary`` with the conversation (replacing an older one)."""
        conv = self._get(conversation_id)
        if conv is not None:
            conv.summary = summary
            conv.expires_at = self._now() + ttl_s

    async def delete(self, conversation_id: str) -> None:
        """Forget the conversation."""
        self._data.pop(check_conversation_id(conversation_id), None)

    async def aclose(self) -> None:
        """Nothing to release."""

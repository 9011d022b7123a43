"""The conversation store contract, the same on memory and on the real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from llmops.errors import InputError
from llmops.stores.conversations import (
    ConversationStore,
    MemoryConversationStore,
    Summary,
    Turn,
    fit_to_budget,
)
from tests.queue.helpers import redis_prefix

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # redis.asyncio runs on asyncio only


class FakeTime:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def prefix(backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    if backend == "memory":
        yield ""
        return
    url = request.getfixturevalue("redis_url")
    with redis_prefix(url) as p:
        yield p


@pytest.fixture
async def store(
    backend: str, prefix: str, fake_time: FakeTime, request: pytest.FixtureRequest
) -> AsyncIterator[ConversationStore]:
    if backend == "memory":
        yield MemoryConversationStore(fake_time)
        return
    from llmops.stores.conversations_redis import RedisConversationStore

    s = RedisConversationStore.from_url(request.getfixturevalue("redis_url"), key_prefix=prefix)
    yield s
    await s.aclose()


def msg(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


async def test_appended_turns_come_back_in_order_numbered_from_the_start(
    store: ConversationStore,
) -> None:
    await store.append("c1", [msg("user", "hi"), msg("assistant", "hello")], max_turns=50, ttl_s=60)
    await store.append("c1", [msg("user", "again")], max_turns=50, ttl_s=60)
    turns = (await store.history("c1")).turns
    assert [(t.role, t.content, t.seq) for t in turns] == [
        ("user", "hi", 0),
        ("assistant", "hello", 1),
        ("user", "again", 2),
    ]
    assert [t.content for t in await store.last("c1", 2)] == ["hello", "again"]


async def test_content_parts_come_back_as_parts(store: ConversationStore) -> None:
    # a turn with an image is kept as its parts on every store, never flattened to text
    parts = [
        {"type": "text", "text": "what is in this picture?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
    ]
    await store.append("c1", [msg("user", parts)], max_turns=50, ttl_s=60)  # type: ignore[arg-type]
    turns = (await store.history("c1")).turns
    assert [(t.role, t.content) for t in turns] == [("user", parts)]


async def test_max_turns_keeps_the_newest_and_the_numbering(store: ConversationStore) -> None:
    for i in range(7):
        await store.append("c1", [msg("user", f"u{i}")], max_turns=3, ttl_s=60)
    turns = (await store.history("c1")).turns
    assert [(t.content, t.seq) for t in turns] == [("u4", 4), ("u5", 5), ("u6", 6)]


async def test_window_keeps_the_most_recent_turns_within_the_token_budget(
    store: ConversationStore,
) -> None:
    words = ["a" * 40, "b" * 40, "c" * 40, "d" * 40]  # 10 tokens each (characters / 4)
    turns = [msg("user" if i % 2 == 0 else "assistant", w) for i, w in enumerate(words)]
    await store.append("c1", turns, max_turns=50, ttl_s=60)
    window = await store.window("c1", 25)
    assert [t.content for t in window] == [words[2], words[3]]  # trimmed from the oldest end
    assert [t.content for t in await store.window("c1", 100)] == words


async def test_delete_forgets_and_other_conversations_stay(store: ConversationStore) -> None:
    await store.append("c1", [msg("user", "one")], max_turns=5, ttl_s=60)
    await store.append("c2", [msg("user", "two")], max_turns=5, ttl_s=60)
    await store.delete("c1")
    assert (await store.history("c1")).turns == []
    assert [t.content for t in (await store.history("c2")).turns] == ["two"]


async def test_a_summary_is_kept_with_the_conversation(store: ConversationStore) -> None:
    await store.append("c1", [msg("user", "one")], max_turns=5, ttl_s=60)
    await store.set_summary("c1", Summary("earlier: one", 1), ttl_s=60)
    assert (await store.history("c1")).summary == Summary("earlier: one", 1)


async def test_a_bad_conversation_id_is_a_clear_error(store: ConversationStore) -> None:
    with pytest.raises(InputError, match="conversation_id"):
        await store.append("has space", [msg("user", "x")], max_turns=5, ttl_s=60)
    with pytest.raises(InputError, match="conversation_id"):
        await store.history("{tag}")


async def test_memory_conversations_expire_after_the_ttl(fake_time: FakeTime) -> None:
    store = MemoryConversationStore(fake_time)
    await store.append("c1", [msg("user", "one")], max_turns=5, ttl_s=60)
    fake_time.t += 59
    await store.append("c1", [msg("user", "two")], max_turns=5, ttl_s=60)  # refreshes the TTL
    fake_time.t += 59
    assert len((await store.history("c1")).turns) == 2
    fake_time.t += 2
    assert (await store.history("c1")).turns == []


async def test_redis_keys_carry_the_ttl_refreshed_on_append(redis_url: str) -> None:
    import redis.asyncio

    from llmops.stores.conversations_redis import RedisConversationStore

    with redis_prefix(redis_url) as prefix:
        client = redis.asyncio.Redis.from_url(redis_url)
        store = RedisConversationStore(client, key_prefix=prefix)
        await store.append("c1", [msg("user", "one")], max_turns=5, ttl_s=30)
        await store.append("c1", [msg("user", "two")], max_turns=5, ttl_s=3600)
        keys = [k async for k in client.scan_iter(match=f"{prefix}:*")]
        ttls = [await client.pttl(k) for k in keys]
        await client.aclose()
    assert len(keys) == 2 and all(30_000 < t <= 3_600_000 for t in ttls)


def test_fit_to_budget_never_starts_with_an_assistant_turn() -> None:
    turns = [Turn("user", "x" * 400, 0), Turn("assistant", "y" * 4, 1), Turn("user", "z" * 4, 2)]
    assert fit_to_budget(turns, 5) == 2  # the answer whose question was trimmed goes too
    assert fit_to_budget(turns, 0) == 3

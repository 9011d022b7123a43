"""The event-stream parser holds at most one bounded event: a line or an event that never ends
is refused at its size (what a hostile upstream sending bytes fast would otherwise fill memory
with until the deadline), and an open line arriving in small pieces still parses."""

from __future__ import annotations

import pytest

from llmops.providers.sse import SSEParser, SSETooLarge

LIMIT = 64 * 1024


def test_a_line_that_never_ends_is_refused_at_the_bound() -> None:
    parser = SSEParser(max_event_bytes=LIMIT)
    parser.feed(b"data: ")
    with pytest.raises(SSETooLarge, match="line grew past"):
        for _ in range(LIMIT // 1024 + 2):
            parser.feed(b"x" * 1024)


def test_an_event_that_never_ends_is_refused_at_the_bound() -> None:
    parser = SSEParser(max_event_bytes=LIMIT)
    with pytest.raises(SSETooLarge, match="event grew past"):
        for _ in range(LIMIT // 1024 + 2):
            parser.feed(b"data: " + b"y" * 1024 + b"\n")  # data lines, never a blank line


def test_a_long_line_in_small_pieces_parses_whole() -> None:
    parser = SSEParser(max_event_bytes=LIMIT)
    events = parser.feed(b"data: ")
    for _ in range(10):
        events += parser.feed(b"z" * 1000)
    events += parser.feed(b"\n\ndata: [DONE]\n")
    events += parser.close()
    assert [e.data for e in events] == ["z" * 10_000, "[DONE]"]


def test_events_under_the_bound_are_untouched_after_a_large_one() -> None:
    parser = SSEParser(max_event_bytes=LIMIT)
    big = b"data: " + b"a" * (LIMIT - 100) + b"\n\n"
    events = parser.feed(big) + parser.feed(b"data: b\n\n")
    assert [len(e.data) for e in events] == [LIMIT - 100, 1]

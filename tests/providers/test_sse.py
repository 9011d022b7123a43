from __future__ import annotations

from llmops.providers.sse import SSEEvent, SSEParser


def feed_all(*chunks: bytes) -> list[SSEEvent]:
    parser = SSEParser()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    return events


def test_single_event() -> None:
    assert feed_all(b"data: hello\n\n") == [SSEEvent(data="hello")]


def test_event_split_across_chunks_at_every_byte() -> None:
    raw = b'event: delta\ndata: {"a": 1}\n\n'
    assert feed_all(*(raw[i : i + 1] for i in range(len(raw)))) == [
        SSEEvent(data='{"a": 1}', event="delta")
    ]


def test_crlf_line_endings() -> None:
    assert feed_all(b"data: a\r\n\r\ndata: b\r\n\r\n") == [SSEEvent("a"), SSEEvent("b")]


def test_crlf_split_between_chunks_is_one_line_ending() -> None:
    assert feed_all(b"data: a\r", b"\ndata: b\r", b"\n\r\n") == [SSEEvent("a\nb")]


def test_lone_cr_line_endings() -> None:
    assert feed_all(b"data: a\r\rdata: b\r\r") == [SSEEvent("a"), SSEEvent("b")]


def test_comments_are_ignored() -> None:
    assert feed_all(b": keep-alive\n\n: ping\ndata: x\n\n") == [SSEEvent("x")]


def test_multi_line_data_joined_with_newline() -> None:
    assert feed_all(b"data: one\ndata: two\ndata:three\n\n") == [SSEEvent("one\ntwo\nthree")]


def test_only_one_leading_space_is_stripped() -> None:
    assert feed_all(b"data:  two spaces\n\n") == [SSEEvent(" two spaces")]


def test_event_without_data_is_not_dispatched() -> None:
    assert feed_all(b"event: ping\n\ndata: x\n\n") == [SSEEvent("x")]


def test_empty_data_field_dispatches_empty_string() -> None:
    assert feed_all(b"data\n\n") == [SSEEvent("")]


def test_id_and_retry_fields() -> None:
    assert feed_all(b"id: 7\nretry: 1500\ndata: x\n\n") == [SSEEvent("x", id="7", retry=1500)]


def test_non_numeric_retry_is_ignored() -> None:
    assert feed_all(b"retry: soon\ndata: x\n\n") == [SSEEvent("x")]


def test_leading_bom_is_skipped_even_when_split() -> None:
    assert feed_all(b"\xef\xbb", b"\xbfdata: x\n\n") == [SSEEvent("x")]


def test_multibyte_utf8_split_across_chunks() -> None:
    raw = "data: héllo ✓\n\n".encode()
    assert feed_all(raw[:8], raw[8:14], raw[14:]) == [SSEEvent("héllo ✓")]


def test_incomplete_event_is_held_until_blank_line() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: partial\n") == []
    assert parser.feed(b"\n") == [SSEEvent("partial")]


def test_close_dispatches_event_missing_its_blank_line() -> None:
    parser = SSEParser()
    parser.feed(b"data: [DONE]")
    assert parser.close() == [SSEEvent("[DONE]")]


def test_close_with_nothing_pending_returns_nothing() -> None:
    parser = SSEParser()
    parser.feed(b"data: x\n\n")
    assert parser.close() == []


def test_event_type_resets_after_dispatch() -> None:
    assert feed_all(b"event: a\ndata: 1\n\ndata: 2\n\n") == [
        SSEEvent("1", event="a"),
        SSEEvent("2"),
    ]

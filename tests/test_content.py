"""The one content-to-text reader: strings, parts of every API's shape, the last user message."""

from __future__ import annotations

from typing import Any

import pytest

from llmops.content import content_text, last_user_text, messages_text

PARTS: list[Any] = [
    {"type": "text", "text": "sec"},
    {"type": "image_url", "image_url": {"url": "data:,"}},
    {"type": "text", "text": "ond"},
]


def test_a_string_is_its_own_text() -> None:
    assert content_text("hello") == "hello"


def test_text_parts_are_joined_and_parts_without_text_add_nothing() -> None:
    assert content_text(PARTS) == "sec\nond"
    assert content_text(PARTS, sep="") == "second"


def test_nested_and_untyped_parts() -> None:
    content = [
        {"type": "tool_result", "content": [{"type": "text", "text": "42"}]},
        "raw",
        {"text": "t"},
    ]
    assert content_text(content) == "42\nraw\nt"
    assert content_text({"content": "inner"}) == "inner"


@pytest.mark.parametrize("content", [None, 5, [None, 3, {"type": "image"}]])
def test_no_text(content: Any) -> None:
    assert content_text(content) == ""


def test_messages_text_is_the_last_user_message_and_the_turns() -> None:
    messages = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "parts": [{"text": "second"}]},
    ]
    assert messages_text(messages) == ("second", 2)
    assert messages_text("plain") == ("plain", 1)
    assert messages_text(None) == (None, None)


def test_last_user_text() -> None:
    messages = [{"role": "user", "content": "a"}, {"role": "user", "content": PARTS}]
    assert last_user_text(messages, sep="") == "second"
    assert last_user_text([{"role": "system", "content": "s"}]) == ""

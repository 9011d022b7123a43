"""The one way to read the text of chat message content, whichever API shaped it.

Content is a string, or a list of parts (strings, or dicts that keep their text under ``text``
or ``content``, as OpenAI's ``{"type": "text", "text": ...}`` parts, Anthropic's text blocks and
``tool_result`` blocks, Gemini's ``parts`` do), or one such dict. Parts with no text (images,
tool calls, thinking blocks) add nothing. Used by the log reader of ``llmops profile``, the mock
server, the providers and the eval judge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["content_text", "image_count", "last_user_text", "messages_text"]

#: content part types that carry an image: OpenAI's ``image_url``, Anthropic's ``image``
IMAGE_PARTS = frozenset({"image_url", "image", "input_image"})


def content_text(content: Any, *, sep: str = "\n") -> str:
    """Text of a message ``content``, its parts joined with ``sep`` ('' for none)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces: list[str] = []
        for part in content:
            if isinstance(part, str):
                pieces.append(part)
            elif isinstance(part, dict):
                inner = part.get("text", part.get("content"))
                if inner is not None:
                    pieces.append(content_text(inner, sep=sep))
        return sep.join(pieces)
    if isinstance(content, dict):
        return content_text(content.get("text", content.get("content")), sep=sep)
    return ""


def image_count(content: Any) -> int:
    """How many images a message ``content`` carries (0 for text)."""
    if not isinstance(content, list):
        return 0
    return sum(1 for part in content if isinstance(part, dict) and part.get("type") in IMAGE_PARTS)


def messages_text(messages: Any, *, sep: str = "\n") -> tuple[str | None, int | None]:
    """The user's input in a chat message list: the last user message, and the turn count.

    A plain string is taken as the input itself (one turn). Returns ``(None, None)`` when
    ``messages`` is neither. A message's text is under ``content`` (or Gemini's ``parts``).
    """
    if isinstance(messages, str):
        return messages, 1
    if not isinstance(messages, list):
        return None, None
    last: str | None = None
    turns = 0
    for message in messages:
        if isinstance(message, dict) and message.get("role") == "user":
            turns += 1
            last = content_text(message.get("content", message.get("parts")), sep=sep)
    return last, turns


def last_user_text(messages: Sequence[Mapping[str, Any]], *, sep: str = "\n") -> str:
    """The last user message's text ('' when there is none)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return content_text(message.get("content", message.get("parts")), sep=sep)
    return ""

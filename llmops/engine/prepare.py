"""A call's messages made ready to send: the feature's system prompt, user input normalised
(whitespace, length cap), and the profile of that input (the ``input_profile`` event).

A message's content is text or a list of content parts (text and images, in the OpenAI or the
Anthropic form): the text parts of user input are normalised, the other parts kept as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llmops.config import FeatureConfig
from llmops.content import content_text
from llmops.core.textprofile import content_tokens, normalize_input, profile_text
from llmops.engine.events import InputProfile
from llmops.errors import InputError

__all__ = ["Prepared", "input_profile", "message_tokens", "prepare_messages"]

#: the messages to send, whether normalising changed any input, whether any was truncated
Prepared = tuple[list[dict[str, Any]], bool, bool]


def message_tokens(message: Mapping[str, Any]) -> int:
    """The estimated input tokens of one message: its text, and each image it carries."""
    return content_tokens(message.get("content"))


def prepare_messages(
    messages: Sequence[Mapping[str, Any]], cfg: FeatureConfig, max_chars: int | None
) -> Prepared:
    """The messages to send for ``cfg``; raises ``InputError`` for a message without role or
    content."""
    out: list[dict[str, Any]] = []
    if cfg.system_prompt and not (messages and messages[0].get("role") == "system"):
        out.append({"role": "system", "content": cfg.system_prompt})
    changed = truncated = False
    for m in messages:
        if "content" not in m or "role" not in m:
            raise InputError("each message needs 'role' and 'content'")
        content = m["content"]
        if m["role"] == "user":
            content, ch, tr = _normalized(content, max_chars)
            changed, truncated = changed or ch, truncated or tr
        out.append({"role": m["role"], "content": content})
    return out, changed, truncated


def _normalized(content: Any, max_chars: int | None) -> tuple[Any, bool, bool]:
    """User content normalised: the text, or each text part (other parts kept as they are)."""
    if isinstance(content, str):
        return normalize_input(content, max_chars)
    if not isinstance(content, list):
        raise InputError("a message's 'content' is text or a list of content parts")
    parts: list[Any] = []
    changed = truncated = False
    for part in content:
        if isinstance(part, Mapping) and part.get("type") == "text":
            text, ch, tr = normalize_input(str(part.get("text") or ""), max_chars)
            changed, truncated = changed or ch, truncated or tr
            part = {**part, "text": text}
        elif not isinstance(part, Mapping):
            raise InputError("a content part is an object with a 'type'")
        parts.append(part)
    return parts, changed, truncated


def input_profile(
    prepared: Prepared, request_id: str, feature: str, *, detect_language: bool
) -> InputProfile:
    """The ``input_profile`` event of a call's user input."""
    out, changed, truncated = prepared
    user_text = "\n".join(content_text(m["content"]) for m in out if m["role"] == "user")
    p = profile_text(user_text, detect_language=detect_language)
    return InputProfile(
        request_id=request_id,
        feature=feature,
        chars=p.chars,
        words=p.words,
        lines=p.lines,
        has_code=p.has_code,
        language=p.language,
        normalized_changed=changed,
        truncated=truncated,
    )

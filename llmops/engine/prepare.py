"""A call's messages made ready to send: the feature's system prompt, user input normalised
(whitespace, length cap), and the profile of that input (the ``input_profile`` event)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from llmops.config import FeatureConfig
from llmops.core.textprofile import normalize_input, profile_text
from llmops.engine.events import InputProfile
from llmops.errors import InputError

__all__ = ["Prepared", "input_profile", "prepare_messages"]

#: the messages to send, whether normalising changed any input, whether any was truncated
Prepared = tuple[list[dict[str, str]], bool, bool]


def prepare_messages(
    messages: Sequence[Mapping[str, str]], cfg: FeatureConfig, max_chars: int | None
) -> Prepared:
    """The messages to send for ``cfg``; raises ``InputError`` for a message without role or
    content."""
    out: list[dict[str, str]] = []
    if cfg.system_prompt and not (messages and messages[0].get("role") == "system"):
        out.append({"role": "system", "content": cfg.system_prompt})
    changed = truncated = False
    for m in messages:
        if "content" not in m or "role" not in m:
            raise InputError("each message needs 'role' and 'content'")
        content = m["content"]
        if m["role"] == "user":
            content, ch, tr = normalize_input(content, max_chars)
            changed, truncated = changed or ch, truncated or tr
        out.append({"role": m["role"], "content": content})
    return out, changed, truncated


def input_profile(
    prepared: Prepared, request_id: str, feature: str, *, detect_language: bool
) -> InputProfile:
    """The ``input_profile`` event of a call's user input."""
    out, changed, truncated = prepared
    user_text = "\n".join(m["content"] for m in out if m["role"] == "user")
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

"""Content parts in each wire format: a message given with OpenAI-style image parts goes to an
Anthropic provider as Anthropic image blocks, and the other way round.

Both formats share ``{"type": "text", "text": ...}``. An image is OpenAI's
``{"type": "image_url", "image_url": {"url": ...}}`` (a ``data:`` URL or a web URL) or
Anthropic's ``{"type": "image", "source": {"type": "base64", "media_type": ..., "data": ...}}``
(or ``"source": {"type": "url", "url": ...}``). Other parts (tool calls and results, audio) pass
as they are. Pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["for_anthropic", "for_openai", "messages_for"]


def for_openai(content: Any) -> Any:
    """``content`` with its image parts in the OpenAI chat-completions form."""
    if not isinstance(content, list):
        return content
    return [_openai_part(p) if isinstance(p, Mapping) else p for p in content]


def for_anthropic(content: Any) -> Any:
    """``content`` with its image parts in the Anthropic Messages form."""
    if not isinstance(content, list):
        return content
    return [_anthropic_part(p) if isinstance(p, Mapping) else p for p in content]


def messages_for(wire: str, messages: Any) -> list[dict[str, Any]]:
    """Copies of ``messages`` whose content is in ``wire``'s form (``openai`` or ``anthropic``)."""
    convert = for_openai if wire == "openai" else for_anthropic
    return [{**m, "content": convert(m.get("content"))} for m in messages]


def _openai_part(part: Mapping[str, Any]) -> Any:
    if part.get("type") != "image":
        return part
    source = part.get("source") or {}
    if source.get("type") == "base64":
        url = f"data:{source.get('media_type', 'image/png')};base64,{source.get('data', '')}"
    else:
        url = str(source.get("url") or "")
    return {"type": "image_url", "image_url": {"url": url}}


def _anthropic_part(part: Mapping[str, Any]) -> Any:
    if part.get("type") != "image_url":
        return part
    image = part.get("image_url")
    url = str(image.get("url") or "") if isinstance(image, Mapping) else str(image or "")
    if url.startswith("data:") and ";base64," in url:
        media, _, data = url[5:].partition(";base64,")
        return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": url}}

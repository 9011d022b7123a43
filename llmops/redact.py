"""Secrets never reach a log, a report, a history or an error message.

:func:`redact_urls` masks credentials inside URLs; :func:`redact_text` masks them in free text
(an input quoted in a report or an exported eval case): URL credentials, API keys of the common
providers' shapes, ``Bearer`` tokens, ``Authorization:`` / ``api_key=``-style assignments, and
e-mail addresses.
"""

from __future__ import annotations

import re

__all__ = ["redact_text", "redact_urls"]

_USERINFO = re.compile(r"(://[^/\s:@]*):[^/\s@]*@")
_SECRET_PARAM = re.compile(
    r"([?&;][^=&\s]*(?:key|token|secret|passw|pwd|sig|auth|credential)[^=&\s]*=)[^&#\s]*", re.I
)
#: API keys by their published prefixes: OpenAI/Anthropic ``sk-``, AWS access key ids, GitHub,
#: Slack, Google, Hugging Face, Stripe-like ``pk_``/``rk_``/``sk_``; and JSON Web Tokens
_API_KEY = re.compile(
    r"\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,}"
    r"|(?:AKIA|ASIA)[A-Z0-9]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}"
    r"|github_pat_[A-Za-z0-9_]{20,}"
    r"|xox[abprs]-[A-Za-z0-9\-]{10,}"
    r"|AIza[A-Za-z0-9_\-]{30,}"
    r"|hf_[A-Za-z0-9]{20,}"
    r"|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"
    r"|eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})"
)
_BEARER = re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=\-]{8,}", re.I)
_ASSIGNED = re.compile(
    r"\b((?:api[_-]?key|x-api-key|authorization|access[_-]?token|secret|password|passwd)"
    r"[\"']?\s*[:=]\s*[\"']?)(?!Bearer\b|Basic\b|\*\*\*)[^\s\"',;]{6,}",
    re.I,
)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b")


def redact_urls(text: str) -> str:
    """``text`` with the password of any ``scheme://user:password@`` and the values of
    secret-looking query parameters (``api-key=``, ``token=``, ``password=``...) masked."""
    return _SECRET_PARAM.sub(r"\1***", _USERINFO.sub(r"\1:***@", text))


def redact_text(text: str) -> str:
    """``text`` with URL credentials, API keys, bearer tokens, ``api_key: …``-style values and
    e-mail addresses masked (keys and tokens as ``***``, addresses as ``<email>``)."""
    text = redact_urls(text)
    text = _BEARER.sub(r"\1 ***", text)
    text = _API_KEY.sub("***", text)
    text = _ASSIGNED.sub(r"\1***", text)
    return _EMAIL.sub("<email>", text)

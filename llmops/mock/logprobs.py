"""Token log probabilities the mock returns when an OpenAI request asks (``logprobs: true``,
``top_logprobs: n``), in OpenAI's wire format.

Deterministic: the answer is cut into tokens (a word with the space before it, or a run of
punctuation) and each token's log probability comes from a hash of its text, in [-2.0, -0.05];
the ``top_logprobs`` alternatives are the token itself and lower-ranked variants.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

__all__ = ["logprobs_content", "token_logprob", "tokens_of"]

_TOKEN = re.compile(r"\s*\w+|\s*[^\w\s]+|\s+")


def tokens_of(text: str) -> list[str]:
    """``text`` cut into the mock's tokens (they join back into ``text``)."""
    return _TOKEN.findall(text)


def token_logprob(token: str) -> float:
    """The log probability the mock gives ``token``: from -2.0 to -0.05, by its hash."""
    return -0.05 - (zlib.crc32(token.encode()) % 196) / 100


def _entry(token: str, logprob: float) -> dict[str, Any]:
    return {"token": token, "logprob": round(logprob, 6), "bytes": list(token.encode())}


def logprobs_content(text: str, top: int = 0) -> dict[str, Any]:
    """The ``choices[0].logprobs`` object of a response whose answer is ``text``."""
    content = []
    for token in tokens_of(text):
        lp = token_logprob(token)
        entry = _entry(token, lp)
        alternatives = [_entry(token, lp)] + [
            _entry(f"{token}{'_' * i}", lp - i) for i in range(1, max(0, top))
        ]
        entry["top_logprobs"] = alternatives[:top]
        content.append(entry)
    return {"content": content, "refusal": None}

"""The mock's ``POST /v1/embeddings``: a deterministic hashed bag of words, so similar texts
score high (promptfoo's ``similar`` assertion is tested against it)."""

from __future__ import annotations

import hashlib
import math
import re

import orjson

from llmops.core.textprofile import estimate_tokens

#: dimensions of the mock's embeddings
EMBEDDING_DIMS = 256
_WORD = re.compile(r"\w+")


def embed_text(text: str) -> list[float]:
    """A deterministic embedding: a hashed bag of lower-cased words, L2-normalised, so texts
    sharing words score a high cosine similarity (and the same text scores 1)."""
    vector = [0.0] * EMBEDDING_DIMS
    for word in _WORD.findall(text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
        slot = int.from_bytes(digest[:3], "big") % EMBEDDING_DIMS
        vector[slot] += 1.0 if digest[3] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector] if norm else vector


def embeddings_response(body: bytes) -> tuple[int, bytes]:
    """``POST /v1/embeddings`` in the OpenAI format: ``input`` a string or a list of strings."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    texts = data.get("input") if isinstance(data, dict) else None
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        error = {
            "message": "'input' must be a string or a list of strings",
            "type": "invalid_request_error",
        }
        return 400, orjson.dumps({"error": error})
    assert isinstance(data, dict)
    tokens = sum(max(1, estimate_tokens(t)) for t in texts)
    payload = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": embed_text(t)}
            for i, t in enumerate(texts)
        ],
        "model": str(data.get("model") or "mock-embedding"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return 200, orjson.dumps(payload)

"""What the mock answers: canned answers by rule, else text deterministic for (prompt, seed).

A reply is split into token-sized pieces (one word each, with its leading space), which is the
unit of streaming and of the output-token count.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from llmops.mock.profile import Answer, MockProfile

_VOCABULARY = (
    "the request was handled and the answer is ready for review by the team with a short "
    "summary of each step taken so far including checks on data quality latency cost and "
    "errors seen during the last run while the service stayed within its budget and limits "
    "so the next release can go ahead as planned after one more test of the fallback path"
)
_WORDS = tuple(_VOCABULARY.split())


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer split into streaming pieces; ``finish`` is ``stop`` or ``length``."""

    text: str
    pieces: tuple[str, ...]
    finish: str

    @property
    def output_tokens(self) -> int:
        return len(self.pieces)


def split_pieces(text: str) -> tuple[str, ...]:
    """Split into token pieces: each word with the whitespace before it."""
    return tuple(re.findall(r"\s*\S+", text)) or (text,)


def malformed(text: str) -> str:
    """JSON that does not parse: a JSON answer cut in half, or an unterminated object."""
    if text.lstrip().startswith(("{", "[")):
        return text[: max(1, len(text) // 2)]
    return '{"answer": "' + text.replace('"', "'")


def _canned(answers: Sequence[Answer], prompt: str) -> str | None:
    for answer in answers:
        m = answer.match
        if (
            (m.exact is not None and prompt.strip() == m.exact)
            or (m.regex is not None and re.search(m.regex, prompt))
            or (m.contains is not None and m.contains in prompt)
        ):
            return answer.text
    return None


class Composer:
    """Builds replies for one profile and seed; caches them, since prompts repeat under load."""

    def __init__(self, profile: MockProfile, seed: int) -> None:
        self.profile = profile
        self.seed = seed
        self._cache: dict[tuple[str, bool, int], Reply] = {}

    def reply(self, prompt: str, switched: bool, max_tokens: int) -> Reply:
        """The reply to ``prompt`` (after the model switch if ``switched``), at most
        ``max_tokens`` pieces long."""
        key = (prompt, switched, max_tokens)
        cached = self._cache.get(key)
        if cached is None:
            if len(self._cache) >= 4096:
                self._cache.clear()
            cached = self._cache[key] = self._compose(prompt, switched, max_tokens)
        return cached

    def _compose(self, prompt: str, switched: bool, max_tokens: int) -> Reply:
        version = self.profile.model_version
        text = _canned(version.answers_after, prompt) if switched else None
        if text is None:
            text = _canned(self.profile.answers, prompt)
        if text is None:
            text = self._generate(prompt, switched)
        pieces = split_pieces(text)
        if len(pieces) > max_tokens:
            pieces = pieces[:max_tokens]
            return Reply("".join(pieces), pieces, "length")
        return Reply(text, pieces, "stop")

    def _generate(self, prompt: str, switched: bool) -> str:
        digest = hashlib.blake2b(f"{self.seed}\0{int(switched)}\0{prompt}".encode(), digest_size=8)
        rng = random.Random(int.from_bytes(digest.digest(), "big"))
        spec = self.profile.output_tokens
        n = rng.lognormvariate(math.log(spec.mean), spec.sigma) if spec.sigma else spec.mean
        if switched:
            n *= self.profile.model_version.length_factor_after
        count = min(spec.max, max(spec.min, round(n)))
        words = [rng.choice(_WORDS) for _ in range(count)]
        words[0] = words[0].capitalize()
        return " ".join(words) + "."

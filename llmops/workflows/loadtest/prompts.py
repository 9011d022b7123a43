"""Where a load test's prompts come from: a file (JSONL or text), or synthetic ones.

Prompts are read (or made) once, before the ladder starts, into ready-made message lists, so
the hot path only indexes a list.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

import orjson

from llmops.core.textprofile import estimate_tokens
from llmops.errors import InputError
from llmops.scenarios import shipped_file

__all__ = ["PromptSet", "load_prompts", "synthetic_prompts"]

Messages = list[dict[str, str]]

# neutral words: no keyword that a canned answer (of the mock, say) would match
_WORDS = str.split(
    "the quarterly meeting notes describe several options for the new garden layout with "
    "trees benches paths lamps and a small pond near the old library building while the "
    "committee prefers stone over gravel because it lasts longer and needs less care during "
    "winter months when volunteers are scarce and budgets remain tight across the district"
)


@dataclass(frozen=True, slots=True)
class PromptSet:
    """Prompts as message lists, with their estimated input tokens; ``source`` says whence."""

    messages: tuple[Messages, ...]
    input_tokens: tuple[int, ...]
    source: str

    def __len__(self) -> int:
        return len(self.messages)

    @property
    def mean_input_tokens(self) -> float:
        """Mean estimated input tokens per prompt."""
        return sum(self.input_tokens) / len(self.input_tokens)


def _tokens(messages: Messages) -> int:
    return sum(estimate_tokens(m["content"]) for m in messages)


def _from_json(obj: object, where: str) -> Messages:
    if isinstance(obj, str):
        return [{"role": "user", "content": obj}]
    if isinstance(obj, dict):
        for key in ("prompt", "text", "input", "content"):
            if isinstance(obj.get(key), str):
                return [{"role": "user", "content": obj[key]}]
        msgs = obj.get("messages")
        if isinstance(msgs, list) and msgs:
            out: Messages = []
            for m in msgs:
                if not (isinstance(m, dict) and isinstance(m.get("content"), str)):
                    break
                out.append({"role": str(m.get("role", "user")), "content": m["content"]})
            else:
                return out
    raise InputError(
        f"{where}: expected a JSON string, or an object with 'prompt' (or 'text') or "
        "'messages' [{role, content}]"
    )


def load_prompts(path: str | Path) -> PromptSet:
    """Read prompts from ``path``: ``.jsonl`` (one JSON value per line: a string,
    ``{"prompt": ...}`` or ``{"messages": [...]}``), anything else one prompt per line.

    A name that is not a file but a shipped prompt set's (``prompts``) reads that set."""
    p = Path(path)
    if not p.exists():
        p = shipped_file("loadtest", str(path), ".jsonl") or p
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--prompts: cannot read {p}: {exc}") from None
    messages: list[Messages] = []
    is_jsonl = p.suffix in (".jsonl", ".ndjson")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or (not is_jsonl and line.lstrip().startswith("#")):
            continue
        if is_jsonl:
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise InputError(f"{p}:{number}: not valid JSON ({exc})") from None
            messages.append(_from_json(obj, f"{p}:{number}"))
        else:
            messages.append([{"role": "user", "content": line.strip()}])
    if not messages:
        raise InputError(f"--prompts: {p} holds no prompts")
    return PromptSet(tuple(messages), tuple(_tokens(m) for m in messages), str(p))


def synthetic_prompts(
    mean_tokens: float = 200, sigma: float = 0.5, *, count: int = 256, seed: int = 0
) -> PromptSet:
    """``count`` distinct prompts whose lengths are log-normal around ``mean_tokens``
    (``sigma`` of the log), made of support-ticket words; reproducible from ``seed``."""
    if mean_tokens < 1 or sigma < 0 or count < 1:
        raise InputError("synthetic prompts need mean tokens >= 1, sigma >= 0 and count >= 1")
    rng = random.Random(seed)
    mu = math.log(mean_tokens) - sigma * sigma / 2  # so the mean, not the median, is mean_tokens
    messages: list[Messages] = []
    for i in range(count):
        tokens = max(1, round(rng.lognormvariate(mu, sigma)))
        words = [rng.choice(_WORDS) for _ in range(max(1, tokens * 4 // 6))]
        content = f"Note {i}: summarise in one paragraph. " + " ".join(words)
        messages.append([{"role": "user", "content": content}])
    return PromptSet(
        tuple(messages),
        tuple(_tokens(m) for m in messages),
        f"synthetic (log-normal, mean {mean_tokens:g} tokens, sigma {sigma:g})",
    )

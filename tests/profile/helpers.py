"""Helpers for the profile tests: synthetic logs with known effects."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import orjson

SAMPLES = Path(__file__).resolve().parents[2] / "scenarios" / "logs"

ENGLISH = [
    "Please summarise the attached meeting notes and list every action item with its owner.",
    "Can you draft a polite reply to this customer who is asking about a late delivery?",
    "Explain the difference between a mutex and a semaphore with a short example.",
    "Write a product description for a waterproof hiking backpack with a laptop sleeve.",
]
GERMAN = [
    "Bitte fasse die beigefügten Besprechungsnotizen zusammen und liste alle Aufgaben auf.",
    "Kannst du eine höfliche Antwort an diesen Kunden schreiben, der nach seiner Lieferung fragt?",
]


def openai_record(text: str, failed: bool) -> dict[str, object]:
    """One OpenAI request/response record, failed with a 500 or answered."""
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}
    if failed:
        return {
            "status": 500,
            "request": request,
            "response": {"error": {"type": "server_error", "code": None, "message": "boom"}},
        }
    body = {
        "object": "chat.completion",
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
        ],
        "usage": {"completion_tokens": 5},
    }
    return {"status": 200, "request": request, "response": body}


def write_synthetic(path: Path, n: int, seed: int, fail_rate: Callable[[str, bool], float]) -> Path:
    """``n`` OpenAI records; ``fail_rate(text, is_german)`` sets each call's failure chance."""
    rng = random.Random(seed)
    with path.open("wb") as f:
        for _ in range(n):
            german = rng.random() < 0.25
            text = rng.choice(GERMAN if german else ENGLISH)
            if rng.random() < 0.3:
                text = " ".join([text] * rng.randint(25, 40))  # long inputs, > 2,000 characters
            failed = rng.random() < fail_rate(text, german)
            f.write(orjson.dumps(openai_record(text, failed)) + b"\n")
    return path

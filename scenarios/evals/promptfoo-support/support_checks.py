"""A python assertion for the promptfoo example: the answer is exactly one known label."""

from __future__ import annotations

from typing import Any

LABELS = {"billing", "account", "technical", "shipping"}


def is_label(output: str, context: dict[str, Any]) -> dict[str, Any]:
    """Pass when the stripped output is one of the four labels."""
    label = output.strip().lower()
    return {"pass": label in LABELS, "score": 1.0 if label in LABELS else 0.0, "reason": label}

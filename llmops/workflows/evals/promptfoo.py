"""Run a promptfoo config (``promptfooconfig.yaml``) as an llmops suite, as it is.

A thin entry: detection lives here, the reading and grading in
:mod:`llmops.workflows.evals.promptfoo_format` (see ``docs/promptfoo.md`` for the mapping of
every promptfoo feature to llmops behaviour).
"""

from __future__ import annotations

import re
from pathlib import Path

from llmops.workflows.evals.promptfoo_format import (
    PromptfooSuite,
    load_promptfoo,
    provider_target,
)
from llmops.yamlsafe import MAX_BYTES

__all__ = ["PromptfooSuite", "is_promptfoo", "load_promptfoo", "provider_target"]


def is_promptfoo(path: Path) -> bool:
    """A promptfoo config: named ``promptfooconfig.*`` or with ``prompts`` and ``tests`` (or
    ``scenarios``) keys and no llmops ``cases``."""
    if path.name.startswith("promptfooconfig"):
        return True
    try:  # bounded and binary-safe: the loader itself says what is wrong with the file
        with path.open("rb") as fh:
            head = fh.read(MAX_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return False
    keys = set(re.findall(r"(?m)^([A-Za-z_]+):", head))
    return "prompts" in keys and bool({"tests", "scenarios"} & keys) and "cases" not in keys

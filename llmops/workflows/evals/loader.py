"""Finding and loading an eval suite: a file path or a shipped suite's name, an llmops suite or a
promptfoo config (detected by name or by its keys).
"""

from __future__ import annotations

from pathlib import Path

from llmops.scenarios import shipped_file
from llmops.workflows.evals.promptfoo import is_promptfoo, load_promptfoo
from llmops.workflows.evals.suite import Suite, check_suite
from llmops.yamlload import load_yaml_model

__all__ = ["load_suite", "resolve_suite_path"]


def resolve_suite_path(suite: str | Path) -> Path:
    """A file path as given, or a shipped suite's name (``support-classifier``)."""
    path = Path(suite)
    if path.exists() or path.suffix in (".yaml", ".yml") or "/" in str(suite):
        return path
    return shipped_file("evals", str(suite)) or path


def load_suite(path: str | Path) -> Suite:
    """Load an llmops suite, or a promptfoo config (detected by name or by its keys)."""
    resolved = resolve_suite_path(path)
    suite: Suite
    if is_promptfoo(resolved):
        suite = load_promptfoo(resolved)
    else:
        suite = load_yaml_model(
            resolved,
            Suite,
            what="eval suite",
            check=lambda s: check_suite(s, resolved.resolve().parent),
        )
    suite._source_dir = resolved.resolve().parent
    return suite

"""The promptfoo-format tests: one loopback mock with canned answers for the whole module,
and a helper that runs a fixture config against it and returns each case's record."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from llmops.workflows.evals.eval import evaluate
from llmops.workflows.evals.loader import load_suite
from llmops.workflows.evals.records import CaseRecord, EvalRun
from llmops.workflows.target import Target, target_from_url

HERE = Path(__file__).resolve().parent


@pytest.fixture
def node() -> None:
    """Node.js for javascript assertions: skipped without it, failed under .ci/run (which
    installs it and sets ``LLMOPS_REQUIRE_SERVICES=1``)."""
    if shutil.which("node") is None:
        if os.environ.get("LLMOPS_REQUIRE_SERVICES") == "1":
            pytest.fail("node is not installed (.ci/run installs Debian's nodejs)")
        pytest.skip("node is not installed: javascript assertions need Node.js")


@pytest.fixture(scope="session")
def mock_url() -> Iterator[str]:
    """The base URL (``.../v1``) of a mock serving this folder's canned answers."""
    from llmops.mock import spawn_mock_server

    with spawn_mock_server(HERE / "mock-profile.yaml") as url:
        yield url + "/v1"


def run_config(path: Path, url: str) -> EvalRun:
    """Run the promptfoo config at ``path`` against the mock at ``url`` (nothing recorded)."""
    suite = load_suite(path)
    target: Target = target_from_url(url, "openai", "gpt-4o-mini", local=True)
    outcome = anyio.run(lambda: evaluate(suite, target, commit=None))
    return outcome.run


def by_id(run: EvalRun) -> dict[str, CaseRecord]:
    """The run's records by case id."""
    return {c.case_id: c for c in run.cases}

"""The twenty promptfoo example configs in scenarios/evals/promptfoo run as they are: each
loads and every case gets an answer and verdicts from the mock (through --target's path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.evals.promptfoo.conftest import run_config

EXAMPLES = sorted(
    (Path(__file__).resolve().parents[3] / "scenarios/evals/promptfoo").glob(
        "*/promptfooconfig.yaml"
    )
)

pytestmark = pytest.mark.loopback


def test_there_are_twenty_examples() -> None:
    assert len(EXAMPLES) == 20


@pytest.mark.usefixtures("node")
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_runs_as_it_is(path: Path, mock_url: str) -> None:
    run = run_config(path, mock_url)
    assert run.cases
    assert all(c.error is None and c.output for c in run.cases), [c.error for c in run.cases]
    asserted = [c for c in run.cases if c.checks]
    assert asserted  # every example has assertions, and they were graded

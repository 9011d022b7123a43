"""``llmops loadtest --target-function``: loading the callable, bad input, a run's reports."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmops.cli.app import app
from llmops.errors import InputError
from llmops.workflows.service import answer_of, load_function

MODULE = textwrap.dedent(
    """
    import time

    LIMIT = 3

    def summarize(prompt):
        time.sleep(0.002)
        return {"text": "summary", "usage": {"completion_tokens": 5}}

    async def asummarize(prompt: str) -> str:
        return prompt.upper()

    async def astream(prompt: str):
        yield "a"

    def two_args(prompt, style):
        return prompt

    class Service:
        def answer(self, prompt):
            return prompt

    service = Service()
    """
)


@pytest.fixture
def module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A team module in ``tmp_path`` (the working directory), under a name of its own."""
    name = f"team_app_{abs(hash(request.node.nodeid))}"
    (tmp_path / f"{name}.py").write_text(MODULE)
    (tmp_path / "broken_on_import.py").write_text("raise RuntimeError('no database at import')\n")
    provider = "p: {kind: openai, base_url: 'http://127.0.0.1:9/v1', model: m}"
    (tmp_path / "llmops.yaml").write_text(f"providers:\n  {provider}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield name
    for key in [k for k in sys.modules if k.startswith(("team_app_", "broken_on_import"))]:
        del sys.modules[key]


def test_load_function_tells_sync_async_and_generator_apart(module: str, tmp_path: Path) -> None:
    assert load_function(f"{module}:summarize", cwd=tmp_path).mode == "sync"
    assert load_function(f"{module}:asummarize", cwd=tmp_path).mode == "async"
    assert load_function(f"{module}:astream", cwd=tmp_path).mode == "agen"
    bound = load_function(f"{module}:service.answer", cwd=tmp_path)
    assert bound.call("x") == "x" and bound.label == f"function {module}:service.answer"


def test_a_file_path_names_the_module_too(module: str, tmp_path: Path) -> None:
    fn = load_function(f"{module}.py:asummarize", cwd=tmp_path)
    assert fn.mode == "async" and fn.spec == f"{module}.py:asummarize"


@pytest.mark.parametrize(
    ("value", "text", "tokens"),
    [
        ("four char", "four char", 3),
        ({"answer": "x", "usage": {"output_tokens": 9}}, "x", 9),
        (None, "", 0),
    ],
)
def test_answer_of_reads_the_return_contract(value: object, text: str, tokens: int) -> None:
    answer = answer_of(value)
    assert (answer.text, answer.output_tokens) == (text, tokens)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_colon", "expected module:function"),
        ("surely_not_a_module_q7:f", "cannot import surely_not_a_module_q7: ModuleNotFoundError"),
        (
            "broken_on_import:f",
            "cannot import broken_on_import: RuntimeError: no database at import",
        ),
        ("{module}:nothere", "has no attribute 'nothere'"),
        ("{module}:LIMIT", "is not callable (its type is int)"),
        ("{module}:two_args", "cannot be called with one argument"),
        ("missing_file.py:f", "no file"),
    ],
)
def test_bad_function_specs_exit_2_with_one_line(module: str, spec: str, message: str) -> None:
    result = CliRunner().invoke(app, ["loadtest", "--target-function", spec.format(module=module)])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    with pytest.raises(InputError, match="--target-function"):
        load_function(spec.format(module=module))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--target", "http://127.0.0.1:9/v1"], "give one target"),
        (["--target-http", "http://127.0.0.1:9/x"], "give one target, not both"),
        (["--raw"], "--raw: goes with an API target"),
        (["--shared-state"], "--shared-state: goes with an API target"),
        (["--config", "llmops.yaml"], "--config: goes with an API target"),
        ([], "cost of your feature is unknown"),
    ],
)
def test_contradictions_and_the_cost_guard_exit_2(
    module: str, extra: list[str], message: str
) -> None:
    args = ["loadtest", "--target-function", f"{module}:summarize", *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_an_http_option_without_target_http_is_refused(module: str) -> None:
    args = ["loadtest", "--target-function", f"{module}:summarize", "--http-method", "GET"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "--http-method: goes with --target-http" in result.stderr


def test_a_run_reports_the_function_as_the_target(module: str, tmp_path: Path) -> None:
    args = ["loadtest", "--target-function", f"{module}:summarize", "--levels", "1,2"]
    args += ["--requests", "10", "--model", "gpt-4o-mini"]  # priced: the guard lets it run
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"function {module}:summarize" in result.stdout
    report = json.loads((tmp_path / "reports" / "loadtest-latest.json").read_text())
    assert report["target"] == f"function {module}:summarize"
    assert report["target_kind"] == "function" and report["model"] == "gpt-4o-mini"
    assert [lv["concurrency"] for lv in report["levels"]] == [1, 2]
    assert all(lv["success_rate"] == 1.0 for lv in report["levels"])
    # the engine's columns (fallback answers, upstream attempts, retries) have no meaning here
    markdown = (tmp_path / "reports" / "loadtest-latest.md").read_text()
    assert "| clients | requests | success | p50 ms |" in markdown
    assert "upstream ok" not in markdown and "degraded" not in markdown
    html = (tmp_path / "reports" / "loadtest-latest.html").read_text()
    assert f"function {module}:summarize" in html and "end to end" in html

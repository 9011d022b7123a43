"""promptfoo-format configs (written here, in promptfoo's documented format) run against the
loopback mock; each case's verdict is what promptfoo's documented semantics give."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import anyio
import pytest

from llmops.workflows.evals.eval import evaluate
from llmops.workflows.evals.records import CaseRecord
from llmops.workflows.target import target_from_url
from tests.evals.promptfoo.conftest import HERE, by_id, run_config

pytestmark = pytest.mark.loopback


@cache
def _run(name: str, url: str) -> dict[str, CaseRecord]:
    return by_id(run_config(HERE / name / "promptfooconfig.yaml", url))


def verdicts(name: str, url: str) -> dict[str, bool]:
    return {cid: rec.passed for cid, rec in _run(name, url).items()}


def test_string_assertions_and_their_not_forms(mock_url: str) -> None:
    got = verdicts("basic", mock_url)
    assert got == {
        "equals": True,
        "equals-fails-on-a-different-text": False,
        "contains-and-icontains": True,
        "any-and-all": True,
        "contains-all-fails-when-one-is-missing": False,
        "starts-with-and-regex": True,
        "templated-value": True,
        "no-assertions-just-records-the-output": True,
    }


def test_a_test_without_assertions_records_its_output(mock_url: str) -> None:
    rec = _run("basic", mock_url)["no-assertions-just-records-the-output"]
    assert rec.output == "Paris is the capital of France."
    # only defaultTest's assertion applies
    assert [v.check for v in rec.checks] == ["not-icontains:as an AI"]


def test_a_failing_not_assertion_says_what_it_expected_not_to_see(mock_url: str) -> None:
    rec = _run("basic", mock_url)["equals-fails-on-a-different-text"]
    assert rec.checks[1].reason == "expected output to equal 'Paris'"


def test_prompts_and_tests_from_files_globs_and_csv(mock_url: str) -> None:
    got = verdicts("files", mock_url)
    # 3 prompts (a glob of two text files, a chat JSON file) x 4 tests (CSV rows, YAML glob)
    assert len(got) == 12
    for test in ("double-charge", "login", "crash"):
        assert all(got[f"{test}@p{i}"] for i in (1, 2, 3)), test
    assert not any(got[f"wrong-label@p{i}"] for i in (1, 2, 3))


def test_csv_expected_columns_become_assertions(mock_url: str) -> None:
    rec = _run("files", mock_url)["double-charge@p1"]
    assert [v.check for v in rec.checks] == ["equals:billing", "not-contains:refund"]


def test_json_assertions(mock_url: str) -> None:
    got = verdicts("json", mock_url)
    assert got == {
        "is-json-with-an-inline-schema": True,
        "is-json-with-a-schema-file-that-fails": False,
        "contains-json-in-prose": True,
        "contains-json-fails-on-plain-text": False,
    }
    reason = _run("json", mock_url)["is-json-with-a-schema-file-that-fails"].checks[0].reason
    assert "'email' is a required property" in reason


def test_text_metrics_latency_cost_and_perplexity(mock_url: str) -> None:
    runs = _run("metrics", mock_url)
    assert {cid: r.passed for cid, r in runs.items()} == {
        "close-edits-pass-levenshtein": True,
        "rouge-and-bleu-on-a-summary": True,
        "bleu-below-its-threshold": False,
        "latency-and-cost": True,
    }


@pytest.mark.usefixtures("node")
def test_javascript_and_python_assertions_and_transforms(mock_url: str) -> None:
    runs = _run("scripts", mock_url)
    assert {cid: r.passed for cid, r in runs.items()} == {
        "javascript-inline": True,
        "javascript-files": True,
        "javascript-that-fails": False,
        "python-inline-and-files": True,
        "python-that-raises-fails-the-assertion": False,
        "test-level-transform-runs-before-every-assertion": True,
    }
    inline = runs["javascript-inline"].checks
    assert inline[1].score == pytest.approx(1 / 6)  # {pass, score, reason} from JavaScript
    assert "AttributeError" in runs["python-that-raises-fails-the-assertion"].checks[0].reason


@pytest.mark.usefixtures("node")
def test_model_graded_assertions_through_the_engine(mock_url: str) -> None:
    runs = _run("graded", mock_url)
    assert {cid: r.passed for cid, r in runs.items()} == {
        "llm-rubric-pass": True,
        "llm-rubric-fail": False,
        "llm-rubric-under-its-threshold": False,
        "custom-rubricprompt": True,
        "closedqa": True,
        "factuality": True,
        "g-eval": True,
        "context-metrics": True,
        "context-faithfulness-under-its-threshold": False,
        "answer-relevance": True,
        "similar": True,
        "a-failing-contexttransform-fails-the-assertion": False,
        "context-from-the-output-with-contexttransform": True,
        "rubricprompt-from-the-test-options": True,
    }
    assert runs["g-eval"].checks[0].score == pytest.approx(0.8)
    assert runs["llm-rubric-fail"].checks[0].reason == "it is polite, not rude"
    failing = runs["a-failing-contexttransform-fails-the-assertion"].checks[0]
    assert "javascript raised" in failing.reason


@pytest.mark.usefixtures("node")
def test_weights_thresholds_assert_sets_expansion_and_scenarios(mock_url: str) -> None:
    runs = _run("structure", mock_url)
    assert {cid: r.passed for cid, r in runs.items()} == {
        "weighted-score-reaches-the-test-threshold": True,
        "weighted-score-misses-the-test-threshold": False,
        "weight-zero-is-recorded-but-never-fails-the-test": True,
        "assert-set-with-its-own-threshold": True,
        "expanded": True,
        "expanded#2": True,
        "expanded#3": True,
        "expanded#4": True,
        "labels": True,
    }
    assert runs["weighted-score-reaches-the-test-threshold"].checks[0].check == (
        "contains:Paris [accuracy]"
    )
    zero = runs["weight-zero-is-recorded-but-never-fails-the-test"].checks[1]
    assert (zero.check, zero.passed, zero.score) == ("contains:Berlin", True, 0.0)


def test_cli_runs_a_config_as_it_is_with_target(
    mock_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from llmops.cli.app import app

    monkeypatch.chdir(tmp_path)
    config = HERE / "json" / "promptfooconfig.yaml"
    args = ["eval", str(config), "--target", mock_url, "--model", "gpt-4o-mini", "--no-record"]
    result = CliRunner().invoke(app, [*args, "--report-dir", str(tmp_path / "reports")])
    assert result.exit_code == 0, result.output
    assert "2/4 passed" in result.output
    assert (tmp_path / "reports" / "eval-json-assertions.json").is_file()


def test_forms_of_real_configs_refs_js_filters_typescript_and_semicolons(
    mock_url: str, node: None
) -> None:
    runs = _run("compat", mock_url)
    assert {cid: r.passed for cid, r in runs.items()} == {
        "ref-to-an-assertion-template": True,
        "js-filter-in-an-assertion-value": True,
        "typescript-file-and-a-one-line-expression-with-a-semicolon": True,
    }
    assert [v.check for v in runs["ref-to-an-assertion-template"].checks] == ["contains:Paris"]


def test_a_js_nunjucks_filter_renders_the_prompt(node: None) -> None:
    from llmops.workflows.evals.promptfoo import load_promptfoo

    suite = load_promptfoo(HERE / "compat" / "prompt-filter.yaml")
    assert suite.messages_for(0) == [{"role": "user", "content": "Say HELLO"}]


def test_perplexity_from_the_logprobs_the_runner_asks_for(mock_url: str) -> None:
    from llmops.mock.logprobs import token_logprob, tokens_of

    runs = _run("perplexity", mock_url)
    assert {cid: r.passed for cid, r in runs.items()} == {
        "perplexity-under-a-loose-threshold": True,
        "perplexity-over-a-tight-threshold": False,
        "perplexity-score-and-its-not-form": True,
        "not-perplexity-without-a-threshold-passes-as-in-promptfoo": True,
    }
    answer = runs["perplexity-under-a-loose-threshold"].output or ""
    logprobs = [token_logprob(t) for t in tokens_of(answer)]
    ppl = math.exp(-sum(logprobs) / len(logprobs))
    score = runs["perplexity-score-and-its-not-form"].checks[0].score
    assert score == pytest.approx(1 / (1 + ppl), rel=1e-4)
    assert (
        f"perplexity {ppl:.2f} > 1.01" in runs["perplexity-over-a-tight-threshold"].checks[0].reason
    )


def test_perplexity_on_anthropic_says_it_has_no_logprobs(mock_url: str) -> None:
    import anyio

    from llmops.workflows.evals.eval import evaluate
    from llmops.workflows.evals.loader import load_suite
    from llmops.workflows.target import target_from_url

    suite = load_suite(HERE / "perplexity" / "promptfooconfig.yaml")
    target = target_from_url(mock_url.removesuffix("/v1"), "anthropic", "claude-x", local=True)
    run = anyio.run(lambda: evaluate(suite, target, commit=None)).run
    for case in run.cases:
        assert not case.passed, case.case_id  # not- forms too: nothing could be evaluated
        assert case.checks[0].reason == (
            "perplexity needs token logprobs: the target's API (Anthropic Messages) returns no "
            "token logprobs"
        ) or case.checks[0].reason.startswith("perplexity-score needs token logprobs")


def test_a_providers_response_format_is_sent_and_its_json_graded_as_an_object(
    mock_url: str, node: None
) -> None:
    from llmops.workflows.evals.promptfoo import load_promptfoo

    suite = load_promptfoo(HERE / "compat" / "structured.yaml")
    assert suite.options_for(0, "openai") == {
        "temperature": 0,
        "response_format": suite.providers[0][1]["config"]["response_format"],
    }
    assert suite.options_for(0, "anthropic") == {"temperature": 0}
    (record,) = run_config(HERE / "compat" / "structured.yaml", mock_url).cases
    assert record.passed, record.checks


def test_a_case_whose_prompt_fails_to_render_is_an_error_and_the_rest_run(
    mock_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text(
        "prompts: ['{{ (cfg | load).tone }}', '{{ask}}']\n"
        "tests:\n  - vars: {cfg: 'not json', ask: 'What is the capital of France?'}\n"
    )
    first, second = run_config(config, mock_url).cases
    assert (first.passed, first.output) == (False, None)
    assert first.error is not None and "failed to render" in first.error
    assert (second.passed, second.output) == (True, "Paris is the capital of France.")


def test_conversation_turns_reach_the_next_test_of_the_same_conversation(mock_url: str) -> None:
    from llmops.workflows.evals.promptfoo import load_promptfoo

    suite = load_promptfoo(HERE / "compat" / "conversation.yaml")
    assert suite.sequential
    target = target_from_url(mock_url, "openai", "gpt-4o-mini", local=True)
    run = anyio.run(lambda: evaluate(suite, target, commit=None)).run
    assert [c.output for c in run.cases] == [
        "Paris is the capital of France.",
        "bonjour",
        "bonjour",
    ]
    assert [(m["role"], m["content"]) for m in suite.messages_for(1)] == [
        ("system", "Answer briefly."),
        ("user", "What is the capital of France?"),
        ("assistant", "Paris is the capital of France."),
        ("user", "Translate to French: good morning"),
    ]
    assert len(suite.messages_for(2)) == 2  # conversation b starts afresh
    anyio.run(lambda: evaluate(suite, target, commit=None))  # a second run starts afresh too
    assert len(suite.messages_for(1)) == 4


def test_select_best_passes_the_output_the_grader_picks_and_fails_the_others(
    mock_url: str,
) -> None:
    first, second = run_config(HERE / "compat" / "select-best.yaml", mock_url).cases
    assert (first.output, second.output) == ("Paris is the capital of France.", "bonjour")
    assert [(c.check, c.passed) for c in first.checks] == [("select-best", False)]
    assert [(c.check, c.passed) for c in second.checks] == [("select-best", True)]
    assert (first.passed, second.passed) == (False, True)

"""Reading promptfoo configs: what they expand to, and every refusal as one line with
file:line naming the key or type (never a traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops.errors import ConfigError, InputError
from llmops.workflows.evals.loader import load_suite
from llmops.workflows.evals.promptfoo import PromptfooSuite, provider_target


def write(tmp_path: Path, text: str, name: str = "promptfooconfig.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def load(tmp_path: Path, text: str) -> PromptfooSuite:
    suite = load_suite(write(tmp_path, text))
    assert isinstance(suite, PromptfooSuite)
    return suite


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as err:
        load_suite(write(tmp_path, text))
    return str(err.value)


def test_list_vars_expand_to_every_combination(tmp_path: Path) -> None:
    suite = load(
        tmp_path, "prompts: ['{{a}} {{b}}']\ntests:\n  - vars: {a: [x, y], b: ['1', '2', '3']}\n"
    )
    texts = sorted(suite.messages_for(i)[0]["content"] for i in range(len(suite.cases)))
    assert texts == sorted(f"{a} {b}" for a in "xy" for b in (1, 2, 3))


def test_non_string_lists_are_not_expanded(tmp_path: Path) -> None:
    suite = load(tmp_path, "prompts: ['{{ n | dump }}']\ntests:\n  - vars: {n: [1, 2]}\n")
    assert [suite.messages_for(0)[0]["content"]] == ["[1, 2]"]


def test_nunjucks_filters_render(tmp_path: Path) -> None:
    text = (
        'prompts: [\'{{ name | upper }} {{ items | join(", ") }} {{ missing | default("-") }}'
        "{% if vip %} VIP{% endif %}']\ntests:\n  - vars: {name: ada, items: [1, 2], vip: true}\n"
    )
    assert load(tmp_path, text).messages_for(0)[0]["content"] == "ADA 1, 2 - VIP"


def test_default_test_vars_and_options_apply(tmp_path: Path) -> None:
    text = (
        "prompts: ['{{q}}']\ndefaultTest:\n  vars: {q: hello}\n  options: {prefix: 'P: '}\n"
        "tests:\n  - description: one\n  - vars: {q: bye}\n"
    )
    suite = load(tmp_path, text)
    assert [suite.messages_for(i)[0]["content"] for i in (0, 1)] == ["P: hello", "P: bye"]


def test_prompt_file_split_on_separators_and_labelled_prompts(tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text("first {{q}}\n---\nsecond {{q}}\n")
    text = (
        "prompts:\n  - file://p.txt\n  - {raw: 'third {{q}}', label: t}\ntests:\n  - vars: {q: x}\n"
    )
    suite = load(tmp_path, text)
    assert [suite.messages_for(i)[0]["content"] for i in range(3)] == [
        "first x",
        "second x",
        "third x",
    ]


def test_scenarios_cross_their_configs_with_their_tests(tmp_path: Path) -> None:
    text = (
        "prompts: ['{{lang}}: {{word}}']\nscenarios:\n  - description: s\n    config:\n"
        "      - vars: {lang: fr}\n      - vars: {lang: de}\n    tests:\n"
        "      - vars: {word: hi}\n      - vars: {word: bye}\n"
    )
    suite = load(tmp_path, text)
    contents = {suite.messages_for(i)[0]["content"] for i in range(len(suite.cases))}
    assert contents == {"fr: hi", "fr: bye", "de: hi", "de: bye"}


def test_unsupported_assertion_type_is_one_line_with_its_line_and_a_suggestion(
    tmp_path: Path,
) -> None:
    text = "prompts: ['{{q}}']\ntests:\n  - vars: {q: x}\n    assert:\n      - type: icontain\n"
    message = error_of(tmp_path, text)
    path = tmp_path / "promptfooconfig.yaml"
    assert message == (
        f"{path}:5: tests[0].assert[0].type: assertion type 'icontain' is not supported"
        "; did you mean 'icontains'?"
    )


def test_unsupported_top_level_key_is_named(tmp_path: Path) -> None:
    text = "prompts: ['x']\ntests: [{}]\nredteam: {plugins: []}\n"
    assert ":3: redteam: key 'redteam' is not supported by llmops" in error_of(tmp_path, text)


def test_misspelt_test_key_gets_a_suggestion(tmp_path: Path) -> None:
    text = "prompts: ['x']\ntests:\n  - asert: []\n"
    message = error_of(tmp_path, text)
    assert (
        ":3: tests[0].asert: test key 'asert' is not supported; did you mean 'assert'?" in message
    )


def test_a_missing_prompt_variable_renders_empty_with_a_note_at_the_test(
    tmp_path: Path,
) -> None:
    text = "prompts: ['say {{ticket}}']\ntests:\n  - vars: {ticket: a}\n  - vars: {tickt: b}\n"
    suite = load(tmp_path, text)
    assert suite.messages_for(1)[0]["content"] == "say "
    (note,) = suite.notes
    assert note.endswith(
        ":4: tests[1].vars: prompt variable 'ticket' is not set: rendered empty (as promptfoo "
        "renders it)"
    )


def test_a_prompt_that_fails_to_render_errors_that_case_only(tmp_path: Path) -> None:
    text = (
        "prompts: ['{{ (cfg | load).tone }}', 'plain {{cfg}}']\ntests:\n"
        "  - vars: {cfg: 'not json'}\n"
    )
    suite = load(tmp_path, text)
    problem = suite.problem_for(0)
    assert (
        problem is not None and problem.startswith("prompt ") and "load: got 'not json'" in problem
    )
    assert suite.problem_for(1) is None
    assert suite.messages_for(1)[0]["content"] == "plain not json"


def test_bad_regex_reads_as_an_expectation(tmp_path: Path) -> None:
    text = "prompts: ['x']\ntests:\n  - assert: [{type: regex, value: '(bad'}]\n"
    assert "got '(bad', expected a valid regular expression" in error_of(tmp_path, text)


def test_missing_script_file_is_named(tmp_path: Path) -> None:
    text = "prompts: ['x']\ntests:\n  - assert: [{type: python, value: 'file://nope.py'}]\n"
    assert f"file not found: {tmp_path / 'nope.py'}" in error_of(tmp_path, text)


def test_csv_with_an_unknown_double_underscore_column_is_refused(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("q,__expect\nhi,x\n")
    message = error_of(tmp_path, "prompts: ['{{q}}']\ntests: file://t.csv\n")
    assert "t.csv:1: column '__expect' is not a promptfoo test column" in message


def test_csv_string_assertions_are_read_as_promptfoo_does(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(
        "q,__expected1,__expected2,__expected3,__expected4\n"
        'hi,plain text,not-icontains:bye,similar(0.8):hello there,"contains-any:a,b"\n'
    )
    suite = load(tmp_path, "prompts: ['{{q}}']\ntests: file://t.csv\n")
    kinds = [(a.type, a.value, a.threshold) for a in suite.plan_for(0).test.asserts]
    assert kinds == [
        ("equals", "plain text", None),
        ("not-icontains", "bye", None),
        ("similar", "hello there", 0.8),
        ("contains-any", "a,b", None),
    ]


def test_javascript_without_node_names_the_case_and_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no node here
    text = "prompts: ['x']\ntests:\n  - assert:\n      - type: javascript\n        value: 'true'\n"
    message = error_of(tmp_path, text)
    assert ":4: tests[0].assert[0]: a javascript assertion or transform runs JavaScript" in message
    assert "apt-get install -y nodejs" in message


@pytest.mark.parametrize(
    ("ident", "expected"),
    [
        ("openai:gpt-4o-mini", ("https://api.openai.com/v1", "openai", "gpt-4o-mini")),
        ("openai:chat:gpt-4.1", ("https://api.openai.com/v1", "openai", "gpt-4.1")),
        (
            "anthropic:messages:claude-sonnet-4",
            ("https://api.anthropic.com", "anthropic", "claude-sonnet-4"),
        ),
    ],
)
def test_providers_map_to_their_apis(
    tmp_path: Path, ident: str, expected: tuple[str, str, str]
) -> None:
    suite = load(tmp_path, f"prompts: ['x']\nproviders: ['{ident}']\ntests: [{{}}]\n")
    assert provider_target(suite) == expected


def test_provider_base_url_from_its_config(tmp_path: Path) -> None:
    text = (
        "prompts: ['x']\nproviders:\n  - id: openai:chat:m\n"
        "    config: {apiBaseUrl: 'http://127.0.0.1:9/v1'}\ntests: [{}]\n"
    )
    assert provider_target(load(tmp_path, text)) == ("http://127.0.0.1:9/v1", "openai", "m")


def test_other_providers_are_named_in_one_error(tmp_path: Path) -> None:
    suite = load(tmp_path, "prompts: ['x']\nproviders: ['bedrock:claude']\ntests: [{}]\n")
    with pytest.raises(InputError, match="providers: 'bedrock:claude' is not supported without"):
        provider_target(suite)


def test_cli_refuses_an_unmapped_provider_in_one_line_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from llmops.cli.app import app

    path = write(tmp_path, "prompts: ['x']\nproviders: ['vertex:gemini']\ntests: [{}]\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["eval", str(path), "--no-reports", "--no-record"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "'vertex:gemini' is not supported without --target" in result.output


def test_shipped_promptfoo_config_keeps_default_test_assertions_first() -> None:
    root = Path(__file__).resolve().parents[3]
    suite = load_suite(root / "scenarios/evals/promptfoo-support/promptfooconfig.yaml")
    assert isinstance(suite, PromptfooSuite)
    assert [c.id for c in suite.cases][:2] == ["double-charge", "password-reset"]
    assert [a.type for a in suite.plan_for(0).test.asserts] == ["not-contains", "equals"]


def test_each_test_runs_once_per_prompt(tmp_path: Path) -> None:
    suite = load(tmp_path, "prompts: ['A {{q}}', 'B {{q}}']\ntests:\n  - vars: {q: x}\n")
    assert [c.id for c in suite.cases] == ["test-1@p1", "test-1@p2"]
    assert [suite.messages_for(i)[0]["content"] for i in (0, 1)] == ["A x", "B x"]


def test_a_ref_pointing_at_nothing_is_one_located_line(tmp_path: Path) -> None:
    text = (
        "prompts: ['{{q}}']\ntests:\n  - vars: {q: hi}\n    assert:\n"
        "      - $ref: '#/assertionTemplates/nope'\nassertionTemplates: {}\n"
    )
    assert error_of(tmp_path, text).endswith(
        ":5: tests[0].assert[0].$ref: '#/assertionTemplates/nope' points at nothing (no 'nope')"
    )


def test_a_nunjucks_filter_that_is_not_javascript_is_refused(tmp_path: Path) -> None:
    text = "prompts: ['{{q}}']\nnunjucksFilters: {up: ./up.py}\ntests:\n  - vars: {q: hi}\n"
    assert error_of(tmp_path, text).endswith(
        ":2: nunjucksFilters.up: got './up.py', expected a JavaScript file (./filter.js)"
    )


def test_the_load_filter_reads_json_text(tmp_path: Path) -> None:
    text = "prompts: ['{{ (cfg | load).tone }}']\ntests:\n  - vars: {cfg: '{\"tone\": \"dry\"}'}\n"
    assert load(tmp_path, text).messages_for(0)[0]["content"] == "dry"


def test_a_suite_cut_for_a_rerun_keeps_each_cases_prompt_and_assertions(tmp_path: Path) -> None:
    from llmops.workflows.evals.rerun import RerunPlan, rerun_suite

    text = (
        "prompts: ['{{q}}']\ntests:\n"
        "  - {description: one, vars: {q: first}, assert: [{type: contains, value: a}]}\n"
        "  - {description: two, vars: {q: second}, assert: [{type: contains, value: b}]}\n"
    )
    suite = load(tmp_path, text)
    plan = RerunPlan(suspects=("two",), sample=(), suspect_pool=1, rest_pool=0, repeats={"two": 2})
    cut = rerun_suite(suite, plan)
    assert isinstance(cut, PromptfooSuite)
    assert cut.messages_for(0) == [{"role": "user", "content": "second"}]
    assert [a.value for a in cut.plan_for(0).test.asserts] == ["b"]


def test_select_best_has_no_not_form(tmp_path: Path) -> None:
    text = "prompts: ['a', 'b']\ntests:\n  - assert: [{type: not-select-best, value: x}]\n"
    assert error_of(tmp_path, text).endswith(
        ":3: tests[0].assert[0].type: select-best takes a criteria string as value and has no "
        "not- form"
    )

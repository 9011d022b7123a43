"""`llmops config check` refuses what a provider would refuse, naming the key: a feature's tool
definitions and response format, and routes to unknown providers or unlisted models."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmops.cli.app import app

HEAD = """\
providers:
  oa: {kind: openai, base_url: "http://127.0.0.1:9/v1", model: m1}
  an: {kind: anthropic, base_url: "http://127.0.0.1:9", model: c1}
features:
"""
WEATHER = "{type: object, properties: {city: {type: string}}}"


def check(tmp_path: Path, features: str) -> tuple[int, list[str]]:
    path = tmp_path / "llmops.yaml"
    path.write_text(HEAD + features)
    result = CliRunner().invoke(app, ["config", "check", str(path)], env={"COLUMNS": "200"})
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "Traceback" not in result.output
    return result.exit_code, errors


@pytest.mark.parametrize(
    ("feature", "where", "what"),
    [
        (
            "{provider: oa, tools: [{type: function, function: {name: 'get weather'}}]}",
            "features.f.tools[0].name",
            "must match ^[a-zA-Z0-9_-]{1,64}$",
        ),
        (
            "{provider: oa, tools: [{type: function, function: {name: w, parameters: "
            "{type: array}}}]}",
            "features.f.tools[0].parameters",
            "of type 'object'",
        ),
        (
            "{provider: oa, tools: [{type: function, function: {name: w, parameters: "
            "{type: object, properties: {city: {type: strng}}}}}]}",
            "features.f.tools[0].parameters",
            "not a valid JSON Schema",
        ),
        (
            f"{{provider: an, tools: [{{name: w, input_schema: {WEATHER}}}, "
            f"{{name: w, input_schema: {WEATHER}}}]}}",
            "features.f.tools[1].name",
            "names must be unique",
        ),
        (
            "{provider: an, tools: [{name: w}]}",  # Anthropic wants an input_schema
            "features.f.tools[0].input_schema",
            "of type 'object'",
        ),
        (  # OpenAI-form tools on a feature whose second route is Anthropic
            f"{{routes: [oa/m1, an/c1], tools: [{{type: function, function: {{name: w, "
            f"parameters: {WEATHER}}}}}]}}",
            "features.f.tools[0]",
            "as provider 'an', anthropic",
        ),
        (
            "{provider: oa, response_format: {type: json_schema, json_schema: {name: x}}}",
            "features.f.response_format",
            "json_schema.schema",
        ),
        ("{routes: [oa/m1, nope/m2]}", "features.f.routes[1]", "expected a provider defined"),
        ("{routes: [an/c9]}", "features.f.routes[0]", "provider 'an' has no model 'c9'"),
    ],
)
def test_a_definition_the_provider_would_refuse_is_a_config_error_naming_its_key(
    tmp_path: Path, feature: str, where: str, what: str
) -> None:
    code, errors = check(tmp_path, f"  f: {feature}\n")
    assert code == 2 and len(errors) == 1, errors
    assert where in errors[0] and what in errors[0]


def test_too_many_tools_for_openai_is_a_config_error(tmp_path: Path) -> None:
    tools = ", ".join(f"{{type: function, function: {{name: t{i}}}}}" for i in range(129))
    code, errors = check(tmp_path, f"  f: {{provider: oa, tools: [{tools}]}}\n")
    assert code == 2 and "features.f.tools" in errors[0] and "at most 128" in errors[0]


def test_valid_tools_and_a_schema_pass_and_the_schema_validates_answers(tmp_path: Path) -> None:
    from llmops import load_config

    feature = (
        f"  f: {{provider: oa, tools: [{{type: function, function: {{name: weather, "
        f"parameters: {WEATHER}}}}}], response_format: {{type: json_schema, json_schema: "
        f"{{name: city, schema: {WEATHER}}}}}}}\n"
    )
    code, errors = check(tmp_path, feature)
    assert (code, errors) == (0, [])
    validation = load_config(tmp_path / "llmops.yaml").features["f"].validation
    assert validation is not None and validation.problem('{"city": "Paris"}') is None
    assert validation.problem('{"city": 3}') is not None

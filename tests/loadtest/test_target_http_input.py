"""``--target-http`` bad input: one line naming the flag (or file and key), exit 2, and no
header value (a secret) ever echoed; and the YAML form of the request template."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from llmops.cli.app import app
from llmops.workflows.service import http_spec, load_http_target

URL = "http://127.0.0.1:9/summarize"
SECRET = "zz-not-for-your-eyes-77"
_TEMPLATED = load_http_target(
    http_spec(URL, body='{"input": {{ prompt | json }}, "also": {{ messages | json }}}')[0]
)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["loadtest", "--target-http", *args, "--yes"])
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([URL, "--http-body", '{"p": {{ prompt | json }'], "--http-body: template line 1"),
        ([URL, "--http-body", '{"p": "{{ prompt }}"}'], "--http-body: not valid JSON for a prompt"),
        ([URL, "--http-body", '{"p": {{ promt | json }}}'], "'promt' is undefined"),
        ([URL, "--http-body", "@no-such-body.j2"], "--http-body: cannot read"),
        ([URL, "--http-success", "ok"], "--http-success: got 'ok'"),
        ([URL, "--http-success", "2xx,600"], "--http-success"),
        ([URL, "--http-expect", "summary[["], "--http-expect: bad JMESPath"),
        ([URL, "--http-expect", "re:(unclosed"], "--http-expect: bad regular expression"),
        ([URL, "--http-method", "PO ST"], "--http-method: got 'PO ST'"),
        (["ftp://127.0.0.1/x"], "expected a URL (http:// or https://) or a YAML file"),
        (["http://127.0.0.1/{{ host }}"], "--target-http: the template fails"),
    ],
)
def test_bad_templates_and_rules_exit_2_with_one_line(args: list[str], message: str) -> None:
    code, err = invoke(*args)
    assert code == 2, err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_header_without_a_colon_is_refused_without_echoing_it() -> None:
    code, err = invoke(URL, "--http-header", f"Authorization Bearer {SECRET}")
    assert code == 2 and "--http-header: expected NAME: VALUE" in err
    assert SECRET not in err and len(err.strip().splitlines()) == 1


def test_a_missing_environment_variable_is_named_and_nothing_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LLMOPS_TEST_ABSENT_TOKEN", raising=False)
    code, err = invoke(URL, "--http-header", "Authorization: Bearer ${LLMOPS_TEST_ABSENT_TOKEN}")
    assert code == 2
    assert "LLMOPS_TEST_ABSENT_TOKEN, which is not set" in err
    assert len(err.strip().splitlines()) == 1


def test_a_stray_dollar_in_a_header_is_refused_without_echoing_it() -> None:
    code, err = invoke(URL, "--http-header", f"X-Key: {SECRET}$")
    assert code == 2 and "write $$ for a '$'" in err and SECRET not in err


def test_the_http_target_and_an_api_target_are_one_or_the_other() -> None:
    code, err = invoke(URL, "--target", "http://127.0.0.1:9/v1")
    assert code == 2 and "--target-http: give one target" in err


def test_a_yaml_template_is_read_and_the_flags_override_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVICE_TOKEN", SECRET)
    spec_file = tmp_path / "service.yaml"
    spec_file.write_text(
        "url: http://127.0.0.1:8000/v1/summarize?lang={{ 'en' | urlencode }}\n"
        "method: put\n"
        "headers:\n"
        "  Authorization: Bearer ${SERVICE_TOKEN}\n"
        "  X-Team: search\n"
        "body: |\n"
        '  {"text": {{ prompt | json }}, "n": {{ messages | length }}}\n'
        "success: [200, 202]\n"
        "expect: summary\n"
    )
    spec, source = http_spec(str(spec_file), headers=["x-team: ranking"], success="2xx")
    http = load_http_target(spec, source=source)
    request = http.request('a "quoted"\nprompt', [{"role": "user", "content": "x"}])
    assert request.method == "PUT"
    assert request.url == "http://127.0.0.1:8000/v1/summarize?lang=en"
    assert json.loads(request.body) == {"text": 'a "quoted"\nprompt', "n": 1}
    assert dict(request.headers) == {
        "Authorization": f"Bearer {SECRET}",
        "x-team": "ranking",
        "Content-Type": "application/json",
    }
    assert http.succeeded(204) and not http.succeeded(301)
    assert SECRET not in http.label and SECRET not in repr(http)


@pytest.mark.parametrize(("rule", "codes"), [("201", {201}), ("[200, 204]", {200, 204})])
def test_a_yaml_success_rule_may_be_a_number_or_a_list(
    tmp_path: Path, rule: str, codes: set[int]
) -> None:
    spec_file = tmp_path / "service.yaml"
    spec_file.write_text(f"url: http://127.0.0.1:8000/x\nsuccess: {rule}\n")
    http = load_http_target(http_spec(str(spec_file))[0])
    assert {c for c in range(100, 600) if http.succeeded(c)} == codes


def test_a_yaml_template_with_an_unknown_key_names_the_file_and_line(tmp_path: Path) -> None:
    spec_file = tmp_path / "service.yaml"
    spec_file.write_text("url: http://127.0.0.1:8000/x\nheader:\n  X-Team: a\n")
    code, err = invoke(str(spec_file))
    assert code == 2
    assert f"{spec_file}:" in err and "header: unknown key; did you mean 'headers'" in err


def test_a_get_has_no_body_and_a_non_json_body_is_sent_as_written() -> None:
    get = load_http_target(http_spec(URL + "?q={{ prompt | urlencode }}", method="GET")[0])
    request = get.request("a b&c", [])
    assert request.body == b"" and request.url.endswith("?q=a%20b%26c")
    assert "Content-Type" not in request.headers
    plain = http_spec(URL, body="{{ prompt }}", headers=["Content-Type: text/plain"])[0]
    assert load_http_target(plain).request('say "hi"', []).body == b'say "hi"'


def test_templates_and_jmespath_load_only_for_an_http_target() -> None:
    from tests.test_lazy_imports import loaded_after

    modules = loaded_after("import llmops.workflows.loadtest, llmops.workflows.service")
    assert not {"jinja2", "jmespath"} & modules


def test_the_shipped_example_template_loads() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "loadtest-service.yaml"
    spec, source = http_spec(str(example))
    http = load_http_target(spec, source=source)
    request = http.request('say "hi"\n', [])
    assert json.loads(request.body) == {"text": 'say "hi"\n'}
    assert http.succeeded(200) and not http.succeeded(202)


def test_a_template_failing_on_one_prompt_of_the_run_is_bad_input(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("short\n" + "long " * 30 + "\n")
    body = '{% if prompt | length > 100 %}{{ missing }}{% endif %}{"p": {{ prompt | json }}}'
    code, err = invoke(URL, "--http-body", body, "--prompts", str(prompts), "--levels", "1")
    assert code == 2 and "the template fails for the prompt 'long long" in err
    assert "'missing' is undefined" in err and len(err.strip().splitlines()) == 1


@given(st.text(max_size=200))
def test_any_prompt_renders_into_a_json_body_that_gives_it_back(prompt: str) -> None:
    request = _TEMPLATED.request(prompt, [{"role": "user", "content": prompt}])
    data = json.loads(request.body)
    assert data == {"input": prompt, "also": [{"role": "user", "content": prompt}]}


def test_secrets_in_the_url_are_masked_in_the_label() -> None:
    http = load_http_target(http_spec("http://svc:pw-1234@127.0.0.1:9/x?token=tk-999&lang=en")[0])
    assert "pw-1234" not in http.label and "tk-999" not in http.label
    assert "lang=en" in http.label


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        (b'{"count": 0}', True),  # 0 is a value (JMESPath: only null, false, "", [], {} are not)
        (b'{"count": 3}', True),
        (b'{"count": null}', False),
        (b'{"count": false}', False),
        (b'{"count": []}', False),
        (b'{"other": 1}', False),
        (b"not json", False),
    ],
)
def test_expect_follows_jmespath_truth(body: bytes, ok: bool) -> None:
    http = load_http_target(http_spec(URL, expect="count")[0])
    judged = http.judge(200, body)
    assert (judged.error is None) == ok
    assert judged.error in (None, "unexpected_body")

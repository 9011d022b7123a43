"""``--target-http``: the team's own HTTP service as the load test's target.

A request template (:class:`HttpSpec`) says how one prompt becomes one request and what
counts as success; :func:`load_http_target` checks it and turns it into an
:class:`HttpTarget` before the run, so a typo fails at once, not as 100% errors:

- ``url`` and ``body`` are Jinja2 templates over ``prompt`` (the text) and ``messages``
  (``[{role, content}]``); the ``json`` filter (``{{ prompt | json }}``) writes a JSON
  string, quotes, backslashes and newlines escaped. When the body is JSON (the default
  ``Content-Type``), it is rendered with a hostile prompt first and must parse, so
  ``"{{ prompt }}"`` (not escaped) is refused with the fix;
- ``headers`` values may name environment variables, ``${SERVICE_TOKEN}``
  (:class:`string.Template` syntax, ``$$`` for a ``$``); a variable that is not set is bad
  input, and no header value ever reaches a report, a label or an error message;
- ``success``: status codes and classes, ``2xx`` (default) or ``200,201`` or ``2xx,304``;
- ``expect`` (optional): what the body must hold as well: a JMESPath expression over the
  JSON body that must give a non-empty value (``summary``, ``status == 'ok'``), or
  ``re:REGEX`` searched in the body text. A 200 whose body does not match is a failure
  (``unexpected_body``).
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from pydantic import BaseModel, ConfigDict, Field

from llmops.core.textprofile import estimate_tokens
from llmops.engine.transport import HttpRequest
from llmops.errors import ConfigError, InputError
from llmops.redact import redact_urls
from llmops.yamlload import load_yaml_model

if TYPE_CHECKING:  # Jinja2 and JMESPath load when a template is compiled, not with loadtest
    import jinja2
    import jmespath.parser

__all__ = [
    "DEFAULT_BODY",
    "HttpSpec",
    "HttpTarget",
    "Judgement",
    "http_spec",
    "load_http_target",
]

#: the body sent when none is given (methods that carry one)
DEFAULT_BODY = '{"prompt": {{ prompt | json }}}'
_NO_BODY = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_SUCCESS = re.compile(r"^(?:[1-5]xx|[1-5][0-9]{2})$")
#: what a JSON body template is tried with: quotes, backslashes, newlines, tabs, markup
_HOSTILE = 'He said "stop"\\n\n\t</script>{{ x }} ${HOME} ünï 🙂'
#: flag names for each key of the spec, for error lines when the spec came from flags
FLAGS = {
    "url": "--target-http",
    "method": "--http-method",
    "body": "--http-body",
    "headers": "--http-header",
    "success": "--http-success",
    "expect": "--http-expect",
}


class HttpSpec(BaseModel):
    """The request template, as written in a ``--target-http FILE.yaml`` or by the flags."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="The service's URL (a template over prompt)")
    method: str = Field("POST", description="HTTP method")
    body: str | None = Field(None, description="Body template; default a JSON prompt")
    headers: dict[str, str] = Field(default_factory=dict, description="${VAR} from the env")
    success: int | str | list[int] = Field("2xx", description="Status codes: 2xx, 200,201")
    expect: str | None = Field(None, description="JMESPath over the JSON body, or re:REGEX")


@dataclass(frozen=True, slots=True)
class Judgement:
    """One response judged: ``error`` is None on success, else the failure's class;
    ``cause`` says it in words; ``output_tokens`` of the answer (reported or estimated)."""

    error: str | None
    cause: str = ""
    output_tokens: int = 0


@dataclass(frozen=True, slots=True)
class HttpTarget:
    """A checked request template, ready to build requests and judge responses."""

    method: str
    url_template: str
    label: str
    #: resolved header values: may hold secrets, so kept out of repr and every message
    headers: Mapping[str, str] = field(repr=False)
    success_codes: frozenset[int]
    success_classes: frozenset[int]
    success_text: str
    expect: str | None
    _url: jinja2.Template = field(repr=False)
    _body: jinja2.Template | None = field(repr=False)
    _path: jmespath.parser.ParsedResult | None = field(repr=False)
    _regex: re.Pattern[str] | None = field(repr=False)
    #: what kind of target this is (``Target.kind``)
    kind: ClassVar[str] = "http"

    def request(self, prompt: str, messages: Sequence[Mapping[str, str]]) -> HttpRequest:
        """The request for one prompt; :class:`~llmops.errors.InputError` when a template
        fails on it (it rendered for a sample prompt before the run, but may not for all)."""
        ctx = {"prompt": prompt, "messages": list(messages)}
        try:
            body = self._body.render(ctx).encode() if self._body is not None else b""
            url = self._url.render(ctx)
        except Exception as exc:
            raise InputError(
                f"{self.label}: the template fails for the prompt {_clip(prompt)!r}: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        return HttpRequest(self.method, url, self.headers, body)

    def succeeded(self, status: int) -> bool:
        """Whether ``status`` is one the success rule accepts."""
        return status in self.success_codes or status // 100 in self.success_classes

    def judge(self, status: int, body: bytes) -> Judgement:
        """Status and body against the success rule and ``expect``."""
        if not self.succeeded(status):
            return Judgement(f"http_{status}", f"HTTP {status} (success is {self.success_text})")
        if self._regex is not None:
            text = body.decode("utf-8", "replace")
            if self._regex.search(text) is None:
                return Judgement(
                    "unexpected_body", f"HTTP {status} but the body does not match {self.expect}"
                )
            return Judgement(None, output_tokens=estimate_tokens(text))
        if self._path is None:
            return Judgement(None, output_tokens=estimate_tokens(body.decode("utf-8", "replace")))
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return Judgement(
                "unexpected_body", f"HTTP {status} but the body is not JSON (expect {self.expect})"
            )
        found = self._path.search(data)
        if _empty(found):
            return Judgement(
                "unexpected_body", f"HTTP {status} but {self.expect} is empty in the body"
            )
        return Judgement(None, output_tokens=_tokens(data, found))


def _empty(found: Any) -> bool:
    """JMESPath's false values: null, false, and an empty string, list or object (0 is not)."""
    return found is None or found is False or (isinstance(found, (str, list, dict)) and not found)


def _clip(text: str, size: int = 40) -> str:
    return text if len(text) <= size else text[: size - 3] + "..."


def _tokens(data: Any, found: Any) -> int:
    usage = data.get("usage") if isinstance(data, dict) else None
    if isinstance(usage, dict):
        for key in ("output_tokens", "completion_tokens"):
            value = usage.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                return value
    return estimate_tokens(found) if isinstance(found, str) else 0


def http_spec(
    target: str,
    *,
    method: str | None = None,
    body: str | None = None,
    headers: Sequence[str] = (),
    success: str | None = None,
    expect: str | None = None,
) -> tuple[HttpSpec, str | None]:
    """The spec the command line gives: ``target`` is the URL, or a YAML file holding the
    spec; the other flags set (or, over a file, override) its keys; a header given by flag
    replaces the file's of the same name. Returns the spec and the file it came from."""
    if target.startswith(("http://", "https://")):
        spec, source = HttpSpec.model_validate({"url": target}), None
    else:
        if not Path(target).is_file():
            raise InputError(
                f"--target-http: got {target!r}, expected a URL (http:// or https://) or a "
                "YAML file of the request template"
            )
        try:
            spec = load_yaml_model(target, HttpSpec, what="HTTP target")
        except ConfigError as exc:
            raise InputError(str(exc)) from None
        source = target
    update: dict[str, Any] = {}
    if method is not None:
        update["method"] = method
    if body is not None:
        update["body"] = _read_body(body)
    if success is not None:
        update["success"] = success
    if expect is not None:
        update["expect"] = expect
    if headers:
        merged = {k.lower(): (k, v) for k, v in spec.headers.items()}
        for raw in headers:
            name, sep, value = raw.partition(":")
            if not sep or not _TOKEN.match(name.strip()):
                # never echo the value: it may hold a secret
                raise InputError(
                    "--http-header: expected NAME: VALUE, e.g. 'Authorization: Bearer "
                    "${SERVICE_TOKEN}' (the header name before the first ':')"
                )
            merged[name.strip().lower()] = (name.strip(), value.strip())
        update["headers"] = dict(merged.values())
    return spec.model_copy(update=update), source


def _read_body(body: str) -> str:
    if not body.startswith("@"):
        return body
    path = Path(body[1:])
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--http-body: cannot read {path}: {exc}") from None


def load_http_target(spec: HttpSpec, *, source: str | None = None) -> HttpTarget:
    """Check ``spec`` and compile it; ``source`` is the YAML file it came from (errors then
    name the file and key, else the flag)."""
    where = partial(_where, source)
    method = spec.method.strip().upper()
    if not _TOKEN.match(method):
        raise InputError(
            f"{where('method')}: got {spec.method!r}, expected an HTTP method like POST"
        )
    env = _environment()
    url = _compile(env, spec.url, where("url"))
    sample = {"prompt": _HOSTILE, "messages": [{"role": "user", "content": _HOSTILE}]}
    shown = _render(url, sample, where("url"))
    if not shown.startswith(("http://", "https://")):
        raise InputError(f"{where('url')}: expected a URL starting with http:// or https://")
    headers = _headers(spec.headers, where("headers"))
    text = spec.body if spec.body is not None else (None if method in _NO_BODY else DEFAULT_BODY)
    body = _compile(env, text, where("body")) if text is not None else None
    if body is not None:
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
        if content_type is None:
            headers["Content-Type"] = content_type = "application/json"
        if "json" in content_type.lower():
            _check_json(_render(body, sample, where("body")), where("body"))
    codes, classes, success_text = _success(spec.success, where("success"))
    path, regex = _expect(spec.expect, where("expect"))
    return HttpTarget(
        method=method,
        url_template=spec.url,
        label=f"http {method} {redact_urls(spec.url)}",
        headers=headers,
        success_codes=codes,
        success_classes=classes,
        success_text=success_text,
        expect=spec.expect,
        _url=url,
        _body=body,
        _path=path,
        _regex=regex,
    )


def _where(source: str | None, key: str) -> str:
    return f"{source}: {key}" if source is not None else FLAGS[key]


def _json(value: Any) -> str:
    import jinja2

    if isinstance(value, jinja2.Undefined):
        str(value)  # a StrictUndefined raises, naming the variable
    return orjson.dumps(value).decode()


def _environment() -> jinja2.Environment:
    import jinja2

    # not HTML: no autoescape; an unknown variable is an error, not empty text
    env = jinja2.Environment(
        autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    env.filters["json"] = _json
    return env


def _compile(env: jinja2.Environment, text: str, where: str) -> jinja2.Template:
    import jinja2

    try:
        return env.from_string(text)
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(f"{where}: template line {exc.lineno}: {exc.message}") from None


def _render(template: jinja2.Template, ctx: dict[str, Any], where: str) -> str:
    try:
        return template.render(ctx)
    except Exception as exc:  # an undefined variable, a filter given the wrong type...
        raise InputError(
            f"{where}: the template fails: {type(exc).__name__}: {exc} "
            "(it knows prompt and messages)"
        ) from None


def _check_json(rendered: str, where: str) -> None:
    try:
        orjson.loads(rendered)
    except orjson.JSONDecodeError as exc:
        raise InputError(
            f"{where}: not valid JSON for a prompt holding quotes or newlines ({exc}); "
            "write {{ prompt | json }} (no quotes around it), or set a Content-Type header "
            "that is not JSON"
        ) from None


def _headers(raw: Mapping[str, str], where: str) -> dict[str, str]:
    resolved: dict[str, str] = {}
    for name, value in raw.items():
        if not _TOKEN.match(name):
            raise InputError(f"{where}: {name!r} is not a header name")
        try:
            resolved[name] = string.Template(value).substitute(os.environ)
        except KeyError as exc:
            raise InputError(
                f"{where}: {name} names the environment variable {exc.args[0]}, which is not set"
            ) from None
        except ValueError:
            raise InputError(
                f"{where}: {name}: a '$' that starts no ${{VARIABLE}} (write $$ for a '$')"
            ) from None
        if "\n" in resolved[name] or "\r" in resolved[name]:
            raise InputError(f"{where}: {name}: the value holds a line break")
    return resolved


def _success(rule: int | str | list[int], where: str) -> tuple[frozenset[int], frozenset[int], str]:
    rules = rule.split(",") if isinstance(rule, str) else [rule] if isinstance(rule, int) else rule
    parts = [str(p).strip().lower() for p in rules]
    if not parts or not all(_SUCCESS.match(p) for p in parts):
        raise InputError(
            f"{where}: got {rule!r}, expected status codes or classes like 2xx or 200,201"
        )
    codes = frozenset(int(p) for p in parts if not p.endswith("xx"))
    classes = frozenset(int(p[0]) for p in parts if p.endswith("xx"))
    return codes, classes, ",".join(parts)


def _expect(
    expect: str | None, where: str
) -> tuple[jmespath.parser.ParsedResult | None, re.Pattern[str] | None]:
    if expect is None:
        return None, None
    import jmespath
    import jmespath.exceptions

    if expect.startswith("re:"):
        try:
            return None, re.compile(expect[3:])
        except re.error as exc:
            raise InputError(f"{where}: bad regular expression {expect[3:]!r}: {exc}") from None
    try:
        return jmespath.compile(expect), None
    except jmespath.exceptions.JMESPathError as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(
            f"{where}: bad JMESPath {expect!r} ({detail}); or write re:REGEX for a regular "
            "expression"
        ) from None

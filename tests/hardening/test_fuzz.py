"""Fuzzing every loader and the log reader: random bytes, random JSON, random YAML and random
documents made of the schemas' own keys. No exception escapes but the documented ones
(:class:`~llmops.errors.LlmopsError` subclasses); the log reader raises nothing at all.

The number of examples per test is ``LLMOPS_FUZZ_EXAMPLES`` (default 30, enough for a fast
suite; CI or a fuzzing session can raise it), without a per-example deadline.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmops.errors import LlmopsError
from llmops.workflows.profile.read import ScanOptions, scan_stream
from tests.hardening.hostile import LOADERS, Loader

FUZZ = settings(
    max_examples=int(os.environ.get("LLMOPS_FUZZ_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: keys of the schemas (config, suites, promptfoo, mock profiles) so that random documents
#: reach the validators, not only the "unknown key" check
KEYS = [
    "providers", "kind", "base_url", "model", "api_key_env", "headers", "limits",
    "requests_per_minute", "tokens_per_minute", "max_concurrency", "queue_limit", "timeout_s",
    "retry", "max_attempts", "breaker", "enabled", "features", "provider", "fallback",
    "strategy", "value", "validation", "json", "regex", "max_chars", "state", "backend", "url",
    "name", "cases", "input", "messages", "role", "content", "checks", "type", "pattern",
    "schema", "values", "function", "threshold", "rubric", "defaults", "repeat", "vars",
    "prompt", "prompts", "tests", "assert", "defaultTest", "latency", "ttft_s", "capacity",
    "slots", "queue", "faults", "error_rates", "outages", "answers", "match", "exact", "text",
    "output_tokens", "mean", "sigma", "min", "max", "gpt-4o", "output", "openai", "equals",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(KEYS),
    st.text(max_size=20),
    st.sampled_from(["http://127.0.0.1:1/v1", "(", "${X", "1e400", "nan", "-1", "", "*"]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    ),
    max_leaves=25,
)

YAML_BITS = [
    "a: ", "- ", "&x ", "*x ", "!!str ", "!!python/name:os.system ", "!t ", "<<: ", "{", "}",
    "[", "]", ",", ": ", "'", '"', "|\n", ">\n", "\n", "  ", "#", "---\n", "...\n", "%YAML 1.1\n",
    "? ", "\t", "1e400", ".inf", "0x1F", "2024-13-45", "\x00", "\ufeff", "é",
]  # fmt: skip
yaml_like = st.lists(
    st.one_of(st.sampled_from(YAML_BITS), st.sampled_from(KEYS), st.text(max_size=5)),
    max_size=40,
).map("".join)


def _as_yaml(doc: Any) -> bytes:
    try:
        return yaml.safe_dump(doc, allow_unicode=True).encode()
    except (yaml.YAMLError, ValueError):
        return orjson.dumps(doc, option=orjson.OPT_NON_STR_KEYS) if doc is not None else b""


def _record(doc: Any) -> bytes:
    """``doc`` as a JSON line, or a broken line where JSON cannot hold it (huge integers)."""
    try:
        return orjson.dumps(doc, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return b"{"


payloads = st.one_of(
    st.binary(max_size=3000),
    yaml_like.map(lambda s: s.encode("utf-8", "surrogatepass")),
    documents.map(_as_yaml),
    documents.map(lambda d: _record(d)),
)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the whole module: each example overwrites the previous one's file."""
    return tmp_path_factory.mktemp("fuzz")


def _only_documented_errors(loader: Loader, content: bytes, work: Path) -> None:
    target, _ = loader.place(work, content)
    with contextlib.suppress(LlmopsError):
        loader.load(target)


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.name)
@FUZZ
@given(content=payloads)
def test_no_undocumented_exception_escapes_a_loader(
    loader: Loader, content: bytes, work: Path
) -> None:
    _only_documented_errors(loader, content, work)


log_lines = st.lists(
    st.one_of(
        documents.map(_record),
        st.binary(max_size=200),
        st.fixed_dictionaries(
            {"request": st.fixed_dictionaries({"messages": documents}), "status": scalars}
        ).map(_record),
    ),
    max_size=30,
).map(b"\n".join)


@FUZZ
@given(data=log_lines)
def test_the_log_reader_counts_what_it_cannot_read_and_raises_nothing(data: bytes) -> None:
    result = scan_stream(io.BytesIO(data), "fuzz.jsonl", ScanOptions(detect_language=False))
    assert result.bytes_read == len(data)
    assert all(line >= 1 for _source, line, _kind in result.problems.examples)

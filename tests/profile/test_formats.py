"""Each sample in scenarios/logs/ is read to the right calls, profiles and outcomes."""

from __future__ import annotations

import msgspec
import pytest

from llmops.workflows.profile.files import scan_paths
from llmops.workflows.profile.formats import Keys, RecordReader, sniff
from llmops.workflows.profile.formats_logs import FailureRule, FieldMap
from llmops.workflows.profile.read import ScanOptions, ScanResult
from llmops.workflows.profile.tally import FEATURES
from tests.profile.helpers import SAMPLES


def scan(*names: str, reader: RecordReader | None = None) -> ScanResult:
    options = ScanOptions(reader=reader or RecordReader(), detect_language=False)
    return scan_paths([str(SAMPLES / n) for n in names], options, workers=1)


def values(result: ScanResult, feature: str) -> dict[object, int]:
    margin = result.tally.marginal((FEATURES.index(feature),))
    return {k[0]: c[0] for k, c in margin.items()}


@pytest.mark.parametrize(
    ("files", "error_type"),
    [
        (("openai.jsonl",), "rate_limit_exceeded (429)"),
        (("openai_batch_input.jsonl", "openai_batch_output.jsonl"), "invalid_request_error (400)"),
        (("anthropic.jsonl",), "overloaded_error (529)"),
        (("litellm.jsonl",), "Timeout (408)"),
        (("langfuse.jsonl",), "Error: 500 Internal server error"),
        (("helicone.jsonl",), "server_error (500)"),
    ],
)
def test_sample_gives_two_calls_one_failed_with_its_error_type(
    files: tuple[str, ...], error_type: str
) -> None:
    result = scan(*files)
    assert result.tally.requests == 2
    assert result.tally.error_types == {error_type: 1}


def test_llmops_events_are_joined_by_request_id() -> None:
    result = scan("llmops.jsonl")
    assert result.tally.requests == 3
    assert result.tally.fallbacks == {"cached": 1}
    assert values(result, "length") == {0: 2, 2: 1}  # 87 and 105 chars; 2,412 chars
    assert values(result, "language") == {"en": 2, "de": 1}


def test_llmops_error_type_and_retry_are_read() -> None:
    result = scan("llmops.jsonl")
    assert result.tally.error_types["rate_limited (429)"] == 1
    retried = sum(c[-1] for c in result.tally.cells.values())
    assert retried == 2


def test_otel_reads_otlp_export_and_flat_span_with_old_names() -> None:
    result = scan("otel.jsonl")
    assert result.tally.requests == 3
    assert result.tally.error_types == {"timeout": 1}
    assert values(result, "model") == {
        "gpt-4o-2024-08-06": 1,
        "gpt-4o": 1,
        "claude-3-5-sonnet-20241022": 1,
    }


def test_otel_code_input_is_profiled_as_code() -> None:
    assert values(scan("otel.jsonl"), "code") == {False: 2, True: 1}


def test_langfuse_span_observations_are_skipped_not_counted() -> None:
    assert scan("langfuse.jsonl").skipped == {"no LLM call in record (langfuse)": 1}


def test_structlog_mapped_with_fields_classifies_validation_failure() -> None:
    fields = FieldMap.parse(["input=request.prompt", "outcome=result.status", "model=result.model"])
    result = scan("structlog.jsonl", reader=RecordReader("structured", fields))
    assert result.tally.requests == 2
    assert result.tally.error_types == {"validation_failed": 1}


def test_pino_with_failure_rule_and_error_field() -> None:
    reader = RecordReader(
        "structured", FieldMap.parse(["error=err.type"]), FailureRule.parse("level>=50")
    )
    result = scan("pino.jsonl", reader=reader)
    assert result.tally.requests == 2
    assert result.tally.error_types == {"RateLimitError": 1}


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("openai.jsonl", "openai"), ("anthropic.jsonl", "anthropic"), ("litellm.jsonl", "litellm"),
     ("helicone.jsonl", "helicone"), ("langfuse.jsonl", "langfuse"), ("otel.jsonl", "otel"),
     ("llmops.jsonl", "llmops"), ("openai_batch_output.jsonl", "openai-batch"), ("pino.jsonl", "structured")],
)  # fmt: skip
def test_format_is_recognised_from_keys(name: str, fmt: str) -> None:
    first = (SAMPLES / name).read_bytes().splitlines()[0]
    assert sniff(msgspec.json.decode(first, type=Keys)) == fmt


@pytest.mark.parametrize(
    ("expr", "record", "failed"),
    [("outcome!=ok", {"outcome": "ok"}, False), ("outcome!=ok", {"outcome": "bad"}, True),
     ("status>=500", {"status": 503}, True), ("status=429,503", {"status": 200}, False),
     ("error", {"error": "boom"}, True), ("error", {}, False)],
)  # fmt: skip
def test_failure_rule(expr: str, record: dict[str, object], failed: bool) -> None:
    assert FailureRule.parse(expr).failed(record) is failed

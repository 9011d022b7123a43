"""Make real OTLP/JSON exports: the official OpenAI instrumentation, the OpenAI SDK, the mock.

Run as ``python -m tests.profile.otlp_export MODE OUT CALLS [FAILURES]`` (the instrumentation reads its
mode from the environment once per process, so each mode runs in its own interpreter):

- ``legacy``: the instrumentation's default conventions with content capture on
  (``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``): prompts only in log records
  (``gen_ai.user.message`` …, the text in a ``kvlistValue`` body), linked by traceId/spanId;
- ``event_only``: the latest conventions, content in a ``gen_ai.client.inference.operation.details``
  log record whose ``gen_ai.input.messages`` is a structured value;
- ``span_only``: the latest conventions, content as span attributes.

The mock fails a known set of requests by index (two 429s, two 500s, one connection reset; the
SDK retries nothing), the SDK calls it through the mock's in-process httpx transport, and the
spans and log records go through the SDK's in-memory exporters into the OTLP protobuf encoding
and out as OTLP/JSON, one export batch per line, as the OpenTelemetry Collector's file exporter
writes them (ids in hex, enums as integers, traces and logs batches interleaved in one file).
Prints the truth as JSON: calls made, which failed and how.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
from pathlib import Path
from typing import Any

MODES = {
    "legacy": {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"},
    "event_only": {
        "OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "event_only",
    },
    "span_only": {
        "OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "span_only",
    },
}
#: (first request, end request, status): the failures the mock injects, by request index
FAULTS = [(4, 6, 429), (11, 13, 500), (20, 21, "reset")]
BATCH, LOG_BATCH = 4, 8  # spans, log records per export line


def prompt(i: int) -> str:
    """Inputs of varied shape: short, long, with code, in another language."""
    if i % 5 == 0:
        return f"Fix this function ({i}):\n```python\ndef f(x):\n    return x +\n```"
    if i % 5 == 1:
        return f"Résume ce texte, s'il te plaît ({i}). " + "La phrase se répète. " * 20
    return f"Question {i}: what is the capital of country number {i}?"


def _hex_ids(node: Any) -> Any:
    """OTLP/JSON carries trace and span ids as hex, where protobuf's JSON gives base64."""
    if isinstance(node, dict):
        return {
            k: base64.b64decode(v).hex()
            if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str)
            else _hex_ids(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_hex_ids(v) for v in node]
    return node


def _line(message: Any) -> str:
    from google.protobuf.json_format import MessageToDict

    data = MessageToDict(message, use_integers_for_enums=True)
    return json.dumps(_hex_ids(data), separators=(",", ":"))


def spread_faults(n: int, failures: int) -> list[tuple[int, int, int | str]]:
    """``failures`` single-request outages spread over ``n`` calls: 429, 500, reset in turn."""
    kinds: list[int | str] = [429, 500, "reset"]
    at = sorted({i * n // failures for i in range(failures)})
    return [(i, i + 1, kinds[k % 3]) for k, i in enumerate(at)]


async def _calls(n: int, faults: list[tuple[int, int, int | str]]) -> list[dict[str, Any]]:
    import httpx
    import openai

    from llmops.mock import MockHttpxTransport, MockTransport, load_profile, patch_profile

    outages = [
        {"start_request": lo, "end_request": hi, "status": status} for lo, hi, status in faults
    ]
    profile = patch_profile(load_profile("instant"), {"faults": {"outages": outages}})
    transport = MockHttpxTransport(MockTransport(profile, seed=1))
    client = openai.AsyncOpenAI(
        base_url="http://mock.invalid/v1",
        api_key="sk-test-not-a-key",
        max_retries=0,
        http_client=httpx.AsyncClient(transport=transport),
    )
    truth = []
    for i in range(n):
        try:
            await client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[
                    {"role": "system", "content": "Answer briefly."},
                    {"role": "user", "content": prompt(i)},
                ],
            )
            truth.append({"ok": True, "status": 200, "error": None})
        except openai.APIStatusError as exc:
            truth.append({"ok": False, "status": exc.status_code, "error": type(exc).__name__})
        except openai.APIConnectionError as exc:
            truth.append({"ok": False, "status": None, "error": type(exc).__name__})
    await client.close()
    return truth


def main(mode: str, out: Path, n: int, failures: int | None = None) -> dict[str, Any]:
    os.environ.update(MODES[mode])
    from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    resource = Resource.create({"service.name": "support-bot"})
    spans, logs = InMemorySpanExporter(), InMemoryLogRecordExporter()
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    OpenAIInstrumentor().instrument(
        tracer_provider=tracer_provider,
        logger_provider=logger_provider,
        meter_provider=MeterProvider(resource=resource),
    )
    faults = FAULTS if failures is None else spread_faults(n, failures)
    truth = asyncio.run(_calls(n, faults))
    finished, records = list(spans.get_finished_spans()), list(logs.get_finished_logs())
    span_lines = [
        _line(encode_spans(finished[i : i + BATCH])) for i in range(0, len(finished), BATCH)
    ]
    log_lines = [
        _line(encode_logs(records[i : i + LOG_BATCH])) for i in range(0, len(records), LOG_BATCH)
    ]
    lines: list[str] = []
    for i in range(max(len(span_lines), len(log_lines))):  # logs first: a join must wait
        lines += log_lines[i : i + 1] + span_lines[i : i + 1]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {
        "calls": len(truth),
        "failed": sum(not t["ok"] for t in truth),
        "statuses": [t["status"] for t in truth],
        "errors": [t["error"] for t in truth],
        "spans": len(finished),
        "log_records": len(records),
        "lines": len(lines),
    }


if __name__ == "__main__":
    failures = int(sys.argv[4]) if len(sys.argv) > 4 else None
    print(json.dumps(main(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), failures)))

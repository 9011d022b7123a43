"""The reporters render a finished ladder: JSON schema, Markdown, HTML chart."""

from __future__ import annotations

import json

import pytest

from llmops.reporters.loadtest_html import render_html
from llmops.reporters.loadtest_json import SCHEMA_VERSION, render_json
from llmops.reporters.loadtest_markdown import render_markdown
from llmops.workflows.loadtest import LoadtestOptions, LoadtestResult
from tests.loadtest.conftest import run

pytestmark = pytest.mark.anyio


@pytest.fixture
async def result() -> LoadtestResult:
    return await run(LoadtestOptions(levels=(2, 4, 8), requests=40))


async def test_json_has_the_versioned_schema_fields(result: LoadtestResult) -> None:
    data = json.loads(render_json(result))
    assert data["schema_version"] == SCHEMA_VERSION
    level = data["levels"][0]
    for key in ("concurrency", "requests", "success_rate", "errors_by_status", "throughput_rps"):
        assert key in level
    assert set(level["latency_ms"]) >= {"p50", "p90", "p95", "p99", "max"}
    assert data["knee"]["load"] == 8 and data["recommended_queue_limit"] == 7


async def test_markdown_marks_the_knee_row(result: LoadtestResult) -> None:
    rows = [line for line in render_markdown(result).splitlines() if line.startswith("| 8 ")]
    assert rows and rows[0].rstrip(" |").endswith("knee")


async def test_html_inlines_the_chart_with_the_knee(result: LoadtestResult) -> None:
    page = render_html(result)
    assert page.count("<svg") == 2 and "knee: 8" in page

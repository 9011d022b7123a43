"""The reporters render a finished ladder: JSON schema, Markdown, HTML chart (its data, its series)."""

from __future__ import annotations

import io
import json
import re
import sys
import xml.etree.ElementTree as ET

import pytest

from llmops.reporters.charts import load_figure
from llmops.reporters.loadtest_html import render_html
from llmops.reporters.loadtest_json import SCHEMA_VERSION, render_json
from llmops.reporters.loadtest_markdown import render_markdown
from llmops.reporters.loadtest_terminal import render_terminal
from llmops.workflows.loadtest import LoadtestOptions, LoadtestResult
from llmops.workflows.loadtest.chart import LoadCurve, load_curve
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


def svg_elements(page: str) -> list[ET.Element]:
    """Every inline ``<svg>`` of ``page``, parsed (raises unless it is well-formed XML)."""
    return [parse(m) for m in re.findall(r"<svg.*?</svg>", page, flags=re.S)]


def parse(svg: str) -> ET.Element:
    """The SVG's element tree, keeping comments: matplotlib writes each text there too."""
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    return ET.fromstring(svg, parser=parser)


def group(svg: ET.Element, gid: str) -> ET.Element:
    found = svg.find(f".//{{http://www.w3.org/2000/svg}}g[@id='{gid}']")
    assert found is not None, gid
    return found


def markers(g: ET.Element) -> int:
    return len(g.findall(".//{http://www.w3.org/2000/svg}use"))


async def test_the_chart_data_holds_each_level_and_the_knee(result: LoadtestResult) -> None:
    curve = load_curve(result)
    assert curve.loads == (2, 4, 8) and curve.load_label == "concurrent clients"
    assert curve.success_pct == tuple(lv.success_rate * 100 for lv in result.levels)
    assert curve.p99_ms == tuple((lv.latency_ms or {})["p99"] for lv in result.levels)
    assert curve.throughput_rps == tuple(lv.throughput_rps for lv in result.levels)
    assert curve.knee_load == 8
    assert curve.knee_label == f"knee: 8 ({result.verdict.knee.signal})"  # type: ignore[union-attr]


async def test_html_inlines_one_chart_with_every_series_and_the_knee(
    result: LoadtestResult,
) -> None:
    page = render_html(result)
    (svg,) = svg_elements(page)
    for series in ("success", "p99", "throughput"):
        assert markers(group(svg, f"loadtest-{series}")) == 3  # one marker per level
    label = group(svg, "loadtest-knee-label")
    assert "knee: 8" in ET.tostring(label, encoding="unicode")
    assert svg.findtext("{http://www.w3.org/2000/svg}title", "").startswith("Success rate")


def test_a_level_with_no_latency_draws_no_p99_marker() -> None:
    curve = LoadCurve("concurrent clients", (1, 2), (100.0, 0.0), (120.0, None), (5.0, 0.0))
    from llmops.reporters.charts import svg_of

    svg = parse(svg_of(load_figure(curve, "t"), "t", "t"))
    assert markers(group(svg, "t-success")) == 2
    assert markers(group(svg, "t-p99")) == 1


@pytest.mark.parametrize("knee_at", [0, 3])
def test_the_knee_label_stays_in_the_plot_clear_of_the_p99_numbers(knee_at: int) -> None:
    loads = (5.0, 10.0, 20.0, 40.0)
    curve = LoadCurve(
        "concurrent clients", loads, (100.0, 100.0, 99.0, 80.0), (700.0, 800.0, 900.0, 12000.0),
        (10.0, 20.0, 30.0, 31.0), knee_load=loads[knee_at], knee_label="knee: 40 (throughput)",
    )  # fmt: skip
    fig = load_figure(curve)
    fig.draw_without_rendering()
    ax, _throughput, p99_ax = fig.axes
    (label,) = [t for t in ax.texts if t.get_text().startswith("knee")]
    box = label.get_window_extent()
    plot = ax.get_window_extent()
    assert plot.x0 <= box.x0 and box.x1 <= plot.x1  # inside the plot, left to right
    numbers = [t.get_window_extent() for t in p99_ax.get_yticklabels() if t.get_text()]
    assert numbers and not any(box.overlaps(n) for n in numbers)


async def test_stream_report_styles_the_errors_column_and_no_other() -> None:
    streamed = await run(LoadtestOptions(levels=(2,), requests=10, stream=True))
    page = render_html(streamed)
    head = re.findall(r"<th( class=\"errors\")?>([^<]*)</th>", page)
    assert [name for cls, name in head if cls] == ["errors"]
    assert ("", "TPOT p50 ms") in head
    row = re.search(r"<tr>(<td.*?)</tr>", page)
    assert row is not None
    cells = re.findall(r"<td( class=\"errors\")?>", row.group(1))
    assert [i for i, cls in enumerate(cells) if cls] == [[n for _c, n in head].index("errors")]
    assert "nth-last-child" not in page  # styles go by column name, not by position


async def test_only_the_html_report_needs_matplotlib(
    result: LoadtestResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console

    monkeypatch.delitem(sys.modules, "llmops.reporters.charts")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # any import of it now fails
    console = Console(file=io.StringIO(), width=200)
    render_terminal(result, console)
    assert "knee" in console.file.getvalue()  # type: ignore[attr-defined]
    assert json.loads(render_json(result))["knee"]["load"] == 8
    assert "knee" in render_markdown(result)
    with pytest.raises(ImportError):
        render_html(result)

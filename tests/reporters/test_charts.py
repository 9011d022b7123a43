"""The one chart path: matplotlib without pyplot, loaded only to draw, deterministic SVG, and the
profile histograms drawn from the data the workflow computed."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from llmops.reporters.charts import histograms_figure, svg_of
from llmops.reporters.profile import render_html
from llmops.workflows.profile import ProfileOptions, ProfileResult, profile_logs
from llmops.workflows.profile.chart import CHART_FEATURES, MAX_BINS, outcome_histograms

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "scenarios" / "logs" / "openai.jsonl"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def result() -> ProfileResult:
    return profile_logs([str(SAMPLE)], ProfileOptions(detect_language=False, workers=1))


def parse(svg: str) -> ET.Element:
    """The SVG's element tree, keeping comments: matplotlib writes each text there too."""
    return ET.fromstring(svg, parser=ET.XMLParser(target=ET.TreeBuilder(insert_comments=True)))


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code`` (this process has long
    imported matplotlib)."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.splitlines()[-1]))


def test_histograms_hold_each_non_empty_bin_split_by_outcome(result: ProfileResult) -> None:
    hists = outcome_histograms(result)
    by_name = {d.feature: d for d in result.distributions}
    drawn = [f for f in CHART_FEATURES if f in by_name and any(b.n for b in by_name[f].bins)]
    assert len(drawn) >= 3 and [h.feature for h in hists] == drawn
    for hist in hists:
        bins = [b for b in by_name[hist.feature].bins if b.n][:MAX_BINS]
        assert hist.labels == tuple(b.label for b in bins)
        assert [o + f for o, f in zip(hist.ok, hist.failed, strict=True)] == [b.n for b in bins]
        assert hist.failure_pct == tuple(100 * b.failures / b.n for b in bins)


def test_profile_page_draws_every_bin_and_the_failure_rate_of_each_feature(
    result: ProfileResult,
) -> None:
    page = render_html(result)
    (svg,) = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    root = parse(svg)
    ids = [g.get("id", "") for g in root.iter()]
    for hist in outcome_histograms(result):
        n = len(hist.labels)
        assert len([i for i in ids if i.startswith(f"profile-{hist.feature}-ok-")]) == n
        assert len([i for i in ids if i.startswith(f"profile-{hist.feature}-failed-")]) == n
        rate = root.find(f".//{SVG}g[@id='profile-{hist.feature}-failure-rate']")
        assert rate is not None and len(rate.findall(f".//{SVG}use")) == n
        assert f"<!-- {hist.feature} by outcome -->" in svg


def test_bar_heights_are_proportional_to_the_counts(result: ProfileResult) -> None:
    hist = max(outcome_histograms(result), key=lambda h: len(h.labels))
    fig = histograms_figure([hist])
    bars = fig.axes[0].patches
    heights = [p.get_height() for p in bars]
    assert heights == [*hist.ok, *hist.failed]


def test_svg_is_deterministic_titled_undated_and_its_ids_are_the_chart_s_own(
    result: ProfileResult,
) -> None:
    hists = outcome_histograms(result)[:2]
    first = svg_of(histograms_figure(hists, "a"), "a", "first <chart>")
    assert first == svg_of(histograms_figure(hists, "a"), "a", "first <chart>")
    assert "dc:date" not in first and "<title>first &lt;chart&gt;</title>" in first
    second = svg_of(histograms_figure(hists, "b"), "b", "second")
    ids_a = {e.get("id") for e in parse(first).iter() if e.get("id")}
    ids_b = {e.get("id") for e in parse(second).iter() if e.get("id")}
    assert ids_a and ids_b and not ids_a & ids_b  # two charts can share a page
    refs = set(re.findall(r'(?:href="#|url\(#)([^")]+)', first))
    assert refs and refs <= ids_a  # every reference still resolves


def pyplot_uses(path: Path) -> list[int]:
    """Lines of ``path`` that import pyplot or name it in a string (``import_module``)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module or ""]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value] if node.value.strip().startswith("matplotlib") else []
        if any("pyplot" in n for n in names):
            lines.append(node.lineno)
    return lines


def test_no_module_imports_pyplot(tmp_path: Path) -> None:
    sources = sorted((ROOT / "llmops").rglob("*.py"))
    assert len(sources) > 10
    assert {str(p): pyplot_uses(p) for p in sources if pyplot_uses(p)} == {}
    planted = tmp_path / "planted.py"  # the check itself sees both spellings
    planted.write_text("from matplotlib import pyplot\nimport matplotlib.pyplot as plt\n")
    assert pyplot_uses(planted) == [1, 2]


def test_drawing_every_report_loads_matplotlib_but_never_pyplot(tmp_path: Path) -> None:
    code = (
        "from llmops.reporters.profile import render_html\n"
        "from llmops.workflows.profile import ProfileOptions, profile_logs\n"
        f"r = profile_logs([{str(SAMPLE)!r}], ProfileOptions(detect_language=False, workers=1))\n"
        "assert '<svg' in render_html(r)\n"
        "from llmops.reporters import eval_html\n"
        "from llmops.workflows.evals import EvalOutcome\n"
        "from tests.evals.conftest import make_run\n"
        "assert '<svg' in eval_html.render(EvalOutcome(make_run()))\n"
    )
    modules = modules_after(code)
    assert "matplotlib.figure" in modules
    assert "matplotlib.pyplot" not in modules


def test_the_cli_and_the_text_reports_never_load_matplotlib(result: ProfileResult) -> None:
    code = (
        "import llmops.cli.app\n"
        "from llmops.reporters import eval_html, eval_json, eval_junit, eval_markdown\n"
        "from llmops.reporters import eval_terminal, loadtest_html, loadtest_json\n"
        "from llmops.reporters import loadtest_markdown, loadtest_terminal\n"
        "from llmops.reporters.profile import render_html, render_json, render_markdown\n"
        "from llmops.workflows.profile import ProfileOptions, profile_logs\n"
        "from llmops.workflows.evals import EvalOutcome\n"
        "from tests.evals.conftest import make_run\n"
        f"r = profile_logs([{str(SAMPLE)!r}], ProfileOptions(detect_language=False, workers=1))\n"
        "render_json(r); render_markdown(r)\n"
        "o = EvalOutcome(make_run())\n"
        "for m in (eval_json, eval_junit, eval_markdown, eval_terminal): m.render(o)\n"
    )
    modules = modules_after(code)
    assert [m for m in modules if m.split(".")[0] == "matplotlib"] == []

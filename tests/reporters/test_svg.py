"""The hand-written SVG charts: well-formed, bars proportional to the data, every text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from llmops.reporters.svg import Bars, Line, bar_chart, nice_ticks

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything that is not well-formed XML


def rects(root: ET.Element, series: str) -> list[ET.Element]:
    return [
        r for r in root.iterfind(".//svg:rect[@data-series]", NS) if r.get("data-series") == series
    ]


def chart(**kw: object) -> str:
    options: dict[str, object] = {"title": "chars by outcome", "axis_label": "requests"}
    options.update(kw)
    return bar_chart(
        ["a", "b", "c"],
        [Bars("ok", [10, 40, 20], "#4e79a7"), Bars("failed", [0, 10, 5], "#e15759")],
        **options,  # type: ignore[arg-type]
    )


def test_one_bar_per_nonzero_value_with_heights_proportional_to_the_values() -> None:
    root = parse(chart())
    ok = [float(r.get("height", "nan")) for r in rects(root, "ok")]
    failed = [float(r.get("height", "nan")) for r in rects(root, "failed")]
    assert len(ok) == 3 and len(failed) == 2  # a zero value draws no bar
    assert ok[1] == pytest.approx(4 * ok[0], abs=0.02)
    assert ok[2] == pytest.approx(2 * ok[0], abs=0.02)
    assert failed[0] == pytest.approx(ok[0], abs=0.02)  # 10 failed in b, as tall as 10 ok in a
    assert failed[1] == pytest.approx(ok[0] / 2, abs=0.02)


def test_stacked_bars_sit_on_each_other_and_share_the_baseline() -> None:
    root = parse(chart())
    ok, failed = rects(root, "ok"), rects(root, "failed")
    bottoms = {round(float(r.get("y", "0")) + float(r.get("height", "0")), 1) for r in ok}
    assert len(bottoms) == 1  # every ok bar starts at the axis
    # b's failed segment ends where b's ok segment begins
    b_ok, b_failed = ok[1], failed[0]
    assert float(b_failed.get("y", "0")) + float(b_failed.get("height", "0")) == pytest.approx(
        float(b_ok.get("y", "0")), abs=0.02
    )
    assert b_ok.get("x") == b_failed.get("x")


def test_the_tallest_stack_fits_under_the_top_tick() -> None:
    root = parse(chart())
    ticks = [t.text for t in root.iterfind("svg:text", NS) if t.get("text-anchor") == "end"]
    assert "50" in ticks  # b: 40 + 10 = 50
    assert "60" not in ticks


def test_title_desc_and_legend_are_there_for_people_and_screen_readers() -> None:
    root = parse(chart(line=Line("failure rate", [0.0, 20.0, 20.0], "failed %", unit="%")))
    assert root.get("role") == "img"
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert title is not None and title.text == "chars by outcome"
    assert desc is not None and "ok and failed" in (desc.text or "")
    labelled_by = (root.get("aria-labelledby") or "").split()
    assert labelled_by == [title.get("id"), desc.get("id")]
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for word in ("ok", "failed", "failure rate", "requests", "failed %", "a", "b", "c"):
        assert word in texts
    assert (
        len(root.findall(".//svg:circle", NS)) == 3 + 1
    )  # a marker per category, one in the legend
    tips = [t.text for t in root.iterfind("svg:g[@class='bar']/svg:title", NS)]
    assert tips[1] == "b: 40 ok, 10 failed, failure rate 20%"


def test_every_text_is_escaped() -> None:
    nasty = '<script>alert("x")</script> & co'
    svg = bar_chart(
        [nasty, "≤10%"],
        [Bars(nasty, [1, 2], '"red'), Bars("failed", [1, 0], "#e15759")],
        title=nasty,
        axis_label=nasty,
        line=Line(nasty, [50.0, 0.0], nasty, unit="<%>"),
        chart_id='x" onload="alert(1)',
    )
    assert "<script" not in svg and 'onload="' not in svg
    root = parse(svg)
    assert (root.get("aria-labelledby") or "").split() == [
        "x-onload-alert-1-t",
        "x-onload-alert-1-d",
    ]
    title = root.find("svg:title", NS)
    assert title is not None and title.text == nasty  # escaped in the text, intact when parsed
    assert rects(root, nasty)[0].get("fill") == '"red'
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert "≤10%" in texts


def test_long_labels_are_shortened_and_rotated_with_the_full_label_in_the_tooltip() -> None:
    labels = [f"a rather long category label {i}" for i in range(8)]
    root = parse(
        bar_chart(labels, [Bars("ok", list(range(1, 9)), "#4e79a7")], title="t", axis_label="n")
    )
    drawn = [
        t for t in root.iterfind("svg:text", NS) if "rotate(-45)" in (t.get("transform") or "")
    ]
    assert len(drawn) == 8 and all(len(t.text or "") <= 14 for t in drawn)
    tips = [t.text for t in root.iterfind("svg:g[@class='bar']/svg:title", NS)]
    assert tips[0] == f"{labels[0]}: 1 ok"


def test_an_all_zero_chart_still_draws_axes() -> None:
    root = parse(bar_chart(["a"], [Bars("ok", [0], "#4e79a7")], title="t", axis_label="n"))
    assert rects(root, "ok") == []
    assert root.find("svg:line", NS) is not None


def test_series_of_the_wrong_length_are_refused() -> None:
    with pytest.raises(ValueError, match="ok"):
        bar_chart(["a", "b"], [Bars("ok", [1], "#4e79a7")], title="t", axis_label="n")


@pytest.mark.parametrize(
    ("high", "integer", "expected"),
    [
        (50, True, [0, 10, 20, 30, 40, 50]),
        (7, True, [0, 2, 4, 6, 8]),
        (1, True, [0, 1]),
        (12, True, [0, 5, 10, 15]),
        (12.5, False, [0, 2.5, 5, 7.5, 10, 12.5]),
        (0.3, False, [0, 0.1, 0.2, 0.3]),
        (0, False, [0, 0.2, 0.4, 0.6, 0.8, 1]),
    ],
)
def test_nice_ticks_are_round_and_cover_the_data(
    high: float, integer: bool, expected: list[float]
) -> None:
    assert nice_ticks(high, integer=integer) == expected

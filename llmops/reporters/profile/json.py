"""The profile result as JSON (machines, CI artefacts)."""

from __future__ import annotations

from typing import Any

import orjson

from llmops.workflows.profile import ProfileResult, Segment

__all__ = [
    "explains",
    "finding_lines",
    "no_findings",
    "render_json",
    "segment_dict",
    "summary_lines",
    "to_dict",
]

#: tested segments included in reports (findings always are)
MAX_SEGMENTS = 200


def segment_dict(seg: Segment) -> dict[str, Any]:
    """One segment as plain data."""
    return {
        "segment": seg.label,
        "conditions": {f: v for f, v in seg.conditions},
        "outcome": seg.kind,
        "n": seg.n,
        "failures": seg.failures,
        "rate": round(seg.rate, 6),
        "rate_ci95": [round(seg.interval[0], 6), round(seg.interval[1], 6)],
        "rest_rate": round(seg.rest_rate, 6),
        "difference_points": round(seg.difference * 100, 2),
        "p": seg.p_value,
        "p_bh": seg.q_value,
        "test": seg.method,
        "score": round(seg.score, 3),
        "finding": seg.finding,
        "sentence": seg.sentence if seg.finding else None,
        "explained_by": list(seg.explained_by),
        "conditional_difference_points": None
        if seg.conditional_difference is None
        else round(seg.conditional_difference * 100, 2),
        "conditional_p": seg.conditional_p,
    }


def explains(result: ProfileResult, finding: Segment) -> list[str]:
    """Labels of the proxy segments that ``finding`` accounts for (first-listed first, unique)."""
    out: list[str] = []
    for seg in result.segments:
        if finding.label in seg.explained_by and seg.label not in out:
            out.append(seg.label)
    return out


def finding_lines(result: ProfileResult, *, examples: int = 3) -> list[str]:
    """One line per finding: its sentence and, when it has any, the proxies it explains."""
    lines = []
    for seg in result.findings:
        line = seg.sentence
        proxies = explains(result, seg)
        if proxies:
            more = f" and {len(proxies) - examples} more" if len(proxies) > examples else ""
            line += f"; it also explains: {', '.join(proxies[:examples])}{more}"
        lines.append(line)
    return lines


def no_findings(result: ProfileResult) -> str:
    """What to say when there is no finding: why nothing could be tested, or that none held."""
    if result.untestable is not None:
        return f"No segment could be tested: {result.untestable}."
    t = result.thresholds
    return (
        f"No segment fails at least {t.min_effect * 100:g} points more often than the rest "
        f"(min support {t.min_support}, BH-adjusted p < {t.alpha:g})."
    )


def summary_lines(result: ProfileResult) -> list[str]:
    """Run summary as short lines shared by the text reporters."""
    rate = result.failures / result.requests if result.requests else 0.0
    lines = [
        f"{result.requests:,} requests from {len(result.sources)} file(s), {result.bytes_read / 1e6:,.1f} MB, "
        f"{result.failures:,} failed ({rate:.1%})",
        "formats: " + ", ".join(f"{k} {v:,}" for k, v in sorted(result.formats.items())),
        f"language detector: {result.language_detector or 'off'}",
    ]
    if result.interrupted is not None:
        lines.insert(0, f"PARTIAL: {result.interrupted} (Ctrl-C)")
    if result.problems.total:
        where = "; ".join(f"{s}:{n}: {k}" for s, n, k in result.problems.examples[:5])
        lines.append(
            f"unreadable: {result.problems.total:,} ("
            + ", ".join(f"{k} {v:,}" for k, v in result.problems.counts.items())
            + f"); first: {where}"
        )
    if result.skipped:
        lines.append("skipped: " + ", ".join(f"{k} {v:,}" for k, v in result.skipped.items()))
    return lines


def to_dict(result: ProfileResult) -> dict[str, Any]:
    """The whole result as plain data (what ``render_json`` serialises)."""
    t = result.thresholds
    return {
        "interrupted": result.interrupted,
        "sources": result.sources,
        "requests": result.requests,
        "failures": result.failures,
        "lines": result.lines,
        "bytes": result.bytes_read,
        "records": result.records,
        "formats": result.formats,
        "language_detector": result.language_detector,
        "time_range": result.time_range,
        "thresholds": {
            "min_support": t.min_support,
            "min_effect_points": t.min_effect * 100,
            "alpha": t.alpha,
        },
        "unreadable": {
            "counts": result.problems.counts,
            "first": [{"file": s, "line": n, "problem": k} for s, n, k in result.problems.examples],
        },
        "skipped": result.skipped,
        "untestable": result.untestable,
        "findings": [segment_dict(s) for s in result.findings],
        "segments": [segment_dict(s) for s in result.segments[:MAX_SEGMENTS]],
        "segments_tested": len(result.segments),
        "distributions": {
            d.feature: [{"bin": b.label, "n": b.n, "failures": b.failures} for b in d.bins]
            for d in result.distributions
        },
        "error_types": result.error_types,
        "fallbacks": result.fallbacks,
        "latency_ms_log2": {
            k: {str(b): c for b, c in sorted(v.items())} for k, v in result.latency_ms_log2.items()
        },
        "mean_output_tokens": result.mean_output_tokens,
        "baseline": None
        if result.shift_verdict is None
        else {
            "verdict": result.shift_verdict,
            "failure_rate": None
            if result.rate_change is None
            else {
                "baseline": result.rate_change.baseline_rate,
                "current": result.rate_change.current_rate,
                "p": result.rate_change.p_value,
            },
            "shifts": [
                {"feature": s.feature, "psi": round(s.psi, 6), "p": s.p_value, "shifted": s.shifted}
                for s in result.shifts
            ],
        },
    }


def render_json(result: ProfileResult) -> str:
    """Indented JSON text of :func:`to_dict`."""
    return orjson.dumps(
        to_dict(result), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    ).decode()

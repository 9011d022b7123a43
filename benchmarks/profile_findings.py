"""Profile findings against ground truth: planted causes are found, their proxies are not listed.

Seeded simulation of profiled logs, counted straight into a :class:`Tally` (the question is the
statistics, not the parsing). The request population has the proxies a real log has: German
inputs mostly fall in the 500-2,000-character bin, carry a small non-ASCII share and are
single-line; long inputs are multi-line, often code, and mostly come from the ``summarize``
feature. Three scenarios:

- ``planted``: failures rise 16 points for inputs over 2,000 characters and 14 points for German
  inputs. The numbered findings should be exactly those two segments.
- ``interaction``: only Spanish inputs with code fail more (+30 points); neither Spanish nor code
  alone does. The one finding should be that pair.
- ``null``: every request fails 6% of the time. There should be no finding.

Precision is the share of numbered findings that are planted causes, recall the share of planted
causes among the findings; the null false-finding rate is the share of null logs with any finding.
Run ``python benchmarks/profile_findings.py`` (``--quick`` for a smaller run); results go to
``benchmarks/results/profile_findings.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from llmops.workflows.profile.analysis import Thresholds, find_segments
from llmops.workflows.profile.calls import Call
from llmops.workflows.profile.tally import Tally

RESULTS = Path(__file__).resolve().parent / "results" / "profile_findings.json"

LANGUAGES = ("en", "de", "fr", "es", "ja")
LANGUAGE_SHARES = (0.58, 0.16, 0.11, 0.10, 0.05)
#: median input length per language (characters)
MEDIAN_CHARS = {"en": 260, "de": 900, "fr": 300, "es": 280, "ja": 200}
#: the planted causes, as segment conditions
LONG = (("length", 2),)
GERMAN = (("language", "de"),)
SPANISH_CODE = (("code", True), ("language", "es"))

Rate = Callable[[int, str, bool], float]


def planted(chars: int, language: str, code: bool) -> float:
    """Failure chance: 4%, +16 points over 2,000 characters, +14 points for German."""
    return 0.04 + (0.16 if chars > 2000 else 0.0) + (0.14 if language == "de" else 0.0)


def interaction(chars: int, language: str, code: bool) -> float:
    """Failure chance: 5%, 35% for Spanish inputs with code."""
    return 0.35 if language == "es" and code else 0.05


def null(chars: int, language: str, code: bool) -> float:
    """Failure chance: 6% for every request."""
    return 0.06


SCENARIOS: dict[str, tuple[Rate, list[tuple[tuple[str, Any], ...]]]] = {
    "planted": (planted, [LONG, GERMAN]),
    "interaction": (interaction, [SPANISH_CODE]),
    "null": (null, []),
}


def simulate(n: int, seed: int, rate: Rate) -> Tally:
    """A tally of ``n`` simulated requests whose failure chance is ``rate(chars, language, code)``."""
    rng = np.random.default_rng(seed)
    lang = rng.choice(len(LANGUAGES), size=n, p=LANGUAGE_SHARES)
    summarize = rng.random(n) < 0.2
    median = np.array([MEDIAN_CHARS[x] for x in LANGUAGES])[lang] * np.where(summarize, 5.0, 1.0)
    chars = np.maximum(30, rng.lognormal(np.log(median), 0.55)).astype(int)
    code = rng.random(n) < np.where(chars > 1500, 0.35, 0.08)
    lines = np.where(chars > 1500, rng.integers(6, 60, n), np.where(rng.random(n) < 0.8, 1, 3))
    lines = np.where(code, np.maximum(lines, 8), lines)
    share_by_lang = {"en": 0.0, "de": 0.03, "fr": 0.02, "es": 0.015, "ja": 0.8}
    informal = rng.poisson(0.6, n)
    turns = rng.integers(1, 8, n)
    draws = rng.random(n)
    kind = rng.random(n)
    tally = Tally()
    for i in range(n):
        language = LANGUAGES[lang[i]]
        c = int(chars[i])
        has_code = bool(code[i])
        share = share_by_lang[language] * (0.5 + rng.random()) if language != "en" else 0.0
        failed = draws[i] < rate(c, language, has_code)
        outcome = ("validation_failed" if kind[i] < 0.3 else "error") if failed else "ok"
        tokens = c if language == "ja" else c // 4
        call = Call(
            outcome=outcome,
            model="gpt-4o-mini",
            feature="summarize" if summarize[i] else "chat",
            turns=int(turns[i]),
            latency_s=1.0,
        )
        measured = (c, c // 6, int(lines[i]), tokens, has_code, language, min(share, 1.0),
                    int(informal[i]))  # fmt: skip
        tally.add_measured(measured, call)
    return tally


def score(tally: Tally, causes: list[tuple[tuple[str, Any], ...]]) -> dict[str, Any]:
    """The numbered findings of ``tally`` against the planted ``causes``."""
    findings = [s for s in find_segments(tally, Thresholds()) if s.finding]
    found = [s.conditions for s in findings]
    true = sum(1 for c in found if c in causes)
    return {
        "findings": [s.label for s in findings],
        "false_findings": [s.label for s in findings if s.conditions not in causes],
        "true": true,
        "false": len(found) - true,
        "recalled": sum(1 for c in causes if c in found),
        "exact": set(found) == set(causes) and len(found) == len(causes),
    }


def run(runs: dict[str, int], n: int, seed: int = 12) -> dict[str, Any]:
    """Every scenario ``runs[name]`` times; figures and per-run findings."""
    out: dict[str, Any] = {"requests_per_log": n, "seed": seed, "scenarios": {}}
    for name, count in runs.items():
        rate, causes = SCENARIOS[name]
        rows = [score(simulate(n, seed * 1000 + k, rate), causes) for k in range(count)]
        numbered = sum(r["true"] + r["false"] for r in rows)
        figures: dict[str, Any] = {
            "logs": count,
            "logs_with_any_finding": sum(1 for r in rows if r["true"] + r["false"]),
            "logs_exactly_the_causes": sum(1 for r in rows if r["exact"]),
            "numbered_findings": numbered,
            "precision": sum(r["true"] for r in rows) / numbered if numbered else None,
            "recall": sum(r["recalled"] for r in rows) / (len(causes) * count) if causes else None,
            "example": rows[0]["findings"],
            "false_findings_seen": sorted({f for r in rows for f in r["false_findings"]}),
        }
        out["scenarios"][name] = figures
    return out


def main() -> None:
    """Run the simulation, print the figures, write the results JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer logs (a smoke run)")
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()
    runs = {"planted": 5, "interaction": 5, "null": 20} if args.quick else {
        "planted": 30, "interaction": 30, "null": 100}  # fmt: skip
    start = time.perf_counter()
    result = run(runs, args.requests)
    result["seconds"] = round(time.perf_counter() - start, 1)
    for name, fig in result["scenarios"].items():
        print(f"{name}: {json.dumps(fig, default=str)}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"written {RESULTS} ({result['seconds']} s)")


if __name__ == "__main__":
    main()

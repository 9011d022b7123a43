"""Drift verdicts against ground truth: false alarms on quiet runs, detection of planted drops.

A seeded simulation of ``llmops eval --compare`` on synthetic histories (no engine, no network):
each replicate draws a suite whose cases pass with their own probabilities (Beta-distributed
around the mean, as a model at temperature does), lays out 7 daily runs, then

- **quiet**: an 8th run on the same model;
- **-8 points**: a model update (new model id) that breaks cases at random, each failing every
  trial from then on, until the suite's expected pass rate fell by about 8 points; the verdict of
  the same day, the next day and the third day (each day's run joins the history);
- **-4 points**: the same with 4 points, up to the third daily run;
- **MDD check**: drops drawn uniformly from 0 to 40 points (three times as many replicates), the
  re-run switched off, the same day: the drop caught half the time (linear interpolation of the
  binned detection rate) against the median minimum detectable drop the verdict printed.

Every verdict comes from :func:`llmops.workflows.evals.compare.compare` (what the CLI calls),
with the immediate re-run simulated as the eval workflow does it (:func:`plan_rerun`, the planned
cases drawn again from the current probabilities). The old rule (the compare of commit
``507e287``, loaded from git) judges the same runs side by side when ``--legacy`` is given.

    python benchmarks/drift_power.py                 # full grid, writes benchmarks/results/drift_power.json
    python benchmarks/drift_power.py --reps 40 --cells 60:0.89:1
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import types
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from llmops.workflows.evals.compare import DAY, Comparison, compare  # noqa: E402
from llmops.workflows.evals.records import CaseRecord, EvalRun  # noqa: E402
from llmops.workflows.evals.rerun import Rerun, plan_rerun  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "drift_power.json"
LEGACY_COMMIT = "507e287"
#: Beta concentration of the per-case pass probabilities (a + b)
CONCENTRATION = 5.0
HISTORY_DAYS = 7
#: the MDD check draws drops uniformly from 0 to this, on this many times the replicates
MDD_RANGE = 0.4
MDD_FACTOR = 3
T0 = 1_767_225_600.0

Compare = Callable[..., Any]


@dataclass(frozen=True)
class Cell:
    """One setting of the grid: cases, mean pass rate, repetitions per case."""

    cases: int
    mean: float
    repeat: int

    @property
    def label(self) -> str:
        return f"{self.cases}:{self.mean:g}:{self.repeat}"


def make_run(day: float, outcomes: Sequence[np.ndarray], model: str, ids: Sequence[str]) -> EvalRun:
    """An :class:`EvalRun` with ``outcomes[i][r]`` the r-th trial of case ``ids[i]``."""
    cases = [
        CaseRecord(ids[i], r, bool(ok), None, model_reported=model)
        for i, row in enumerate(outcomes)
        for r, ok in enumerate(row)
    ]
    at = T0 + day * DAY
    return EvalRun(uuid.uuid4().hex, "sim", at, at + 60, "s1", "c1", "g1", "sim", "m", cases)


def broken_cases(p: np.ndarray, drop: float, rng: np.random.Generator) -> np.ndarray:
    """Cases chosen at random until their summed pass probability (over the suite) is closest
    to ``drop``: breaking them lowers the expected pass rate by about ``drop``."""
    order = rng.permutation(len(p))
    cum = np.cumsum(p[order]) / len(p)
    k = int(np.argmin(np.abs(cum - drop))) + 1
    return order[:k]


@dataclass
class Replicate:
    """One suite and its history; verdicts are drawn day by day."""

    cell: Cell
    rng: np.random.Generator
    p: np.ndarray = field(init=False)
    ids: list[str] = field(init=False)
    history: list[EvalRun] = field(init=False)

    def __post_init__(self) -> None:
        c = self.cell
        a, b = c.mean * CONCENTRATION, (1 - c.mean) * CONCENTRATION
        self.p = self.rng.beta(a, b, c.cases)
        self.ids = [f"c{i}" for i in range(c.cases)]
        self.history = [self.day(d, self.p, "m-1") for d in range(HISTORY_DAYS)]

    def draw(self, p: np.ndarray) -> np.ndarray:
        return self.rng.random((len(p), self.cell.repeat)) < p[:, None]

    def draw_n(self, p: np.ndarray, repeats: Sequence[int]) -> list[np.ndarray]:
        return [self.rng.random(n) < pi for pi, n in zip(p, repeats, strict=True)]

    def day(self, day: float, p: np.ndarray, model: str) -> EvalRun:
        return make_run(day, self.draw(p), model, self.ids)

    def verdict(
        self, run: EvalRun, history: list[EvalRun], p_now: np.ndarray, *, rerun: bool = True
    ) -> tuple[Comparison, int]:
        """The verdict of ``run``, with the re-run when asked; returns it and the extra calls."""
        c = compare(run, history, rerun_design=rerun, advice=False)
        if not c.needs_rerun:
            return c, 0
        plan = plan_rerun(run, [t for t in {x.case_id for x in run.cases}], seed=len(history))
        idx = np.array([self.ids.index(k) for k in plan.cases], dtype=np.int64)
        again = make_run(
            (run.started_at - T0) / DAY,
            self.draw_n(p_now[idx], [plan.repeats[self.ids[i]] for i in idx]),
            run.model_reported or "",
            [self.ids[i] for i in idx],
        )
        return compare(run, history, rerun=Rerun(plan, again, 0.0), advice=False), plan.calls


def run_cell(cell: Cell, reps: int, seed: int, legacy: Compare | None) -> dict[str, Any]:
    """All scenarios of one cell; counts of each verdict."""
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {"cell": cell.label, "reps": reps}
    tally: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        tally.setdefault(key, []).append(value)

    for _ in range(reps):
        rep = Replicate(cell, rng)
        quiet = rep.day(HISTORY_DAYS, rep.p, "m-1")
        c, calls = rep.verdict(quiet, rep.history, rep.p)
        add("quiet_regression", c.status == "REGRESSION")
        add("quiet_warn", c.status == "WARN")
        add("quiet_rerun_calls", calls)
        add("mdd_printed", c.min_detectable_drop)
        if legacy is not None:
            old = legacy(quiet, rep.history).status
            add("old_quiet_regression", old == "REGRESSION")
            add("old_quiet_warn", old == "WARN")
        for drop, days, key in ((0.08, 2, "drop8"), (0.04, 3, "drop4")):
            broken = broken_cases(rep.p, drop, rng)
            p_new = rep.p.copy()
            p_new[broken] = 0.0
            add(f"{key}_true", float(rep.p[broken].sum() / cell.cases))
            history = list(rep.history)
            caught = False
            for k in range(days):
                run = rep.day(HISTORY_DAYS + k, p_new, "m-2")
                c, calls = rep.verdict(run, history, p_new)
                caught = caught or c.status == "REGRESSION"
                add(f"{key}_day{k + 1}", caught)
                add(f"{key}_day{k + 1}_rerun_calls", calls)
                if legacy is not None:
                    add(f"old_{key}_day{k + 1}", legacy(run, history).status == "REGRESSION")
                history.append(run)
    # MDD check: the first stage alone (no re-run design), a random drop, the same day
    for _ in range(MDD_FACTOR * reps):
        rep = Replicate(cell, rng)
        broken = broken_cases(rep.p, float(rng.uniform(0.0, MDD_RANGE)), rng)
        p_new = rep.p.copy()
        p_new[broken] = 0.0
        run = rep.day(HISTORY_DAYS, p_new, "m-2")
        c, _ = rep.verdict(run, rep.history, p_new, rerun=False)
        add("mdd_drop", float(rep.p[broken].sum() / cell.cases))
        add("mdd_caught", c.status == "REGRESSION")
        add("mdd_printed_no_rerun", c.min_detectable_drop)
    for key, values in tally.items():
        if key in ("mdd_drop", "mdd_caught"):
            continue
        out[key] = float(np.mean(values))
    out["mdd_printed_no_rerun"] = float(np.median(tally["mdd_printed_no_rerun"]))
    out["mdd_simulated"] = half_point(tally["mdd_drop"], tally["mdd_caught"])
    out["_mdd_points"] = list(zip(tally["mdd_drop"], tally["mdd_caught"], strict=True))
    return out


def half_point(drops: Sequence[float], caught: Sequence[float], width: float = 0.02) -> float:
    """The drop caught half the time: the binned detection rate interpolated at 0.5."""
    d = np.asarray(drops)
    y = np.asarray(caught, dtype=float)
    edges = np.arange(0.0, d.max() + width, width)
    centers, rates = [], []
    for lo in edges:
        sel = (d >= lo) & (d < lo + width)
        if sel.sum() >= 3:
            centers.append(lo + width / 2)
            rates.append(y[sel].mean())
    rates_arr = np.maximum.accumulate(np.asarray(rates))  # detection rises with the drop
    above = np.nonzero(rates_arr >= 0.5)[0]
    if not above.size:
        return float("inf")
    i = int(above[0])
    if i == 0:
        return float(centers[0])
    x0, x1, y0, y1 = centers[i - 1], centers[i], rates_arr[i - 1], rates_arr[i]
    return float(x0 + (0.5 - y0) * (x1 - x0) / (y1 - y0)) if y1 > y0 else float(x1)


def _legacy_module(
    path: str, name: str, replace: tuple[str, str] | None = None
) -> types.ModuleType:
    src = subprocess.run(
        ["git", "show", f"{LEGACY_COMMIT}:{path}"], cwd=ROOT, capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    if replace is not None:
        src = src.replace(*replace)
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(src, f"{name}.py", "exec"), module.__dict__)
    return module


def legacy_compare() -> Compare | None:
    """The old rule's ``compare`` (commit 507e287, with its statistics module), or None outside
    a git checkout."""
    try:
        _legacy_module("llmops/stats/drift.py", "legacy_drift")
        module = _legacy_module(
            "llmops/workflows/evals/compare.py",
            "legacy_compare",
            ("from llmops.stats.drift import", "from legacy_drift import"),
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    fn: Compare = module.compare
    return fn


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The results as a Markdown table (the new rule, and the old one when measured)."""
    legacy = "old_quiet_warn" in rows[0]
    head = "| cases:mean:repeat | quiet REGRESSION | quiet WARN | -8 same day | -8 by next day | -4 by day 3 | MDD printed / simulated | re-run calls (-8, day 1) |"
    if legacy:
        head += " old rule: quiet WARN, -8 same day, -4 by day 3 |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        line = (
            f"| {r['cell']} | {r['quiet_regression']:.0%} | {r['quiet_warn']:.0%} | "
            f"{r['drop8_day1']:.0%} | {r['drop8_day2']:.0%} | {r['drop4_day3']:.0%} | "
            f"{r['mdd_printed_no_rerun'] * 100:.1f} / {r['mdd_simulated'] * 100:.1f} | "
            f"{r['drop8_day1_rerun_calls']:.0f} |"
        )
        if legacy:
            line += f" {r['old_quiet_warn']:.0%}, {r['old_drop8_day1']:.0%}, {r['old_drop4_day3']:.0%} |"
        lines.append(line)
    return "\n".join(lines)


GRID = [Cell(n, m, r) for n in (30, 60, 200) for m in (0.70, 0.89, 0.98) for r in (1, 3)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100, help="replicates per cell")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--cells", nargs="*", help="cells as CASES:MEAN:REPEAT (default: grid)")
    parser.add_argument("--legacy", action="store_true", help="also judge with the old rule")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    args = parser.parse_args(argv)
    cells = (
        [Cell(int(a), float(b), int(c)) for a, b, c in (x.split(":") for x in args.cells)]
        if args.cells
        else GRID
    )
    legacy = legacy_compare() if args.legacy else None
    started = time.monotonic()
    rows = []
    head = (
        f"{'cell':>12} {'quietR':>7} {'quietW':>7} {'-8 d1':>6} {'-8 d2':>6} {'-4 d3':>6} "
        f"{'MDD pr':>7} {'MDD sim':>7} {'calls':>6}"
    )
    print(head + ("   old: quietR quietW -8d1 -8d2 -4d3" if legacy else ""))
    for i, cell in enumerate(cells):
        row = run_cell(cell, args.reps, args.seed + i, legacy)
        rows.append(row)
        line = (
            f"{cell.label:>12} {row['quiet_regression']:7.1%} {row['quiet_warn']:7.1%} "
            f"{row['drop8_day1']:6.0%} {row['drop8_day2']:6.0%} {row['drop4_day3']:6.0%} "
            f"{row['mdd_printed_no_rerun'] * 100:7.1f} {row['mdd_simulated'] * 100:7.1f} "
            f"{row['drop8_day1_rerun_calls']:6.1f}"
        )
        if legacy:
            line += (
                f"   {row['old_quiet_regression']:6.1%} {row['old_quiet_warn']:6.1%} "
                f"{row['old_drop8_day1']:4.0%} {row['old_drop8_day2']:4.0%} {row['old_drop4_day3']:4.0%}"
            )
        print(line, flush=True)
    summary = {
        "quiet_regression": float(np.mean([r["quiet_regression"] for r in rows])),
        "quiet_warn": float(np.mean([r["quiet_warn"] for r in rows])),
    }
    print(
        f"pooled quiet runs: REGRESSION {summary['quiet_regression']:.2%}, WARN {summary['quiet_warn']:.2%}"
    )
    elapsed = time.monotonic() - started
    print(f"{len(cells)} cells x {args.reps} replicates in {elapsed:.0f} s")
    if args.markdown:
        print(markdown(rows))
    if args.out and args.out.name:
        for r in rows:
            r.pop("_mdd_points", None)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps(
                {
                    "seed": args.seed,
                    "reps": args.reps,
                    "concentration": CONCENTRATION,
                    "seconds": round(elapsed, 1),
                    "summary": summary,
                    "cells": rows,
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

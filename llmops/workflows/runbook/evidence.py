"""Questions 3 and 4: answers read from evidence (the loadtest report, the eval history).

Each answer names its source, the evidence's age and provenance, and one line of numbers; a
missing, stale or mismatched piece of evidence says which, and the command that produces it.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import orjson

from llmops.config import LlmopsConfig, RunbookEvidence, RunbookFeature
from llmops.stats.drift import min_detectable_drop
from llmops.stores.history import DEFAULT_HISTORY, HistoryStore, open_history
from llmops.workflows.evals.compare import compare
from llmops.workflows.evals.records import EvalRun
from llmops.workflows.runbook.model import Answer, Evidence, Status

LOADTEST_SCHEMA = "llmops.loadtest"


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def read_loadtest(path: Path) -> dict[str, Any]:
    """The report's JSON; raises ``ValueError`` naming what is wrong with it."""
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{path} is not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != LOADTEST_SCHEMA:
        raise ValueError(f"{path} is not an llmops loadtest report (schema {LOADTEST_SCHEMA})")
    return data


def _report_time(data: dict[str, Any]) -> float | None:
    try:
        at = dt.datetime.fromisoformat(str(data.get("started_at")))
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    return at.timestamp()


def loadtest_answer(
    cfg: LlmopsConfig,
    feature: str,
    rb: RunbookFeature,
    evidence: RunbookEvidence,
    *,
    now: float,
    config_path: str,
) -> Answer:
    """Question 3: p95 and success rate at the declared peak, from a loadtest report."""
    path = Path(rb.loadtest_report or evidence.loadtest)
    key = f"runbook.features.{feature}"
    if rb.peak_concurrency is None or rb.p95_budget is None:
        missing = "peak_concurrency" if rb.peak_concurrency is None else "p95_budget"
        return Answer(3, "fail", f"no {missing} declared", fix=f"set {key}.{missing}")
    peak, budget = rb.peak_concurrency, rb.seconds("p95_budget") or 0.0
    command = (
        f"llmops loadtest --config {config_path} --feature {feature} "
        f"--levels {max(1, peak // 2)},{peak} --report-dir {path.parent}"
    )
    if path.name != "loadtest-latest.json":
        command += f" && cp {path.parent / 'loadtest-latest.json'} {path}"
    if not path.is_file():
        return Answer(3, "fail", f"no loadtest report at {path}", fix=f"run: {command}")
    try:
        data = read_loadtest(path)
    except (OSError, ValueError) as exc:
        return Answer(3, "fail", str(exc), fix=f"run: {command}")
    at = _report_time(data)
    age = None if at is None else max(0.0, now - at)
    source = Evidence(
        "loadtest", str(path), age, f"{data.get('target')} at {data.get('started_at')}"
    )
    max_age = evidence.seconds_max_age()
    found = cfg.provider_for(cfg.features[feature])
    model = cfg.model_for(cfg.features[feature])
    target = str(data.get("target", ""))
    problems: list[str] = []
    if age is None or age > max_age:
        shown = "unknown" if age is None else _age(age)
        return Answer(3, "stale", f"loadtest report {path} is {shown} old (max_age {evidence.max_age})",
                      fix=f"run: {command}", evidence=[source])  # fmt: skip
    if (
        found is not None
        and found[1].base_url not in target
        and f"provider {found[0]} " not in target
    ):
        problems.append(
            f"the report is for {target!r}, not provider {found[0]} ({found[1].base_url})"
        )
    if target.startswith("feature ") and not target.startswith(f"feature {feature} "):
        problems.append(f"the report is for another feature ({target!r})")
    if data.get("model") != model:
        problems.append(
            f"the report is for model {data.get('model')!r}, the feature uses {model!r}"
        )
    if problems:
        return Answer(3, "fail", "; ".join(problems), fix=f"run: {command}", evidence=[source])
    levels = [lv for lv in data.get("levels", []) if isinstance(lv.get("concurrency"), int)]
    reached = sorted(
        (lv for lv in levels if lv["concurrency"] >= peak), key=lambda lv: lv["concurrency"]
    )
    if not reached:
        top = max((lv["concurrency"] for lv in levels), default=0)
        return Answer(3, "fail", f"peak not reached: the highest level was {top}, the declared peak is {peak}",
                      fix=f"run: {command}", evidence=[source])  # fmt: skip
    level = reached[0]
    latency = level.get("latency_ms") or {}
    p95 = latency.get("p95")
    requests = int(level.get("requests") or 0)
    ok = int(level.get("ok") or 0)
    success = ok / requests if requests else 0.0
    numbers = (
        f"at {level['concurrency']} concurrent: p95 "
        f"{'n/a' if p95 is None else f'{p95 / 1000:.2f}s'} (budget {budget:g}s), "
        f"model answers {success:.1%} (floor {rb.success_floor:.1%}) of {requests}"
    )
    if p95 is None or p95 / 1000 > budget:
        problems.append(f"p95 over budget at the peak (budget {rb.p95_budget})")
    if success < rb.success_floor:
        problems.append(f"model answered {success:.1%} < success_floor {rb.success_floor:.1%}")
    if problems:
        fix = f"make the feature faster or more reliable, or revise {key}.p95_budget/success_floor"
        return Answer(3, "fail", "; ".join(problems), fix=fix, numbers=numbers, evidence=[source])
    return Answer(3, "pass", f"p95 within budget at the peak of {peak}", numbers=numbers,
                  evidence=[source])  # fmt: skip


def open_history_readonly(location: str | None) -> HistoryStore | None:
    """The eval history, or None when a SQLite file does not exist (never created here)."""
    location = location or DEFAULT_HISTORY
    if not location.startswith(("postgresql://", "postgres://")) and not Path(location).is_file():
        return None
    return open_history(location)


def on_schedule(runs: list[EvalRun], every_s: float) -> list[EvalRun]:
    """Runs kept at the declared pace: oldest first, each at least half a period after the last."""
    kept: list[EvalRun] = []
    for run in sorted(runs, key=lambda r: r.started_at):
        if not kept or run.started_at - kept[-1].started_at >= every_s / 2:
            kept.append(run)
    return kept


def trials_needed(threshold: float, alpha: float = 0.01, limit: int = 100_000) -> int | None:
    """The fewest paired trials whose minimum detectable drop is at most ``threshold``."""
    lo, hi = 1, limit
    if min_detectable_drop(hi, alpha=alpha) > threshold:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if min_detectable_drop(mid, alpha=alpha) <= threshold:
            hi = mid
        else:
            lo = mid + 1
    return lo


def drift_answer(
    feature: str, rb: RunbookFeature, evidence: RunbookEvidence, *, now: float, config_path: str
) -> Answer:
    """Question 4: the eval suite runs on its schedule, with a verdict and the model recorded."""
    key = f"runbook.features.{feature}"
    if rb.eval_suite is None:
        return Answer(4, "fail", "no eval suite declared", fix=f"set {key}.eval_suite")
    suite, every = rb.eval_suite, rb.seconds("eval_every") or 86400.0
    window = rb.seconds("eval_window") or 7 * 86400.0
    location = evidence.history or DEFAULT_HISTORY
    command = (
        f"llmops eval {suite} --config {config_path} --feature {feature} --compare "
        f"--every {rb.eval_every} --history {location}"
    )
    store = open_history_readonly(evidence.history)
    if store is None:
        return Answer(4, "fail", f"no eval history at {location}", fix=f"schedule: {command}")
    try:
        runs = [r for r in store.query(suite, since=now - window) if r.started_at <= now]
    finally:
        store.close()
    source = Evidence("eval-history", location, None, f"suite {suite}")
    if not runs:
        return Answer(4, "fail", f"no run of suite {suite} in the last {rb.eval_window}",
                      fix=f"schedule: {command}", evidence=[source])  # fmt: skip
    latest = max(runs, key=lambda r: r.started_at)
    source.age_s = max(0.0, now - latest.started_at)
    source.provenance = f"suite {suite}, latest run {latest.run_id} on {latest.target}"
    paced = on_schedule(runs, every)
    verdict = compare(latest, runs, window_s=window, threshold=rb.alert_threshold)
    numbers = (
        f"{len(runs)} runs in {rb.eval_window} ({len(paced)} at the pace of {rb.eval_every}); "
        f"latest {_age(source.age_s)} ago: pass rate {latest.pass_rate:.1%}, verdict "
        f"{verdict.status}, model {latest.model_reported or 'not recorded'}"
    )
    slack = rb.seconds("eval_slack")
    if source.age_s > every + (every / 2 if slack is None else slack):
        return Answer(4, "stale", f"no recent eval run: the latest is {_age(source.age_s)} old, "
                      f"the schedule is every {rb.eval_every}", fix=f"schedule: {command}",
                      numbers=numbers, evidence=[source])  # fmt: skip
    if len(paced) < 3:
        return Answer(4, "fail", f"not a schedule: {len(paced)} run(s) at the declared pace "
                      f"(every {rb.eval_every}) in the last {rb.eval_window}, 3 needed",
                      fix=f"schedule: {command}", numbers=numbers, evidence=[source])  # fmt: skip
    if latest.model_reported is None:
        return Answer(4, "fail", "the latest run recorded no model version",
                      fix="make the target report response.model", numbers=numbers,
                      evidence=[source])  # fmt: skip
    if verdict.status == "REGRESSION":
        return Answer(4, "fail", f"REGRESSION: {verdict.attribution}",
                      fix=f"look at the latest eval report; run: llmops eval {suite} --compare",
                      numbers=numbers, evidence=[source])  # fmt: skip
    mdd = verdict.min_detectable_drop
    if not math.isfinite(mdd) or mdd > rb.alert_threshold:
        need = trials_needed(rb.alert_threshold)
        shown = "no drop" if not math.isfinite(mdd) else f"drops of {mdd:.1%} or more"
        return Answer(4, "warn", f"the suite sees {shown}; the alert threshold is {rb.alert_threshold:.1%}",
                      fix=f"add cases or repeats: about {need or 'many'} trials per run, {latest.total} now",
                      numbers=numbers, evidence=[source])  # fmt: skip
    status: Status = "warn" if verdict.status == "WARN" else "pass"
    message = f"suite {suite} runs every {rb.eval_every}; verdict {verdict.status}"
    fix = "look at the latest eval report" if status == "warn" else ""
    return Answer(4, status, message, fix=fix, numbers=numbers, evidence=[source])

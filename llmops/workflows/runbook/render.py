"""``RUNBOOK.md``: the on-call runbook, written from the configuration and a check's answers.

Per feature, the six answers in plain words (numbers, dates, report paths, drill results) and
what to do when each breaks. A stale, failed or waived answer is marked as such, never hidden.
"""

from __future__ import annotations

import datetime as dt

from llmops.config import LlmopsConfig, RunbookConfig, RunbookFeature
from llmops.stores.history import DEFAULT_HISTORY
from llmops.workflows.runbook.model import QUESTIONS, Answer, RunbookResult

_MARK = {
    "pass": "verified",
    "waived": "WAIVED",
    "warn": "WARNING",
    "stale": "STALE",
    "inconclusive": "NOT PROVEN",
    "fail": "FAILED",
    "error": "NOT CHECKED (error)",
}


def _num(x: float | None) -> str:
    return "no" if x is None else f"{x:g}"


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _status_line(a: Answer) -> list[str]:
    out = [f"*Status: {_MARK[a.status]}* — {a.message}"]
    if a.numbers:
        out.append(f"Numbers: {a.numbers}.")
    for e in a.evidence:
        age = "" if e.age_s is None else f", {e.age_s / 3600:.1f} h old"
        out.append(
            f"Evidence: {e.kind} `{e.source}`{age}{f' ({e.provenance})' if e.provenance else ''}."
        )
    if a.waiver:
        out.append(f"Waiver: {a.waiver}.")
    if a.status not in ("pass", "waived") and a.fix:
        out.append(f"To fix: {a.fix}.")
    return out


def _playbook(
    q: int, cfg: LlmopsConfig, name: str, rb: RunbookFeature, runbook: RunbookConfig
) -> list[str]:
    feat = cfg.features[name]
    fb = feat.fallback
    found = cfg.provider_for(feat)
    provider = found[0] if found else "?"
    if q == 1:
        what = rb.when_down or "(not declared: set runbook.features." + name + ".when_down)"
        steps = [
            f"The user sees: {what}",
            f"The `{fb.strategy}` fallback answers while the API is down.",
        ]
        if fb.strategy == "queue":
            steps.append(
                f"Afterwards drain the queue `{fb.path}`: `engine.reprocess_queue({name!r}).pending()`, "
                "call again, then `.done(id)` for each item reprocessed."
            )
        return steps
    if q == 2:
        lim = cfg.limits
        return [
            f"Declared: {_num(lim.requests_per_minute)} requests/min, {_num(lim.tokens_per_minute)} "
            f"tokens/min, {lim.max_concurrency} in flight, {lim.queue_limit} queued (beyond: shed with 429).",
            f"Instances: {cfg.state.instances} ({cfg.state.backend} state). When callers see 429s or waits: check the provider's "
            "console for the account's limits, lower `limits.*` or `max_concurrency`, then redeploy.",
        ]
    if q == 3:
        return [
            f"Peak: {rb.peak_concurrency or '?'} concurrent; budget p95 {rb.p95_budget or '?'}; "
            f"success floor {rb.success_floor:.1%}.",
            f"When latency climbs: read the loadtest report `{rb.loadtest_report or runbook.evidence.loadtest}` "
            "(knee, recommended queue limit); shed load with `limits.queue_limit`.",
        ]
    if q == 4:
        history = runbook.evidence.history or DEFAULT_HISTORY
        return [
            f"Suite `{rb.eval_suite or '?'}` runs every {rb.eval_every} into the eval history `{history}`; "
            f"alert at a drop of {rb.alert_threshold:.1%}.",
            f"On a REGRESSION: `llmops eval {rb.eval_suite or 'SUITE'} --compare` names the model change; "
            "pin the previous model id (e.g. `model: ${MODEL:-old-id}`) while it is investigated.",
        ]
    if q == 5:
        return [f"Fallback: `{fb.strategy}` ({fb.model_dump(exclude={'strategy'})})."]
    b = cfg.breaker
    return [
        f"Opens at a failure rate of {b.failure_rate_threshold:g} over at least {b.minimum_calls} calls "
        f"in {b.window_s:g}s; stays open {b.open_s:g}s, then {b.half_open_probes} probe(s).",
        f"Open it by hand: `engine.open_circuit({provider!r})`; close it: "
        f"`engine.close_circuit({provider!r})` (takes effect at once).",
    ]


def render_runbook(cfg: LlmopsConfig, result: RunbookResult) -> str:
    """The Markdown of ``RUNBOOK.md``."""
    runbook = cfg.runbook or RunbookConfig()
    verdict = "ready" if result.ready else "NOT ready"
    lines = [
        "# Runbook",
        "",
        f"Written by `llmops runbook render` from `{result.config_path}` on {_when(result.checked_at)}; "
        f"the check said: **{verdict}**. Do not edit by hand: change the config and render again.",
    ]
    for report in result.features:
        rb = runbook.features.get(report.name, RunbookFeature())
        lines += ["", f"## {report.name}", "", f"Owner: {report.owner or '(not declared)'}"]
        for a in report.answers:
            lines += ["", f"### {a.question}. {QUESTIONS[a.question]}", ""]
            lines += [f"- {line}" for line in _playbook(a.question, cfg, report.name, rb, runbook)]
            lines += [f"- {line}" for line in _status_line(a)]
    if result.unused_waivers:
        lines += ["", "## Unused waivers", ""] + [f"- {w}" for w in result.unused_waivers]
    return "\n".join(lines) + "\n"

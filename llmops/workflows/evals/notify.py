"""``--notify URL``: post a verdict to a webhook (JSON with a Slack-compatible ``text`` field)."""

from __future__ import annotations

from typing import Any

import httpx

from llmops.errors import LlmopsError
from llmops.workflows.evals.compare import Comparison
from llmops.workflows.evals.records import EvalRun


class NotifyError(LlmopsError):
    """The webhook could not be reached or did not answer 2xx."""


def notification(run: EvalRun, comparison: Comparison) -> dict[str, Any]:
    """The JSON body: ``text`` for Slack-style webhooks, and the figures as fields."""
    c = comparison
    text = (
        f"llmops eval {run.suite}: {c.status} — pass rate {c.current.rate:.1%} vs "
        f"{c.baseline.rate:.1%} ({c.difference.diff * 100:+.1f} points, {c.test.name} "
        f"p={c.test.p_value:.2g}); {c.attribution}"
    )
    if c.flipped:
        names = ", ".join(t.case_id for t in c.flipped[:5])
        text += f"; flipped to fail: {names}" + (" …" if len(c.flipped) > 5 else "")
    return {
        "text": text,
        "suite": run.suite,
        "status": c.status,
        "run_id": run.run_id,
        "pass_rate": c.current.rate,
        "baseline_pass_rate": c.baseline.rate,
        "difference_points": c.difference.diff * 100,
        "p_value": c.test.p_value,
        "test": c.test.name,
        "cause": c.cause,
        "attribution": c.attribution,
        "model_before": c.model_before,
        "model_now": c.model_now,
        "flipped": [t.case_id for t in c.flipped],
    }


async def notify(
    url: str,
    body: dict[str, Any],
    *,
    client: httpx.AsyncClient | None = None,
    timeout_s: float = 10.0,
) -> None:
    """POST ``body`` as JSON to ``url``; raise :class:`NotifyError` unless it answers 2xx."""
    own = client is None
    http = client or httpx.AsyncClient(timeout=timeout_s)
    try:
        response = await http.post(url, json=body)
    except httpx.HTTPError as exc:
        raise NotifyError(f"notify: cannot reach the webhook: {type(exc).__name__}") from None
    finally:
        if own:
            await http.aclose()
    if not 200 <= response.status_code < 300:
        raise NotifyError(f"notify: the webhook answered HTTP {response.status_code}")

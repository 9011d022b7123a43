"""The docs' Prometheus rules query metrics the engine really exports, by their Prometheus names.

The names come from the OpenTelemetry Prometheus exporter, fed by an engine run that retries a
429, fails a validation and opens its breaker.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from llmops import Engine, FeatureUnavailable
from llmops.telemetry.otel import OtelObserver
from tests.engine.conftest import Upstream, make_config
from tests.telemetry.test_otel_observer import MSG, scripted

DOC = Path(__file__).resolve().parents[2] / "docs" / "opentelemetry.md"
#: the words of PromQL that are not names
PROMQL = {"sum", "by", "rate", "increase", "avg_over_time", "offset", "and", "unless", "on"}


def rules() -> list[dict[str, Any]]:
    blocks = re.findall(r"```yaml\n(groups:.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    (group,) = yaml.safe_load(blocks[0])["groups"]
    found: list[dict[str, Any]] = group["rules"]
    return found


async def exposition() -> tuple[set[str], set[str]]:
    """(sample names, label names) the Prometheus exporter serves after a varied engine run."""
    registry = CollectorRegistry()
    provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=registry)])
    observer = OtelObserver(meter_provider=provider)
    cfg = make_config(
        features={"f": {"validation": {"json": True}}},
        breaker={"enabled": True, "minimum_calls": 2, "failure_rate_threshold": 0.5},
        retry={"max_attempts": 2},
    )
    async with Engine(cfg, transport=scripted(429).transport(), observers=[observer]) as e:
        await e.call(MSG)  # a 429, then an answer
        with pytest.raises(FeatureUnavailable):
            await e.call(MSG, feature="f")  # not JSON

    async def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"error": {"message": "x", "type": "server_error"}})

    async with Engine(cfg, transport=Upstream(down).transport(), observers=[observer]) as e:
        for _ in range(3):
            with pytest.raises(FeatureUnavailable):
                await e.call(MSG)
    text = generate_latest(registry).decode()
    provider.shutdown()
    samples = [s for fam in text_string_to_metric_families(text) for s in fam.samples]
    return {s.name for s in samples}, {label for s in samples for label in s.labels}


@pytest.mark.anyio
async def test_every_name_in_the_rules_is_exported() -> None:
    metric_names, label_names = await exposition()
    recorded = {r["record"] for r in rules() if "record" in r}
    alerts = [r["alert"] for r in rules() if "alert" in r]
    assert alerts == [
        "LLMRateLimited",
        "LLMValidationFailuresRising",
        "LLMRetriesRising",
        "LLMModelVersionChanged",
    ]
    kept: dict[str, set[str]] = {}  # recorded series -> the labels they keep
    for rule in rules():
        expr = rule["expr"]
        labels = set()
        for group in re.findall(r"(?:by|on) \(([^)]*)\)", expr):
            labels |= {x.strip() for x in group.split(",")}
        labels |= set(re.findall(r"(\w+)=\"", expr))
        assert labels <= label_names, (rule, labels - label_names)
        bare = re.sub(r"(?:by|on) \([^)]*\)|\{[^}]*\}|\[[^]]*\]|\"[^\"]*\"", " ", expr)
        names = {w for w in re.findall(r"(?<![\w.])[a-z_:][a-z0-9_:]*", bare) if w not in PROMQL}
        assert names, rule
        assert names <= metric_names | recorded, (rule, names - metric_names - recorded)
        for name in names & kept.keys():
            labels |= kept[name]
        if "record" in rule:
            kept[rule["record"]] = labels
        for label in re.findall(r"\$labels\.(\w+)", str(rule.get("annotations", ""))):
            assert label in labels, (rule.get("alert"), label)


@pytest.mark.anyio
async def test_the_429_rule_selects_the_status_the_attempts_carry() -> None:
    # the rule's selector matches exported series: status codes are exported as strings
    registry = CollectorRegistry()
    provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=registry)])
    async with Engine(
        make_config(),
        transport=scripted(429, 429).transport(),
        observers=[OtelObserver(meter_provider=provider)],
    ) as e:
        await e.call(MSG)
    families = text_string_to_metric_families(generate_latest(registry).decode())
    attempts = [
        (s.labels.get("http_response_status_code"), s.value)
        for fam in families
        for s in fam.samples
        if s.name == "llmops_attempts_total"
    ]
    provider.shutdown()
    assert sorted(attempts) == [("200", 1.0), ("429", 2.0)]

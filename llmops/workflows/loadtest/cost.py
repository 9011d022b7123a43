"""The cost guard: estimate a run's tokens and money before it starts; refuse above a cap.

Estimates are upper bounds where it is cheap to be safe: every request is assumed to produce
``max_tokens`` output tokens. Retries are not multiplied in: an attempt is retried only when
it failed, and failed attempts (429, 5xx, resets) are not billed. Loopback targets and the
built-in mock cost nothing. Prices are USD per million tokens; the built-in table holds list
prices of a few common models and may be out of date: give your own with ``--prices FILE``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from llmops.errors import ConfigError, InputError
from llmops.workflows.loadtest.options import LoadtestOptions
from llmops.workflows.loadtest.prompts import PromptSet
from llmops.yamlsafe import load_yaml_text, read_text

__all__ = [
    "DEFAULT_PRICES",
    "CostEstimate",
    "CostRefused",
    "Price",
    "check_cost",
    "describe_cost",
    "describe_requests",
    "estimate_cost",
    "load_prices",
    "price_for",
]

#: assumed requests per client per second when a closed-loop level runs for a duration
DURATION_RATE_PER_CLIENT = 1.0


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million input and output tokens."""

    input_per_mtok: float
    output_per_mtok: float


#: list prices (USD per 1M tokens) matched by the longest model-id prefix; override with --prices
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-3.5-turbo": Price(0.50, 1.50),
    "claude-3-5-haiku": Price(0.80, 4.00),
    "claude-haiku-4-5": Price(1.00, 5.00),
    "claude-sonnet-4": Price(3.00, 15.00),
    "claude-3-7-sonnet": Price(3.00, 15.00),
    "claude-opus-4": Price(15.00, 75.00),
}


class CostRefused(InputError):
    """The estimated cost is above ``--max-cost`` (or unknown) and ``--yes`` was not given."""


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """Planned requests and tokens of a whole run, and their cost (``None``: unknown)."""

    model: str
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    local: bool
    note: str = ""
    #: the count assumes :data:`DURATION_RATE_PER_CLIENT` (a closed-loop level run for a time)
    assumed_rate: bool = False


def load_prices(path: str | Path) -> dict[str, Price]:
    """``model-prefix: {input: USD per 1M tokens, output: USD per 1M tokens}`` from YAML."""
    try:
        data = load_yaml_text(read_text(path, "prices"), str(path))[0]
    except ConfigError as exc:
        raise InputError(f"--prices: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"--prices: {path}: expected a mapping of model to {{input, output}}")
    prices: dict[str, Price] = {}
    for model, entry in data.items():
        try:
            price = Price(float(entry["input"]), float(entry["output"]))
            if not all(
                math.isfinite(p) and p >= 0 for p in (price.input_per_mtok, price.output_per_mtok)
            ):
                raise ValueError(price)
            prices[str(model)] = price
        except (TypeError, KeyError, ValueError):
            raise InputError(
                f"--prices: {path}: {model}: expected {{input: USD per 1M tokens, output: ...}}"
                " (finite numbers, at least 0)"
            ) from None
    return prices


def price_for(model: str, prices: dict[str, Price]) -> Price | None:
    """The price whose key is the longest prefix of ``model`` (ids carry date suffixes)."""
    best = max((k for k in prices if model.startswith(k)), key=len, default=None)
    return None if best is None else prices[best]


def estimate_cost(
    options: LoadtestOptions,
    prompts: PromptSet,
    model: str,
    *,
    local: bool,
    prices: dict[str, Price] | None = None,
) -> CostEstimate:
    """Requests, tokens and cost of the run ``options`` describe, before it starts."""
    requests = 0
    for load in options.loads:
        warm = options.warmup_for(load)
        if options.duration_s is None:
            requests += warm + options.requests_for(load)
        elif options.open_loop:
            requests += warm + round(load * options.duration_s)
        else:
            requests += warm + round(load * DURATION_RATE_PER_CLIENT * options.duration_s)
    assumed = options.duration_s is not None and not options.open_loop
    input_tokens = round(requests * prompts.mean_input_tokens)
    output_tokens = requests * options.max_tokens
    if local:
        return CostEstimate(
            model, requests, input_tokens, output_tokens, 0.0, True, "local", assumed
        )
    price = price_for(model, {**DEFAULT_PRICES, **(prices or {})})
    if price is None:
        return CostEstimate(
            model, requests, input_tokens, output_tokens, None, False, "no price", assumed
        )
    cost = (input_tokens * price.input_per_mtok + output_tokens * price.output_per_mtok) / 1e6
    return CostEstimate(model, requests, input_tokens, output_tokens, cost, False, "", assumed)


def describe_requests(estimate: CostEstimate) -> str:
    """The planned requests in words: a count, or an estimate when levels run for a time."""
    if estimate.assumed_rate:
        return (
            f"about {estimate.requests} requests (assuming {DURATION_RATE_PER_CLIENT:g} per "
            "client per second)"
        )
    return f"{estimate.requests} requests planned"


def describe_cost(estimate: CostEstimate) -> str:
    """The planned cost in words, for the line a run starts with."""
    if estimate.local:
        return "no cost (local)"
    if estimate.cost_usd is None:
        return "cost unknown (--yes)"
    return f"~${estimate.cost_usd:.2f}"


def check_cost(estimate: CostEstimate, max_cost_usd: float, *, yes: bool) -> None:
    """Raise :class:`CostRefused` when the run may cost more than ``max_cost_usd`` (or an
    unknown amount) and ``yes`` is false."""
    if yes or estimate.local:
        return
    tokens = f"{estimate.requests} requests, ~{estimate.input_tokens} input + up to {estimate.output_tokens} output tokens"
    if estimate.cost_usd is None and not estimate.model:
        raise CostRefused(
            f"cost guard: the cost of your feature is unknown, it may call a paid model "
            f"({estimate.requests} requests); name the model it calls with --model "
            "(priced by the built-in table or --prices), or give --yes"
        )
    if estimate.cost_usd is None:
        raise CostRefused(
            f"cost guard: no price known for model {estimate.model!r} ({tokens}); "
            "give --prices FILE or --yes"
        )
    if estimate.cost_usd > max_cost_usd:
        raise CostRefused(
            f"cost guard: this run may cost ${estimate.cost_usd:.2f} ({tokens} of "
            f"{estimate.model}), above --max-cost ${max_cost_usd:.2f}; lower the load or add --yes"
        )

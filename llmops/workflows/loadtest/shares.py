"""One part's share of a load test run in several parts (worker processes, machines' shards).

A run in ``n`` parts gives part ``i`` (0-based) its share of every level: clients, the
open-loop rate, measured and warm-up requests, and the configured limits. Whole numbers are
split deterministically, the remainder going one each to the lowest parts, so the shares add
up to the whole; a rate is divided (independent Poisson processes at ``rate/n`` add up to one
at ``rate``). Shards and workers compose: worker ``w`` of ``W`` in shard ``s`` of ``S`` is part
``s*W + w`` of ``S*W``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from llmops.config import LlmopsConfig, config_from_dict
from llmops.errors import InputError
from llmops.workflows.loadtest.options import LoadtestOptions

__all__ = ["Part", "part_config", "part_options", "split"]

_RATE_KEYS = ("requests_per_minute", "tokens_per_minute")


@dataclass(frozen=True, slots=True)
class Part:
    """Part ``index`` (0-based) of ``count``; ``label`` is how reports name it."""

    index: int
    count: int
    label: str = ""

    @property
    def name(self) -> str:
        """``label`` or ``i/n`` (1-based)."""
        return self.label or f"{self.index + 1}/{self.count}"


def split(total: int, index: int, count: int) -> int:
    """Part ``index``'s share of ``total`` whole things among ``count`` parts."""
    return total // count + (1 if index < total % count else 0)


def part_options(options: LoadtestOptions, load: float, part: Part) -> LoadtestOptions | None:
    """The options one part runs level ``load`` with (one level: its share), or ``None`` when
    it has no share of it (fewer clients than parts). The SLO and peak stay with the whole;
    the seed is the part's own (:func:`part_seed`)."""
    n, i = part.count, part.index
    if options.open_loop:
        active = n
        loads: dict[str, Any] = {"rates": (load / n,)}
    else:
        clients = int(load)
        active = min(n, clients)
        if i >= active:
            return None
        loads = {"levels": (split(clients, i, n),)}
    requests = None
    if options.duration_s is None:
        total = options.requests_for(load)
        if total < active:
            raise InputError(
                f"--requests: {total} measured requests at level {load:g} cannot be shared "
                f"among {active} parts; give at least {active}"
            )
        requests = split(total, i, active)
    warmup = split(options.warmup_for(load), i, active)
    return replace(
        options,
        **loads,
        requests=requests,
        warmup=warmup,
        slo=(),
        peak=None,
        seed=part_seed(options.seed, part),
    )


#: parts' seeds are this far apart (a prime), so no two parts of a run share one
_PART_SEED_STRIDE = 1_000_003


def part_seed(seed: int, part: Part) -> int:
    """The seed part ``part`` draws its open-loop arrivals with: its own, so the parts'
    arrivals are independent and together one Poisson process at the whole rate (with one
    seed, every part would send at the same moments: the arrivals would come in bunches of
    N). The first part keeps the run's seed, so one part is the same as no split."""
    return seed + part.index * _PART_SEED_STRIDE


def part_config(config: LlmopsConfig, part: Part, *, shared_limiter: bool) -> LlmopsConfig:
    """``config`` with its limits divided for one part: requests and tokens per minute (every
    one the file sets: global, per provider, per model) unless ``shared_limiter`` (all parts
    share the one Redis limiter), and the concurrency and queue limits when set (a
    concurrency limit is per process even with shared state)."""
    if part.count == 1:
        return config
    data = config.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if not shared_limiter:
        _divide_rates(data, part.count)
    limits = data.get("limits")
    if isinstance(limits, dict):
        for key in ("max_concurrency", "queue_limit"):
            if key in limits:
                whole = int(limits[key])
                if key == "max_concurrency" and whole < part.count:
                    raise InputError(
                        f"limits.max_concurrency: {whole} cannot be shared among "
                        f"{part.count} parts (workers x shards); use at most {whole}"
                    )
                limits[key] = split(whole, part.index, part.count)
    return config_from_dict(data, source=f"part {part.name}")


def _divide_rates(data: Any, n: int) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in _RATE_KEYS and isinstance(value, (int, float)) and value:
                data[key] = value / n
            else:
                _divide_rates(value, n)
    elif isinstance(data, list):
        for item in data:
            _divide_rates(item, n)

"""Partial reports of a sharded load test, and merging them into the one result.

Each shard (``llmops loadtest --shard I/N``) writes a partial report: the run's id, its shard,
the options, and per level the shard's mergeable
:class:`~llmops.workflows.loadtest.record.LevelRecord`. :func:`merge_partials` checks that the
parts are the N shards of one run (same run id and levels, each shard once) and merges each
level's records into the :class:`~llmops.workflows.loadtest.LoadtestResult` a single process
would have produced: same levels, knee, verdict and reports.

A run id is derived from what every shard is given alike (options, shard count, start time,
target model), so shards started with the same command line agree on it without talking.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import orjson

from llmops.errors import InputError
from llmops.workflows.loadtest.distributed import ShareRun
from llmops.workflows.loadtest.loadtest import LoadtestResult
from llmops.workflows.loadtest.options import LoadtestOptions, parse_slo
from llmops.workflows.loadtest.record import NO_COMMON_WINDOW, LevelRecord, merge_records
from llmops.workflows.loadtest.shares import Part
from llmops.workflows.loadtest.verdict import make_verdict

__all__ = [
    "PARTIAL_SCHEMA",
    "Partial",
    "load_partial",
    "merge_partials",
    "options_from_json",
    "options_to_json",
    "partial_to_json",
    "run_id_for",
]

PARTIAL_SCHEMA = "llmops.loadtest.partial"
PARTIAL_VERSION = 1


def options_to_json(options: LoadtestOptions) -> dict[str, Any]:
    """The options as JSON (SLO clauses as their text)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(options):
        value = getattr(options, f.name)
        if f.name == "slo":
            value = [clause.text for clause in value]
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def options_from_json(data: Any, where: str) -> LoadtestOptions:
    """:func:`options_to_json`'s form read back (checked as the command line's would be)."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: options: expected an object")
    known = {f.name for f in dataclasses.fields(LoadtestOptions)}
    values = {k: v for k, v in data.items() if k in known}
    try:
        for key in ("levels", "rates"):
            values[key] = tuple(values.get(key) or ())
        slo = values.pop("slo", None) or []
        values["slo"] = tuple(parse_slo(",".join(slo))) if slo else ()
        return LoadtestOptions(**values)
    except (TypeError, InputError) as exc:
        raise InputError(f"{where}: options: {exc}") from None


def run_id_for(
    options: LoadtestOptions, shards: int, model: str | None, start_at: float | None
) -> str:
    """The id all shards of one run share: a digest of what they are all given alike."""
    basis = {
        "options": options_to_json(options),
        "shards": shards,
        "model": model,
        "start_at": start_at,
    }
    return hashlib.sha256(orjson.dumps(basis, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def partial_to_json(run: ShareRun, run_id: str) -> dict[str, Any]:
    """A shard's partial report (JSON-safe)."""
    result = run.result
    return {
        "schema": PARTIAL_SCHEMA,
        "schema_version": PARTIAL_VERSION,
        "run_id": run_id,
        "shard": {"index": run.shard.index + 1, "count": run.shard.count},
        "workers": run.workers,
        "target": result.target,
        "target_kind": result.target_kind,
        "model": result.model,
        "raw": result.raw,
        "prompts": result.prompts,
        "started_at": result.started_at,
        "wall_s": result.wall_s,
        "interrupted": result.interrupted,
        "stop_reason": result.stop_reason,
        "options": options_to_json(result.options),
        "levels": [
            {"index": i, "load": load, "record": record.to_json()}
            for i, (load, record) in enumerate(zip(result.options.loads, run.records, strict=False))
        ],
    }


@dataclasses.dataclass(slots=True)
class Partial:
    """One shard's partial report, read back and checked."""

    path: str
    run_id: str
    shard: Part
    options: LoadtestOptions
    data: dict[str, Any]
    records: list[LevelRecord]


def load_partial(path: str | Path) -> Partial:
    """Read and check one partial report; :class:`~llmops.errors.InputError` naming the file
    and what is wrong when it is not one."""
    where = str(path)
    try:
        data = orjson.loads(Path(path).read_bytes())
    except FileNotFoundError:
        raise InputError(f"{where}: no such file") from None
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InputError(f"{where}: cannot read a partial report: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != PARTIAL_SCHEMA:
        got = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise InputError(
            f"{where}: not a partial load-test report (schema {got!r}, expected "
            f"{PARTIAL_SCHEMA!r}: written by llmops loadtest --shard I/N)"
        )
    if data.get("schema_version") != PARTIAL_VERSION:
        raise InputError(
            f"{where}: schema_version {data.get('schema_version')!r}, expected {PARTIAL_VERSION}"
        )
    shard = data.get("shard")
    if not (
        isinstance(shard, dict)
        and isinstance(shard.get("index"), int)
        and isinstance(shard.get("count"), int)
        and 1 <= shard["index"] <= shard["count"]
    ):
        raise InputError(f"{where}: shard: expected {{index: I, count: N}} with 1 <= I <= N")
    run_id = data.get("run_id")
    if not isinstance(run_id, str) or not run_id:
        raise InputError(f"{where}: run_id: expected the run's id")
    options = options_from_json(data.get("options"), where)
    levels = data.get("levels")
    if not isinstance(levels, list):
        raise InputError(f"{where}: levels: expected a list")
    records: list[LevelRecord] = []
    for i, level in enumerate(levels):
        if not isinstance(level, dict) or level.get("index") != i:
            raise InputError(f"{where}: levels[{i}]: expected {{index: {i}, load, record}}")
        records.append(LevelRecord.from_json(level.get("record"), f"{where}: levels[{i}].record"))
    part = Part(shard["index"] - 1, shard["count"])
    return Partial(where, run_id, part, options, data, records)


def merge_partials(paths: list[str | Path]) -> LoadtestResult:
    """The one result of a sharded run from its shards' partial reports.

    Refused (:class:`~llmops.errors.InputError`, one line): a file that is not a partial
    report, parts of different runs, different levels, a shard given twice or missing. A
    level is merged when every shard finished it; the levels after the first one some shard
    did not finish are reported as skipped.
    """
    if not paths:
        raise InputError("--merge: give the partial reports (PART...) to merge")
    parts = [load_partial(p) for p in paths]
    first = parts[0]
    for part in parts[1:]:
        if part.run_id != first.run_id:
            raise InputError(
                f"--merge: {part.path} is from run {part.run_id}, {first.path} from run "
                f"{first.run_id}: give the partial reports of one run"
            )
        if part.options.loads != first.options.loads:
            raise InputError(
                f"--merge: {part.path} has levels {_loads(part.options)}, {first.path} has "
                f"{_loads(first.options)}: give the partial reports of one run"
            )
        if part.shard.count != first.shard.count:
            raise InputError(
                f"--merge: {part.path} is a shard of {part.shard.count}, {first.path} of "
                f"{first.shard.count}"
            )
    count = first.shard.count
    by_index: dict[int, Partial] = {}
    for part in parts:
        seen = by_index.get(part.shard.index)
        if seen is not None:
            raise InputError(
                f"--merge: shard {part.shard.name} given twice ({seen.path} and {part.path})"
            )
        by_index[part.shard.index] = part
    missing = [f"{i + 1}/{count}" for i in range(count) if i not in by_index]
    if missing:
        raise InputError(f"--merge: missing shard {', '.join(missing)} of run {first.run_id}")
    options = first.options
    finished = min(len(p.records) for p in parts)
    levels = [
        merge_records([p.records[i] for p in parts], load=options.loads[i]).summary()
        for i in range(finished)
    ]
    interrupted = any(p.data.get("interrupted") for p in parts)
    reasons = [str(p.data["stop_reason"]) for p in parts if p.data.get("stop_reason")]
    stop_reason = None
    if finished < len(options.loads):
        stop_reason = f"{finished} of {len(options.loads)} levels finished in every shard" + (
            f" ({'; '.join(reasons)})" if reasons else ""
        )
    data = first.data
    kind = data.get("target_kind")
    kind = kind if isinstance(kind, str) and kind else "openai"  # absent in older partials
    result = LoadtestResult(
        target=str(data.get("target", "")),
        model=data["model"] if isinstance(data.get("model"), str) and data["model"] else None,
        mode="open" if options.open_loop else "closed",
        raw=bool(data.get("raw")),
        options=options,
        levels=levels,
        verdict=make_verdict(levels, options, target_kind=kind),
        started_at=min(str(p.data.get("started_at", "")) for p in parts),
        wall_s=max(float(p.data.get("wall_s") or 0.0) for p in parts),
        prompts=str(data.get("prompts", "")),
        skipped_loads=list(options.loads[finished:]),
        stop_reason=stop_reason,
        target_kind=kind,
    )
    result.interrupted = interrupted and finished < len(options.loads)
    apart = [
        f"{lv.load:g}"
        for lv in levels
        if any(NO_COMMON_WINDOW in r for r in lv.self_check.get("reasons", []))
    ]
    if apart:
        result.verdict.lines.append(f"At {', '.join(apart)}: {NO_COMMON_WINDOW}.")
    return result


def _loads(options: LoadtestOptions) -> str:
    return ",".join(f"{x:g}" for x in options.loads)

"""``llmops profile`` reads OTLP/JSON exports made by the official OpenAI instrumentation.

The exports are made here, in each of the instrumentation's three modes, by the OpenAI SDK
calling the mock with a known set of failures (``tests/profile/otlp_export.py``); every call,
its prompt, its HTTP status and its error are checked against what the calls really did.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from llmops.workflows.profile import profile_logs
from llmops.workflows.profile.calls import Call, merge_into
from llmops.workflows.profile.formats import RecordReader
from tests.profile.otlp_export import MODES, prompt

ROOT = Path(__file__).resolve().parents[2]
CALLS = 30


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    """One export per mode, made in parallel interpreters (the mode is fixed per process)."""
    out = tmp_path_factory.mktemp("otlp")
    procs = {
        mode: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.profile.otlp_export",
                mode,
                str(out / f"{mode}.jsonl"),
                str(CALLS),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode in MODES
    }
    made = {}
    for mode, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=180)
        assert proc.returncode == 0, stderr
        made[mode] = (out / f"{mode}.jsonl", json.loads(stdout.splitlines()[-1]))
    return made


def joined_calls(path: Path) -> list[Call]:
    """Every call of the export: whole ones, and partial ones joined by their key."""
    reader = RecordReader()
    whole: list[Call] = []
    parts: dict[str, Call] = {}
    for line in path.read_bytes().splitlines():
        for call in reader.read(line)[1]:
            if call.join_key is None:
                whole.append(call)
            elif call.join_key in parts:
                merge_into(parts[call.join_key], call)
            else:
                parts[call.join_key] = call
    return whole + list(parts.values())


@pytest.mark.parametrize("mode", list(MODES))
def test_every_call_is_read_with_its_prompt_status_and_error(
    exports: dict[str, tuple[Path, dict[str, Any]]], mode: str
) -> None:
    path, truth = exports[mode]
    assert truth["calls"] == CALLS and truth["failed"] == 5
    calls = joined_calls(path)
    assert all(c.complete for c in calls)
    read = Counter((c.text, c.status, c.error_type, c.outcome) for c in calls)
    expected = Counter(
        (prompt(i), status, error, "ok" if error is None else "error")
        for i, (status, error) in enumerate(zip(truth["statuses"], truth["errors"], strict=True))
    )
    assert read == expected


@pytest.mark.parametrize("mode", list(MODES))
def test_profile_counts_calls_and_failures_not_export_lines(
    exports: dict[str, tuple[Path, dict[str, Any]]], mode: str
) -> None:
    path, truth = exports[mode]
    result = profile_logs([str(path)])
    assert (result.requests, result.failures) == (truth["calls"], truth["failed"])
    assert result.formats == {"otel": truth["calls"]}
    assert result.records == truth["lines"] != truth["calls"]  # batches of spans and logs
    # the report's error kinds: the SDK's class name, with the HTTP status where there was one
    kinds = Counter(
        f"{error} ({status})" if status else error
        for status, error in zip(truth["statuses"], truth["errors"], strict=True)
        if error is not None
    )
    assert result.error_types == kinds

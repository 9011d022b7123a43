"""Bad input is counted and located, never a crash; nothing readable is an InputError."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from llmops.errors import InputError
from llmops.workflows.profile import ProfileOptions, files, profile_logs
from llmops.workflows.profile.files import scan_paths
from llmops.workflows.profile.read import ScanOptions
from tests.profile.helpers import openai_record, write_synthetic

OFF = ProfileOptions(detect_language=False)
GOOD = orjson.dumps(openai_record("Please summarise the attached meeting notes.", False)) + b"\n"


def test_bad_lines_are_counted_with_file_and_line(tmp_path: Path) -> None:
    log = tmp_path / "mixed.jsonl"
    log.write_bytes(
        GOOD
        + b"not json at all\n"
        + b'{"request": {"messages": [\n'
        + b'{"a": "\xff\xfe"}\n'
        + GOOD
    )
    result = profile_logs([str(log)], OFF)
    assert result.requests == 2
    assert result.problems.counts == {"not JSON": 1, "truncated JSON": 1, "invalid UTF-8": 1}
    assert result.problems.examples[0] == (str(log), 2, "not JSON")


def test_nesting_too_deep_and_numbers_out_of_range_are_not_json(tmp_path: Path) -> None:
    log = tmp_path / "odd.jsonl"
    deep = b'{"x": ' + b"[" * 5000 + b"]" * 5000 + b"}\n"
    log.write_bytes(GOOD + deep + b'{"x": 1e400}\n' + b'{"a": "\\ud800"}\n' + GOOD)
    result = profile_logs([str(log)], OFF)
    assert result.requests == 2
    assert result.problems.counts == {"not JSON": 2, "invalid UTF-8": 1}


def test_line_over_the_cap_is_skipped_and_reported(tmp_path: Path) -> None:
    log = tmp_path / "long.jsonl"
    log.write_bytes(GOOD + b'{"x": "' + b"a" * 5000 + b'"}\n' + GOOD)
    options = ScanOptions(detect_language=False, max_line_bytes=1000)
    result = scan_paths([str(log)], options, workers=1)
    assert result.tally.requests == 2
    assert result.problems.examples == [(str(log), 2, "line too long")]


def test_a_100_mb_line_does_not_stop_the_scan(tmp_path: Path) -> None:
    log = tmp_path / "huge.jsonl"
    with log.open("wb") as f:
        f.write(GOOD + b'{"x": "')
        for _ in range(100):
            f.write(b"a" * (1 << 20))
        f.write(b'"}\n' + GOOD)
    result = profile_logs([str(log)], OFF)
    assert (result.requests, result.problems.counts) == (2, {"line too long": 1})


def test_empty_and_binary_files_are_reported_beside_a_good_one(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "good.jsonl").write_bytes(GOOD)
    paths = [str(tmp_path / n) for n in ("empty.jsonl", "blob.bin", "good.jsonl")]
    result = profile_logs(paths, OFF)
    assert result.requests == 1
    assert result.problems.counts == {"empty file": 1, "binary file": 1}


def test_gzip_file_is_read(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl.gz"
    log.write_bytes(gzip.compress(GOOD * 3))
    assert profile_logs([str(log)], OFF).requests == 3


def test_nothing_readable_raises_input_error_naming_the_problem(tmp_path: Path) -> None:
    log = tmp_path / "junk.jsonl"
    log.write_bytes(b"garbage\n")
    with pytest.raises(InputError, match=r"junk.jsonl:1: not JSON"):
        profile_logs([str(log)], OFF)


def test_missing_file_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        profile_logs([str(tmp_path / "nope.jsonl")], OFF)


def test_split_scan_over_processes_counts_like_one_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = write_synthetic(tmp_path / "big.jsonl", 2000, 7, lambda _t, _d: 0.2)
    with log.open("ab") as f:
        f.write(b"broken line\n")
    options = ScanOptions(detect_language=False)
    single = scan_paths([str(log)], options, workers=1)
    monkeypatch.setattr(files, "SPLIT_MIN_BYTES", 1)
    split = scan_paths([str(log)], options, workers=2)
    assert split.tally.cells == single.tally.cells
    assert split.problems.examples == single.problems.examples == [(str(log), 2001, "not JSON")]

"""`llmops profile` reads everything readable in a damaged log: a garbage head, a truncated or
corrupt gzip, a NUL run, a 64 MB line; bad lines are counted and the first few located
(file:line); only a file that is mostly not text is refused."""

from __future__ import annotations

import gzip
import io
import random
from pathlib import Path

import pytest

from llmops.errors import InputError
from llmops.workflows.profile import ProfileOptions, ProfileResult, profile_logs
from llmops.workflows.profile.damaged import TolerantGzip, binary_fraction
from llmops.workflows.profile.read import ScanOptions, scan_stream
from tests.profile.helpers import SAMPLES

#: one answered and one failed OpenAI call (the shipped sample)
RECORDS = (SAMPLES / "openai.jsonl").read_bytes().splitlines(keepends=True)


def good_lines(n: int) -> bytes:
    return b"".join(RECORDS[i % len(RECORDS)] for i in range(n))


def garbage(n: int, seed: int = 14) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(n))


def profile(path: Path) -> ProfileResult:
    options = ProfileOptions(workers=1, detect_language=False)
    return profile_logs([str(path)], options)


def assert_located(result: ProfileResult, path: Path) -> None:
    assert result.problems.examples, "bad input must be located"
    assert all(src == str(path) and line >= 1 for src, line, _ in result.problems.examples)


def test_a_garbage_head_is_read_past(tmp_path: Path) -> None:
    path = tmp_path / "app.jsonl"
    path.write_bytes(garbage(5000) + b"\n" + good_lines(400))
    result = profile(path)
    assert result.requests == 400
    assert result.problems.total >= 1
    assert_located(result, path)


def test_a_truncated_gzip_yields_everything_before_the_cut(tmp_path: Path) -> None:
    whole = gzip.compress(good_lines(4000), mtime=0)
    path = tmp_path / "app.jsonl.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    result = profile(path)
    assert 0 < result.requests < 4000
    assert any(kind.startswith("truncated gzip") for kind in result.problems.counts)
    assert_located(result, path)


def test_a_corrupt_gzip_block_keeps_what_came_before(tmp_path: Path) -> None:
    whole = bytearray(gzip.compress(good_lines(4000), mtime=0))
    middle = len(whole) // 2
    whole[middle : middle + 64] = bytes(64)
    path = tmp_path / "app.jsonl.gz"
    path.write_bytes(bytes(whole))
    result = profile(path)
    assert 0 < result.requests < 4000
    assert any("gzip" in kind for kind in result.problems.counts)


def test_a_nul_run_is_one_bad_line_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "app.jsonl"
    path.write_bytes(good_lines(1000) + b"\x00" * 100_000 + b"\n" + good_lines(1000))
    result = profile(path)
    assert result.requests == 2000
    assert result.problems.examples == [(str(path), 1001, "binary data")]


class _LongLine:
    """A stream of good lines around one line of ``size`` bytes, never held whole in memory."""

    def __init__(self, size: int) -> None:
        self._parts = [good_lines(10), (b"x", size), b"\n" + good_lines(10)]

    def read(self, n: int = -1, /) -> bytes:
        while self._parts:
            part = self._parts[0]
            if isinstance(part, tuple):
                byte, left = part
                take = min(n, left)
                self._parts[0] = (byte, left - take)
                if left - take == 0:
                    self._parts.pop(0)
                return byte * take
            self._parts.pop(0)
            return part
        return b""


def test_a_64_mb_line_is_counted_and_located_and_the_rest_is_read() -> None:
    result = scan_stream(_LongLine(64 << 20), "big.jsonl", ScanOptions(detect_language=False))
    assert result.tally.requests == 20
    assert result.problems.examples == [("big.jsonl", 11, "line too long")]


def test_a_file_that_is_mostly_not_text_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "app.jsonl"
    path.write_bytes(garbage(200_000) + b"\n" + good_lines(2))
    with pytest.raises(InputError, match=r"app\.jsonl"):
        profile(path)


def test_text_is_not_binary_and_random_bytes_are() -> None:
    assert binary_fraction(good_lines(50) + "éß日本".encode()) == 0.0
    assert binary_fraction(garbage(10_000)) > 0.3


def test_the_gzip_reader_reads_every_member_and_bounds_each_read() -> None:
    data = good_lines(300)
    raw = gzip.compress(data[:5000], mtime=0) + gzip.compress(data[5000:], mtime=0)
    reader = TolerantGzip(io.BytesIO(raw))
    pieces = []
    while piece := reader.read(4096):
        assert len(piece) <= 4096
        pieces.append(piece)
    assert b"".join(pieces) == data and reader.problem is None


def test_a_gzip_bomb_is_read_in_bounded_pieces() -> None:
    reader = TolerantGzip(io.BytesIO(gzip.compress(bytes(64 << 20), mtime=0)))
    assert len(reader.read(1 << 20)) == 1 << 20
    assert len(reader._buf) <= 2 << 20  # never more than one step ahead

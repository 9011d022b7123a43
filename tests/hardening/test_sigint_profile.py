"""Ctrl-C during ``llmops profile`` (a real subprocess, a log big enough to take a while):
exit 130, the reports written for what was read so far, marked partial."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from llmops.cli.profile_cmd import PROGRESS_MIN_BYTES

from .sigint_helpers import interrupt_when

SAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "logs" / "openai.jsonl"


def big_log(path: Path) -> int:
    """A log of the shipped sample repeated past the progress threshold; its size."""
    sample = SAMPLE.read_bytes()
    if not sample.endswith(b"\n"):
        sample += b"\n"
    copies = PROGRESS_MIN_BYTES // len(sample) + 2
    with path.open("wb") as f:
        for _ in range(copies):
            f.write(sample)
    return path.stat().st_size


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigint_mid_profile_reports_what_was_read(tmp_path: Path, workers: str) -> None:
    size = big_log(tmp_path / "calls.jsonl")
    args = ["profile", "calls.jsonl", "--workers", workers, "--no-language"]
    ended = interrupt_when(args, tmp_path, r"^read [\d.,]+ of [\d.,]+ MB")
    assert ended.code == 130, ended.stderr
    assert "Traceback" not in ended.stderr
    assert "PARTIAL: interrupted after reading" in ended.stdout
    report = orjson.loads((tmp_path / "reports" / "profile.json").read_bytes())
    assert report["interrupted"].startswith("interrupted after reading")
    assert 0 < report["bytes"] < size
    assert report["requests"] > 0

"""``--export-cases``: draft eval cases from each finding's real inputs, masked, loadable."""

from __future__ import annotations

import random
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from llmops.cli import app
from llmops.redact import redact_text
from llmops.workflows.evals.loader import load_suite
from llmops.workflows.profile import files
from llmops.workflows.profile.files import scan_paths
from llmops.workflows.profile.read import ScanOptions
from llmops.workflows.profile.samples import Samples
from tests.profile.helpers import ENGLISH, openai_record

SECRET = "sk-proj-Abcdefghijklmnopqrstuv123456"


def _log(path: Path, n: int = 2000, seed: int = 5) -> Path:
    """Long inputs (over 2,000 characters) fail 30% of the time, the rest 5%; some inputs
    carry an API key and an e-mail address."""
    rng = random.Random(seed)
    with path.open("wb") as f:
        for i in range(n):
            text = rng.choice(ENGLISH) + f" (ticket {i})"
            if i % 7 == 0:
                text += f" my key is {SECRET}, write to jane.doe@example.com"
            long = rng.random() < 0.3
            if long:
                text = " ".join([text] * 30)
            failed = rng.random() < (0.30 if long else 0.05)
            f.write(orjson.dumps(openai_record(text, failed)) + b"\n")
    return path


def test_export_writes_a_loadable_draft_suite_of_failed_and_passed_inputs(tmp_path: Path) -> None:
    log = _log(tmp_path / "app.jsonl")
    out = tmp_path / "drafts.yaml"
    args = ["profile", str(log), "--no-language", "--report-dir", str(tmp_path / "r")]
    run = CliRunner().invoke(app, [*args, "--export-cases", str(out)])
    assert run.exit_code == 0, run.output
    suite = load_suite(out)
    ids = [c.id or "" for c in suite.cases]
    assert any("-failed-" in i for i in ids) and any("-passed-" in i for i in ids)
    texts = log.read_text()
    for case in suite.cases:
        assert case.input is not None and len(case.input) > 2000  # the finding's own segment
        assert (case.description or "").startswith("TODO: add checks")
        assert SECRET not in case.input and "jane.doe@example.com" not in case.input
        # a real input of the log (once unmasked parts are set aside)
        assert case.input.split(" (ticket ")[0] in texts
    assert "# TODO: add checks" in out.read_text()


def test_no_finding_writes_no_draft(tmp_path: Path) -> None:
    log = tmp_path / "null.jsonl"
    with log.open("wb") as f:
        for i in range(300):
            f.write(orjson.dumps(openai_record(ENGLISH[i % 4], i % 10 == 0)) + b"\n")
    out = tmp_path / "drafts.yaml"
    args = ["profile", str(log), "--no-language", "--report-dir", str(tmp_path / "r")]
    run = CliRunner().invoke(app, [*args, "--export-cases", str(out)])
    assert run.exit_code == 0, run.output
    assert not out.exists()
    assert "nothing written" in run.output


def test_samples_merge_as_one_sample_of_the_union() -> None:
    key = (0,) * 12
    whole, left, right = Samples(3), Samples(3), Samples(3)
    offers = [(f"input {i}", i / 100) for i in range(40)]
    for text, priority in offers:
        whole._offer((0, 0, True), priority, text, key)
        (left if len(text) % 2 else right)._offer((0, 0, True), priority, text, key)
    left.merge(right)
    assert [s.text for s in left.inputs(0, True)] == [s.text for s in whole.inputs(0, True)]
    assert len(whole.inputs(0, True)) == 3


def test_redact_text_masks_keys_bearer_tokens_and_addresses() -> None:
    text = (
        f"key {SECRET}; Authorization: Bearer abc.DEF-123456789; AKIAABCDEFGHIJKLMNOP; "
        "mail jane.doe+x@mail.example.co.uk; https://u:pw@host/x?api_key=zz; keep this"
    )
    masked = redact_text(text)
    for secret in (SECRET, "abc.DEF-123456789", "AKIAABCDEFGHIJKLMNOP", "jane.doe", ":pw@", "=zz"):
        assert secret not in masked
    assert masked.endswith("keep this")


def test_samples_are_kept_across_worker_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _log(tmp_path / "app.jsonl", n=600)
    monkeypatch.setattr(files, "SPLIT_MIN_BYTES", 1)
    split = scan_paths([str(log)], ScanOptions(detect_language=False, samples=2), workers=2)
    samples = split.tally.samples
    assert samples is not None
    failed, passed = samples.inputs(0, True), samples.inputs(0, False)
    assert failed and passed
    # at most k per bin and outcome: length has 2 bins here
    assert len(passed) <= 2 * 2 and len(failed) <= 2 * 2
    assert {s.text for s in failed} <= set(
        orjson.loads(line)["request"]["messages"][0]["content"]  # type: ignore[index]
        for line in log.read_bytes().splitlines()
    )

"""`llmops eval` end to end: the spawned mock, history in a temp dir, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from llmops.cli.eval_cmd import _exit_code
from llmops.workflows.evals.compare import compare
from llmops.workflows.evals.eval import EvalOutcome
from tests.evals.conftest import make_run

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.loopback


def llmops(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmops", "eval", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def drift_now(tmp_path: Path) -> Path:
    """The drift profile, switched from the first request."""
    data = yaml.safe_load((ROOT / "scenarios/mock/drift.yaml").read_text())
    data["model_version"]["switch_after_requests"] = 0
    path = tmp_path / "drift-now.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_shipped_suite_passes_on_the_mock_and_writes_reports(tmp_path: Path) -> None:
    proc = llmops("support-classifier", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "27/27 passed" in proc.stdout
    assert sorted(p.suffix for p in (tmp_path / "reports").iterdir()) == [
        ".html",
        ".json",
        ".md",
        ".xml",
    ]


def test_model_update_exits_1_and_names_it(tmp_path: Path) -> None:
    assert llmops("--no-reports", "--record", cwd=tmp_path).returncode == 0
    proc = llmops(
        "--compare", "--no-reports", "--mock-profile", str(drift_now(tmp_path)), cwd=tmp_path
    )
    assert proc.returncode == 1, proc.stderr
    assert "REGRESSION — model changed: mock-1-2026-01 → mock-1-2026-03" in proc.stdout


def test_bad_suite_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("name: s\ncases:\n  - input: x\n    chekcs: []\n")
    proc = llmops("s.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert "s.yaml:4: cases[0].chekcs: unknown key; did you mean 'checks'?" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_feature_exits_2(tmp_path: Path) -> None:
    proc = llmops("--feature", "nope", cwd=tmp_path)
    assert (
        proc.returncode == 2
        and "no feature 'nope' in the configuration (defined: none)" in proc.stderr
    )


def warn_outcome() -> EvalOutcome:
    before = [make_run(at=float(d), passes={f"c{i}": [True] for i in range(200)}) for d in range(7)]
    now = make_run(at=9.0, passes={f"c{i}": [i >= 4] for i in range(200)})  # real, 2 points
    return EvalOutcome(now, compare(now, before, threshold=0.10))  # shown below 10 points


def test_warn_exits_0_by_default() -> None:
    outcome = warn_outcome()
    assert outcome.comparison is not None and outcome.comparison.status == "WARN"
    assert _exit_code(outcome, "regression") == 0


def test_warn_exits_1_with_fail_on_warn() -> None:
    assert _exit_code(warn_outcome(), "warn") == 1


@pytest.mark.parametrize("runs", ["0", "-1"])
def test_max_runs_below_one_is_bad_input_not_a_silent_no_op(tmp_path: Path, runs: str) -> None:
    proc = llmops("--every", "1h", "--max-runs", runs, "--no-reports", cwd=tmp_path)
    assert proc.returncode == 2 and "--max-runs" in proc.stderr
    assert not (tmp_path / ".llmops").exists()  # nothing ran, nothing recorded


def test_a_notify_value_that_is_not_a_url_is_refused_before_running(tmp_path: Path) -> None:
    proc = llmops("--notify", "hooks.example/x", cwd=tmp_path)
    assert proc.returncode == 2 and "--notify: expected a webhook URL" in proc.stderr
    assert not (tmp_path / "reports").exists()  # nothing ran


def test_a_baseline_since_that_is_not_a_date_exits_2(tmp_path: Path) -> None:
    proc = llmops("--compare", "--baseline-since", "last tuesday", cwd=tmp_path)
    assert proc.returncode == 2 and "--baseline-since: got 'last tuesday'" in proc.stderr


def test_parse_since_reads_dates_as_utc() -> None:
    from llmops.cli.eval_cmd import _parse_since

    assert _parse_since("2026-01-01") == 1_767_225_600.0
    assert _parse_since("2026-01-01T01:00+01:00") == 1_767_225_600.0


@pytest.mark.parametrize(
    ("kwargs", "argv", "message"),
    [
        ({"fail_on": "warning"}, ["--fail-on", "warning"], "--fail-on: got 'warning'"),
        ({"alpha": 1.5}, ["--alpha", "1.5"], "--alpha: got 1.5"),
        ({"threshold": 1.5}, ["--threshold", "150"], "--threshold: got 150 points"),
    ],
)
def test_eval_options_refuse_what_the_command_line_refuses(
    kwargs: dict[str, object], argv: list[str], message: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from typer.testing import CliRunner

    from llmops.cli.app import app
    from llmops.errors import InputError
    from llmops.workflows.evals.eval import EvalOptions

    with pytest.raises(InputError, match=message):
        EvalOptions(**kwargs)  # type: ignore[arg-type]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["eval", *argv])
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / "reports").exists()


def test_an_outcome_says_whether_it_failed_by_the_fail_on_rule() -> None:
    outcome = warn_outcome()
    assert not outcome.failed() and outcome.failed("warn")


def test_run_eval_spawns_the_mock_and_records_under_the_configured_identity(
    tmp_path: Path,
) -> None:
    import anyio

    from llmops.workflows.evals import load_suite
    from llmops.workflows.evals.eval import run_eval
    from llmops.workflows.evals.trials import config_hash
    from llmops.workflows.target import resolve_target

    suite = load_suite("support-classifier")
    target = resolve_target(hint=suite.target)
    history = str(tmp_path / "history.sqlite")

    async def twice() -> list[str]:
        first = await run_eval(suite, target, history=history, seed=0)
        second = await run_eval(suite, target, history=history, seed=0)
        return [first.run.config_hash, second.run.config_hash, str(len(second.history))]

    first, second, seen = anyio.run(twice)
    # two spawned servers on two ports, one identity: the second run sees the first
    assert first == second == config_hash(target.config, target.feature, target.label)
    assert seen == "2"


def test_a_dead_target_is_not_a_pass_and_the_cause_is_named(tmp_path: Path) -> None:
    # nothing listens on the discard port: every call is refused (no retries, to stay quick)
    (tmp_path / "llmops.yaml").write_text("retry:\n  max_attempts: 1\n")
    proc = llmops("--target", "http://127.0.0.1:9/v1", "--model", "m", "--no-reports", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "no case got an answer from the model" in proc.stderr
    assert "connection refused to 127.0.0.1:9" in proc.stderr

"""The GitHub Action (action.yml), its steps' scripts run here as the runner would run them.

Its ``run:`` steps execute under ``bash --noprofile --norc -eo pipefail`` (the runner's bash),
with ``${{ … }}`` expressions substituted, a fake ``$GITHUB_STEP_SUMMARY`` and ``$GITHUB_OUTPUT``,
in a temporary workspace. No network: ``python`` on the install step's PATH is a stand-in that
records what it was asked to install (the test checks it is this checkout, never the bare name
``llmops``), and the command runs the llmops of this test environment. The upload step
(``actions/upload-artifact``, which needs the Actions service) is skipped and listed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPR = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
SHIM = '#!/bin/sh\nprintf "%s\\n" "$*" >> "$PIP_CALLS"\n'


@dataclass
class Run:
    """What one run of the action left behind."""

    codes: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    summary: str = ""
    pip_calls: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(self.codes.values())


def run_action(workspace: Path, **given: str) -> Run:
    inputs = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    inputs.update({k.replace("_", "-"): v for k, v in given.items()})
    run = Run()
    tmp = workspace.parent
    shim_dir = tmp / "shim"
    shim_dir.mkdir(exist_ok=True)
    (shim_dir / "python").write_text(SHIM)
    (shim_dir / "python").chmod(0o755)
    summary, calls = tmp / "summary.md", tmp / "pip-calls.txt"
    summary.touch()

    def value(expr: str) -> str:
        if expr == "github.action_path":
            return str(ROOT)
        scope, _, rest = expr.partition(".")
        if scope == "inputs":
            return inputs[rest]
        if scope == "steps":
            step, _, out = rest.partition(".outputs.")
            return run.outputs.get(step, {}).get(out, "")
        raise AssertionError(f"action.yml uses an expression this harness does not know: {expr}")

    def sub(text: Any) -> str:
        return EXPR.sub(lambda m: value(m.group(1)), str(text))

    for step in ACTION["runs"]["steps"]:
        condition = step.get("if")
        assert condition in (None, "always()"), condition
        if condition is None and run.failed:
            continue
        if "uses" in step:
            run.skipped.append(step["uses"])
            continue
        assert step["shell"] == "bash"
        output = tmp / f"output-{len(run.codes)}.txt"
        output.touch()
        env = {
            **os.environ,
            **{k: sub(v) for k, v in (step.get("env") or {}).items()},
            "PATH": f"{shim_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
            + os.environ["PATH"],
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(output),
            "PIP_CALLS": str(calls),
        }
        script = tmp / "step.sh"
        script.write_text(sub(step["run"]))
        cwd = workspace / sub(step.get("working-directory", "."))
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        run.codes[step["name"]] = proc.returncode
        if "id" in step:
            lines = output.read_text().splitlines()
            run.outputs[step["id"]] = dict(line.split("=", 1) for line in lines if "=" in line)
    run.summary = summary.read_text()
    run.pip_calls = calls.read_text().splitlines() if calls.exists() else []
    return run


def workspace_with_config(tmp_path: Path, text: str | None = None) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    config = ws / "llmops.yaml"
    if text is None:
        shutil.copy(ROOT / "examples" / "llmops.yaml", config)
    else:
        config.write_text(text)
    return ws


def test_a_passing_command_installs_from_the_checkout_and_summarises(tmp_path: Path) -> None:
    ws = workspace_with_config(tmp_path)
    run = run_action(ws, command="config check llmops.yaml", extras="otel")
    assert not run.failed, run.codes
    assert run.pip_calls == [f"-m pip install --disable-pip-version-check {ROOT}[otel]"]
    assert run.outputs["run"] == {"exit-code": "0"}
    assert "## llmops config check llmops.yaml" in run.summary
    assert "llmops.yaml: ok (1 provider(s), 1 feature(s))" in run.summary
    assert run.skipped == ["actions/upload-artifact@v4"]


def test_the_step_fails_with_the_commands_exit_code(tmp_path: Path) -> None:
    ws = workspace_with_config(tmp_path, "version: 2\n")
    run = run_action(ws, command="config check llmops.yaml")
    assert run.outputs["run"] == {"exit-code": "2"}
    assert run.codes["llmops ${{ inputs.command }}"] == 0  # so the reports still upload
    assert run.codes["fail on the command's exit code"] == 2
    assert "llmops.yaml:1: version: got 2, expected 1" in run.summary
    assert run.skipped == ["actions/upload-artifact@v4"]  # upload runs whatever the result


def test_the_markdown_reports_of_this_run_go_to_the_summary(tmp_path: Path) -> None:
    ws = workspace_with_config(tmp_path)
    shutil.copy(ROOT / "scenarios" / "logs" / "openai.jsonl", ws / "calls.jsonl")
    old = ws / "out" / "old.md"
    old.parent.mkdir()
    old.write_text("a report of an earlier run\n")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    run = run_action(ws, command="profile calls.jsonl --report-dir out", report_dir="out")
    assert not run.failed, run.codes
    report = (ws / "out" / "profile.md").read_text()
    assert run.summary.count(report) == 1
    assert "earlier run" not in run.summary


def test_the_example_workflows_use_the_action_with_its_inputs() -> None:
    known = set(ACTION["inputs"])
    uses = []
    for workflow in sorted((ROOT / "examples").glob("*.yml")):
        doc = yaml.safe_load(workflow.read_text(encoding="utf-8"))
        for job in doc["jobs"].values():
            for step in job["steps"]:
                if step.get("uses", "").startswith("OWNER/llmops@"):
                    uses.append(step)
                    assert set(step["with"]) <= known, (workflow.name, step["with"])
                    assert step["with"]["command"].split()[0] in {
                        "config", "eval", "loadtest", "runbook", "profile"
                    }  # fmt: skip
                else:  # llmops is installed by the action, never by another step
                    assert "pip install" not in step.get("run", ""), workflow.name
    commands = {step["with"]["command"].split()[0] for step in uses}
    assert {"eval", "loadtest", "runbook"} <= commands


def test_the_pre_commit_hook_runs_config_check_from_this_repository() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["entry"] == "llmops config check" and hook["language"] == "python"
    assert re.search(hook["files"], "deploy/llmops.yaml")
    assert not re.search(hook["files"], "llmops.yaml.bak")


def test_config_check_takes_the_files_pre_commit_passes(tmp_path: Path) -> None:
    good = workspace_with_config(tmp_path) / "llmops.yaml"
    bad = tmp_path / "llmops.yml"
    bad.write_text("version: 2\n")
    argv = [sys.executable, "-m", "llmops", "config", "check", str(good), str(bad)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert f"{good}: ok" in proc.stdout
    assert f"{bad}:1: version: got 2, expected 1" in proc.stderr

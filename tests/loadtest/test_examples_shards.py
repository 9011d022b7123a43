"""The sharded load-test examples agree with themselves: as many shards as pods or jobs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_indexed_job_runs_one_shard_per_pod_and_the_merge_takes_them_all() -> None:
    (job,) = yaml.safe_load_all((EXAMPLES / "kubernetes" / "loadtest-indexed-job.yaml").read_text())
    spec = job["spec"]
    n = spec["completions"]
    assert spec["completionMode"] == "Indexed" and spec["parallelism"] == n
    (script,) = spec["template"]["spec"]["containers"][0]["args"]
    assert f'--shard "$((JOB_COMPLETION_INDEX + 1))/{n}"' in script
    assert "--start-at" in script and "--level-every" in script
    (merge,) = yaml.safe_load_all((EXAMPLES / "kubernetes" / "loadtest-merge-job.yaml").read_text())
    (merge_script,) = merge["spec"]["template"]["spec"]["containers"][0]["args"]
    assert f"--merge /reports/loadtest-part-*-of-{n}-latest.json" in merge_script


def test_the_actions_matrix_runs_every_shard_then_merges() -> None:
    workflow = yaml.safe_load((EXAMPLES / "loadtest-shards.yml").read_text())
    jobs = workflow["jobs"]
    shards = jobs["shard"]["strategy"]["matrix"]["shard"]
    (step,) = [s for s in jobs["shard"]["steps"] if "llmops" in s.get("uses", "")]
    m = re.search(r"--shard \$\{\{ matrix.shard \}\}/(\d+)", step["with"]["command"])
    assert m is not None and shards == list(range(1, int(m.group(1)) + 1))
    assert jobs["merge"]["needs"] == "shard"
    (merge,) = [s for s in jobs["merge"]["steps"] if "llmops" in s.get("uses", "")]
    assert merge["with"]["command"].startswith("loadtest --merge ")

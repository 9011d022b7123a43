"""`llmops profile --dask`: the same result as one process, on a LocalCluster, from local files
and from an fsspec filesystem; and one clear line for each way it cannot start."""

from __future__ import annotations

import gzip
import importlib.util
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest
from typer.testing import CliRunner

from llmops.cli.app import app
from llmops.reporters.profile import render_json, render_markdown
from llmops.workflows.profile import ProfileOptions, ProfileResult, profile_logs
from llmops.workflows.profile import files as profile_files
from llmops.workflows.profile.cluster import plan
from llmops.workflows.profile.read import ScanResult
from llmops.workflows.profile.samples import SAMPLED_FEATURES
from tests.profile.helpers import SAMPLES, write_synthetic

distributed = pytest.importorskip("distributed")

#: the line-cut file is split into ranges of this many bytes
RANGE = 64 * 1024


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A cluster of two in-process workers (they see this process's memory:// files), reached
    over TCP as a remote scheduler is."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address=":0",
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        yield cluster.scheduler_address


@pytest.fixture
def small_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profile_files, "SPLIT_MIN_BYTES", 1)
    monkeypatch.setattr(profile_files, "RANGE_BYTES", RANGE)


def _fail_long_or_german(text: str, german: bool) -> float:
    return 0.4 if len(text) > 2000 or german else 0.05


def _logs(root: Path) -> Path:
    """Every shipped format (two files joined across: batch input and output), a large plain
    file with damaged lines here and there, a gzip file and a truncated gzip file."""
    logs = root / "logs"
    logs.mkdir()
    for sample in sorted(SAMPLES.glob("*.jsonl")):
        shutil.copy(sample, logs / sample.name)
    big = write_synthetic(root / "big.jsonl", 1200, seed=7, fail_rate=_fail_long_or_german)
    lines = big.read_bytes().splitlines(keepends=True)
    damaged = [b"not json at all\n", b'{"status": 200, "request": {\n', b"\xff\xfe\x00bin\n"]
    for i, bad in enumerate(damaged * 4):
        lines.insert(50 + i * 97, bad)
    (logs / "big.jsonl").write_bytes(b"".join(lines))
    zipped = write_synthetic(root / "z.jsonl", 300, seed=8, fail_rate=_fail_long_or_german)
    (logs / "z.jsonl.gz").write_bytes(gzip.compress(zipped.read_bytes()))
    cut = gzip.compress(zipped.read_bytes())
    (logs / "zz-cut.jsonl.gz").write_bytes(cut[: len(cut) * 2 // 3])
    return logs


def _same(a: ProfileResult, b: ProfileResult) -> None:
    assert render_json(a) == render_json(b)
    assert render_markdown(a) == render_markdown(b)
    assert a.samples is not None and b.samples is not None
    for index in SAMPLED_FEATURES:
        for failed in (True, False):
            assert a.samples.inputs(index, failed) == b.samples.inputs(index, failed)


def test_the_dask_profile_is_the_single_process_profile(
    tmp_path: Path, scheduler: str, small_ranges: None
) -> None:
    logs = _logs(tmp_path)
    paths = [str(logs / "*")]
    tasks = plan(profile_files.expand_sources(paths))
    big = [t for t in tasks if t[0].endswith("big.jsonl")]
    assert len(big) > 3 and all(end is not None for _, _, end, _ in big)  # split in ranges
    assert [t for t in tasks if t[0].endswith(".gz") and t[2] is not None] == []  # gzip: whole

    serial = profile_logs(paths, ProfileOptions(workers=1, samples=3))
    on_dask = profile_logs(paths, ProfileOptions(dask=scheduler, samples=3))

    _same(serial, on_dask)
    assert len(serial.formats) >= 8 and serial.problems.total >= 12  # what was compared
    assert serial.requests > 1400 and serial.findings


def test_dask_and_local_progress_count_files_done_of_the_total(
    tmp_path: Path, scheduler: str, small_ranges: None
) -> None:
    # the large file is read in several ranges (tasks): it counts as one file, once all are in
    logs = _logs(tmp_path)
    paths = [str(logs / "*")]
    count = len(profile_files.expand_sources(paths))
    assert len(plan(profile_files.expand_sources(paths))) > count
    for options in (ProfileOptions(dask=scheduler), ProfileOptions(workers=2)):
        seen: list[tuple[int, int]] = []
        profile_logs(
            paths, options, on_files=lambda done, total, seen=seen: seen.append((done, total))
        )
        assert seen[0] == (0, count) and seen[-1] == (count, count), options
        assert {total for _, total in seen} == {count}
        assert [done for done, _ in seen] == sorted(done for done, _ in seen)
        if options.dask is not None:  # one call at the start, then one per file finished
            assert [done for done, _ in seen] == list(range(count + 1))


def test_a_dask_profile_reads_an_fsspec_filesystem(
    tmp_path: Path, scheduler: str, small_ranges: None
) -> None:
    logs = _logs(tmp_path)
    memory = fsspec.filesystem("memory")
    for path in logs.iterdir():
        memory.pipe(f"/dask-test/{path.name}", path.read_bytes())
    try:
        local = profile_logs([str(logs / "*")], ProfileOptions(workers=1, samples=3))
        url = ["memory://dask-test/*"]
        remote_serial = profile_logs(url, ProfileOptions(workers=1, samples=3))
        remote_dask = profile_logs(url, ProfileOptions(dask=scheduler, samples=3))
    finally:
        memory.rm("/dask-test", recursive=True)
    _same(remote_serial, remote_dask)
    assert remote_dask.sources[0].startswith("memory://")
    assert (remote_dask.requests, remote_dask.distributions) == (
        local.requests,
        local.distributions,
    )


def test_ctrl_c_before_any_task_finished_reports_nothing(tmp_path: Path, scheduler: str) -> None:
    logs = _logs(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        profile_logs([str(logs / "*")], ProfileOptions(dask=scheduler), stop=lambda: True)


def test_ctrl_c_during_a_dask_profile_reports_the_finished_tasks(
    tmp_path: Path, scheduler: str, small_ranges: None
) -> None:
    logs = _logs(tmp_path)
    whole = profile_logs([str(logs / "*")], ProfileOptions(workers=1))
    seen: list[int] = []
    result = profile_logs(
        [str(logs / "*")],
        ProfileOptions(dask=scheduler),
        on_progress=lambda done, total: seen.append(done),
        stop=lambda: bool(seen),
    )
    assert result.interrupted is not None and "partial" in result.interrupted
    assert 0 < result.requests <= whole.requests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


@pytest.mark.parametrize("userinfo", ["", "user:hunter2@"])
def test_an_unreachable_scheduler_is_one_line_exit_2(tmp_path: Path, userinfo: str) -> None:
    address = f"tcp://{userinfo}127.0.0.1:{_free_port()}"
    log = SAMPLES / "openai.jsonl"
    args = ["profile", str(log), "--dask", address, "--dask-timeout", "1"]
    run = CliRunner().invoke(app, [*args, "--report-dir", str(tmp_path)])
    assert run.exit_code == 2
    line = _one_line(run.output)
    assert "no Dask scheduler answered within 1 s" in line and "hunter2" not in line
    assert not (tmp_path / "profile.json").exists()


@pytest.mark.skipif(importlib.util.find_spec("s3fs") is not None, reason="s3fs is installed")
def test_a_url_without_its_backend_names_the_package(tmp_path: Path) -> None:
    url = "s3://key:topsecret@bucket/logs/*.jsonl.gz"
    run = CliRunner().invoke(app, ["profile", url, "--report-dir", str(tmp_path)])
    assert run.exit_code == 2
    line = _one_line(run.output)
    assert "pip install s3fs" in line and "topsecret" not in line


def test_dask_not_installed_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    log = SAMPLES / "openai.jsonl"
    run = CliRunner().invoke(
        app, ["profile", str(log), "--dask", "local", "--report-dir", str(tmp_path)]
    )
    assert run.exit_code == 2
    assert "pip install 'llmops-toolkit[dask]'" in _one_line(run.output)


def test_dask_local_starts_a_cluster_and_reports_as_one_process(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for name in ("openai.jsonl", "anthropic.jsonl", "otel.jsonl"):
        shutil.copy(SAMPLES / name, logs / name)
    base = ["profile", str(logs / "*.jsonl"), "--no-language"]
    serial = CliRunner().invoke(app, [*base, "--report-dir", str(tmp_path / "one")])
    local = CliRunner().invoke(
        app, [*base, "--dask", "local", "--workers", "1", "--report-dir", str(tmp_path / "dask")]
    )
    assert serial.exit_code == 0 and local.exit_code == 0, local.output
    one = (tmp_path / "one" / "profile.json").read_text()
    assert one == (tmp_path / "dask" / "profile.json").read_text()


def test_byte_ranges_cut_at_line_starts_cover_every_line_once(
    tmp_path: Path, small_ranges: None
) -> None:
    """Cuts inside a line, on a line start, and ranges inside one line longer than a range."""
    log = write_synthetic(tmp_path / "a.jsonl", 400, seed=3, fail_rate=_fail_long_or_german)
    lines = log.read_bytes().splitlines(keepends=True)
    lines.insert(100, b'{"note": "' + b"x" * (3 * RANGE) + b'"}\n')  # spans several ranges
    data = bytearray(b"".join(lines))
    cut = len(data) // -(-len(data) // RANGE)  # the first nominal cut: make it a line start
    start, end = data.rfind(b"\n", 0, cut) + 1, data.index(b"\n", cut)
    data[start:end] = b"\n" * (end - start)  # blank lines, the size unchanged
    log.write_bytes(data)
    options = ProfileOptions(samples=3).scan_options()
    sizes = profile_files.expand_sources([str(log)])
    tasks = plan(sizes)
    assert len(tasks) > 4 and tasks[1][1] == cut and data[cut - 1 : cut] == b"\n"
    parts = [(p, profile_files.scan_part(p, a, b, n, options)) for p, a, b, n in tasks]
    assert sum(part.lines for _, part in parts) == data.count(b"\n")
    assert any(part.lines == 0 for _, part in parts)  # a range inside the long line: nothing
    merged = ScanResult()
    profile_files.merge_parts(merged, parts)
    profile_files.finish_joins(merged, options)
    serial = profile_files.scan_paths(list(sizes), options, workers=1)
    assert merged.tally.cells == serial.tally.cells
    assert (merged.lines, merged.records, merged.skipped) == (
        serial.lines,
        serial.records,
        serial.skipped,
    )
    assert merged.problems == serial.problems


def test_a_url_without_fsspec_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "fsspec", None)  # `import fsspec` fails
    run = CliRunner().invoke(
        app, ["profile", "memory://logs/*.jsonl", "--report-dir", str(tmp_path)]
    )
    assert run.exit_code == 2
    assert "pip install 'llmops-toolkit[dask]'" in _one_line(run.output)


def test_stdin_on_a_cluster_is_refused_in_one_line(tmp_path: Path) -> None:
    run = CliRunner().invoke(
        app, ["profile", "-", "--dask", "local", "--report-dir", str(tmp_path)], input="{}\n"
    )
    assert run.exit_code == 2
    assert "(stdin) cannot be read on a cluster" in _one_line(run.output)


def test_a_url_glob_matching_nothing_is_one_line(tmp_path: Path) -> None:
    run = CliRunner().invoke(
        app, ["profile", "memory://no-such-dir/*.jsonl", "--report-dir", str(tmp_path)]
    )
    assert run.exit_code == 2
    assert _one_line(run.output).endswith("memory://no-such-dir/*.jsonl: no such file")

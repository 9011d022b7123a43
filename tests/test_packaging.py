"""The distribution is ``llmops-toolkit``: ``llmops`` on PyPI is another project.

Every install line in the repository must name ``llmops-toolkit`` (or install from a checkout):
a bare ``pip install llmops`` -- or an ``llmops[extra]`` requirement -- installs a stranger's
package.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DIST = "llmops-toolkit"

#: where install lines are written for people to copy
SCANNED = ("README.md", "docs", "examples", "llmops", "benchmarks", "scenarios", ".ci", "tests")
SUFFIXES = {".md", ".py", ".yml", ".yaml", ".toml", ".txt", ".cfg", ".sh", ".json", ""}

_NAME = "llmops"
#: ``pip install [options] llmops`` with the bare name (quoted or not, with extras or a version)
_BARE_INSTALL = re.compile(
    r"pip3?\s+install\s+(?:-{1,2}\S+\s+)*[\"']?" + _NAME + r"(?![\w-])", re.IGNORECASE
)
#: a requirement ``llmops[extra,...]`` anywhere (``llmops-toolkit[extra]`` is fine; a Python
#: list named ``llmops`` being indexed, ``llmops[:4]``, is not a requirement)
_BARE_EXTRA = re.compile(r"(?:^|[\s\"'=(,])" + _NAME + r"\[[\w,\s-]+\]")
#: the extras an install line names: ``llmops-toolkit[a,b]``, or ``.[a,b]`` from a checkout
_EXTRAS = re.compile(r"(?:" + re.escape(DIST) + r"|pip install (?:-e )?[\"']?\.)\[([\w,\s-]+)\]")


def bare_install_lines(text: str) -> list[str]:
    """The lines of ``text`` that would install the bare ``llmops`` distribution."""
    return [
        line.strip()
        for line in text.splitlines()
        if _BARE_INSTALL.search(line) or _BARE_EXTRA.search(line)
    ]


def _scanned_files() -> list[Path]:
    files: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix in SUFFIXES
                and not any(
                    part.startswith(".") and part != ".ci" for part in p.relative_to(ROOT).parts
                )
                and "__pycache__" not in p.parts
                and p != Path(__file__).resolve()
            )
    return files


@pytest.mark.parametrize(
    "line",
    [
        "pip install llmops",
        'run: pip install "llmops[postgres]"',
        "python -m pip install -U llmops==0.1.0",
        "pip3 install 'llmops>=0.1'",
        "dependencies = ['llmops[redis]']",
    ],
)
def test_a_bare_install_line_is_caught(line: str) -> None:
    assert bare_install_lines(line) == [line]


@pytest.mark.parametrize(
    "line",
    [
        "pip install llmops-toolkit",
        'pip install "llmops-toolkit[postgres]"',
        'pip install -e ".[dev,redis,postgres,docs]"',
        "import llmops  # the import package keeps its name",
        "llmops loadtest --levels 10,25,50,100",
        "from llmops.workflows.loadtest import run_loadtest",
        "cmd = [*llmops[:4], str(path), *llmops[5:]]",
    ],
)
def test_install_lines_of_the_real_name_pass(line: str) -> None:
    assert bare_install_lines(line) == []


def test_no_file_installs_the_bare_llmops_distribution() -> None:
    files = _scanned_files()
    assert ROOT / "README.md" in files and any(p.parent.name == "docs" for p in files)
    found = [
        f"{path.relative_to(ROOT)}: {line}"
        for path in files
        for line in bare_install_lines(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert found == []


def test_the_distribution_is_llmops_toolkit_and_the_command_llmops() -> None:
    dist = metadata.distribution(DIST)
    scripts = {ep.name: ep.value for ep in dist.entry_points if ep.group == "console_scripts"}
    assert dist.metadata["Name"] == DIST
    assert scripts == {"llmops": "llmops.cli:main"}


def test_every_extra_an_install_line_names_exists() -> None:
    provided = set(metadata.metadata(DIST).get_all("Provides-Extra") or [])
    named = {
        extra.strip()
        for path in _scanned_files()
        for group in _EXTRAS.findall(path.read_text(encoding="utf-8", errors="replace"))
        for extra in group.split(",")
    }
    assert named, "no install line names an extra: the scan found nothing"
    assert named <= provided, f"extras named but not defined: {sorted(named - provided)}"

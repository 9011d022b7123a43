"""Build script for the one compiled module; everything else is declared in pyproject.toml.

``llmops/workflows/profile/_openai_scan.c`` is the fast path of ``llmops profile``. It is built
as an optional extension: where no C compiler is present the install still succeeds and the
profile command reads every line on its pure-Python path (slower, same results).

A wheel also carries the repository's ``scenarios/`` folder as ``llmops/_scenarios``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithScenarios(build_py):
    """Copy ``scenarios/`` into the built package as ``llmops/_scenarios``."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:  # an editable install reads the repository's copy
            target = Path(self.build_lib) / "llmops" / "_scenarios"
            shutil.copytree(ROOT / "scenarios", target, dirs_exist_ok=True)


setup(
    cmdclass={"build_py": BuildPyWithScenarios},
    ext_modules=[
        Extension(
            "llmops.workflows.profile._openai_scan",
            ["llmops/workflows/profile/_openai_scan.c"],
            extra_compile_args=["-O3"],
            optional=True,
        )
    ],
)

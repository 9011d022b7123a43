"""The package's names load on first use, so the command line and ``llmops profile`` stay light.

Each check runs in a fresh interpreter: the test process has long imported everything.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import llmops

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "scenarios" / "logs" / "openai.jsonl"
#: what the command line and the profile path must not load
HEAVY = ("llmops.engine", "llmops.config", "pydantic", "httpx", "aiohttp", "anyio", "matplotlib")


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.splitlines()[-1]))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize(
    "package", ["llmops", "llmops.core", "llmops.stats", "llmops.workflows.profile"]
)
def test_every_public_name_resolves_and_is_listed(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError, match="no_such_name"):
        module.no_such_name  # noqa: B018


def test_a_lazy_name_is_the_defining_modules_object() -> None:
    from llmops.engine.engine import Engine
    from llmops.errors import InputError

    assert llmops.Engine is Engine
    assert llmops.InputError is InputError
    assert llmops.__version__ == "0.1.0"


def test_import_llmops_loads_neither_the_engine_nor_the_config_schema() -> None:
    modules = loaded_after("import llmops")
    assert heavy_in(modules) == []


def test_the_command_line_loads_no_command_s_workflow() -> None:
    modules = loaded_after("import llmops.cli.app")
    assert heavy_in(modules) == []
    assert "numpy" not in modules and "scipy" not in modules


def test_llmops_profile_loads_not_the_engine_and_matplotlib_only_to_draw(tmp_path: Path) -> None:
    run = (
        "import sys\nfrom llmops.cli.app import main\n"
        f"sys.argv = ['llmops', 'profile', {str(SAMPLE)!r}, '--no-language',"
        f" '--report-dir', {str(tmp_path)!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
    )
    modules = loaded_after(run)
    # typer itself coerces the parameters of a command it runs with pydantic
    # matplotlib draws the HTML report's chart (the one chart path), never through pyplot
    heavy = [m for m in heavy_in(modules) if not m.startswith(("pydantic", "matplotlib"))]
    assert heavy == [] and "matplotlib.pyplot" not in modules
    # Dask only with --dask, fsspec only for a URL
    assert {m.split(".")[0] for m in modules} & {"dask", "distributed", "fsspec"} == set()
    assert "llmops.reporters.profile.html" in modules  # the reports were written
    assert (tmp_path / "profile.html").exists()


def test_the_sdk_subpackage_is_an_attribute_loaded_only_when_read() -> None:
    assert "llmops.sdk" not in loaded_after("import llmops")
    modules = loaded_after(
        "import llmops\nassert callable(llmops.sdk.http_client)\n"
        "assert callable(llmops.sdk.async_http_client)\nassert 'sdk' in dir(llmops)"
    )
    assert "llmops.sdk" in modules

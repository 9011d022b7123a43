"""preload: a slow import started in a daemon thread, once; a later import waits for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_preload_imports_in_the_background_once_and_a_later_import_gets_the_module() -> None:
    # in a fresh interpreter: this one has scipy.stats loaded already
    probe = """
import sys
from llmops._preload import preload
from llmops.stats import significance as s
assert "scipy.stats" not in sys.modules
loading = preload("scipy.stats")
assert loading is not None and loading.daemon and loading.name == "llmops-import-scipy.stats"
assert preload("scipy.stats") is loading  # once is enough
r = s.rate_difference_test(3, 4, 1, 4)
loading.join()
assert "scipy.stats" in sys.modules
print(round(r.p_value, 4))
"""
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0.4857"


def test_preload_of_an_imported_module_starts_nothing() -> None:
    from llmops._preload import preload

    assert "json" in sys.modules
    assert preload("json") is None


def test_a_failed_background_import_is_raised_by_the_callers_own_import() -> None:
    probe = """
import importlib
from llmops._preload import preload
preload("llmops_no_such_module").join()
try:
    importlib.import_module("llmops_no_such_module")
except ModuleNotFoundError:
    print("raised")
"""
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "raised"

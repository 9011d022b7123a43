"""The profile package's shape: no import cycles, no compiled code, core's text measures free of I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import llmops.core.textprofile
import llmops.workflows.profile

PACKAGE = Path(llmops.workflows.profile.__file__).parent
NAME = "llmops.workflows.profile"


def imports_of(path: Path) -> set[str]:
    """The modules of this package that ``path`` imports (at any depth of the file)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(NAME + "."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(NAME + ".")}
    return found


def test_the_profile_package_has_no_import_cycle() -> None:
    graph = {
        f"{NAME}.{p.stem}": imports_of(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"
    }
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module in done:
            return
        for dep in graph.get(module, ()):
            visit(dep, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())


def test_no_compiled_code_and_no_native_module() -> None:
    names = {p.name for p in PACKAGE.iterdir()}
    assert not [n for n in names if n.endswith((".c", ".so", ".pyd", ".pyx"))]
    assert not [n for n in names if "native" in n or n == "runner.py"]


def test_the_text_measures_read_no_file() -> None:
    source = Path(llmops.core.textprofile.__file__).read_text()
    tree = ast.parse(source)
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not imported & {"pathlib", "os", "io", "threading", "pycld2", "fasttext"}
    assert "open(" not in source

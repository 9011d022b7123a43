"""The package's import graph: no cycles, and the sans-I/O packages import no I/O.

The graph is grimp's (what import-linter uses): every ``import`` in every module, at module level
or inside a function, including those under ``TYPE_CHECKING``. ``llmops.engine``,
``llmops.workflows`` and ``llmops.reporters`` are namespace packages (no ``__init__.py``), which
grimp reads as roots of their own.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import grimp

import llmops

PACKAGE = Path(llmops.__file__).resolve().parent
ROOT = PACKAGE.parent


#: what a sans-I/O module must not import: files, threads, processes, sockets, event loops,
#: HTTP, terminals and databases
IO_MODULES = frozenset(
    {
        "aiohttp",
        "anyio",
        "asyncio",
        "concurrent",
        "httpx",
        "io",
        "multiprocessing",
        "os",
        "pathlib",
        "psycopg",
        "redis",
        "rich",
        "shutil",
        "socket",
        "sqlite3",
        "subprocess",
        "tempfile",
        "threading",
        "trio",
        "urllib",
    }
)
#: the sans-I/O packages
PURE = ("llmops.core", "llmops.stats")


def _roots() -> list[str]:
    """``llmops`` and the namespace packages inside it (grimp does not walk into those)."""
    found = ["llmops"]
    for path in sorted(PACKAGE.rglob("*")):
        if (
            path.is_dir()
            and "__pycache__" not in path.parts
            and not (path / "__init__.py").exists()
            and any(path.glob("*.py"))
        ):
            found.append(".".join(path.relative_to(ROOT).parts))
    return found


@cache
def _graph(*, external: bool = False) -> grimp.ImportGraph:
    return grimp.build_graph(*_roots(), cache_dir=None, include_external_packages=external)


def _cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    modules = sorted(m for m in graph.modules if m.startswith("llmops"))
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for start in modules:
        if start in index:
            continue
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_the_graph_covers_the_namespace_packages() -> None:
    modules = _graph().modules
    assert "llmops.engine.engine" in modules
    assert "llmops.workflows.loadtest.loadtest" in modules
    assert "llmops.stats.drift" in modules


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for name in ("llmops.a", "llmops.b", "llmops.c"):
        graph.add_module(name)
    graph.add_import(importer="llmops.a", imported="llmops.b")
    graph.add_import(importer="llmops.b", imported="llmops.c")
    assert _cycles(graph) == []
    graph.add_import(importer="llmops.c", imported="llmops.a")
    assert _cycles(graph) == [{"llmops.a", "llmops.b", "llmops.c"}]


def test_the_import_graph_has_no_cycles() -> None:
    cycles = _cycles(_graph())
    assert cycles == []


def test_the_sans_io_packages_import_no_io() -> None:
    graph = _graph(external=True)
    found = {}
    for module in sorted(graph.modules):
        if not module.startswith(PURE):
            continue
        imported = graph.find_modules_directly_imported_by(module)
        bad = {m.split(".")[0] for m in imported} & IO_MODULES
        if bad:
            found[module] = sorted(bad)
    assert found == {}


def test_the_sans_io_packages_open_no_file() -> None:
    calls = []
    for package in PURE:
        for path in sorted((ROOT / package.replace(".", "/")).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    func = node.func
                    name = func.id if isinstance(func, ast.Name) else None
                    attr = func.attr if isinstance(func, ast.Attribute) else None
                    if name in ("open", "input", "print") or attr in (
                        "read_text",
                        "read_bytes",
                        "write_text",
                        "write_bytes",
                    ):
                        calls.append(f"{path.name}:{node.lineno}")
    assert calls == []


def test_every_module_imports_first_in_a_fresh_interpreter() -> None:
    # catches a cycle through a package's __init__, which the graph above does not draw: each
    # module is imported with no other llmops module loaded
    modules = sorted(m for m in _graph().modules if not m.endswith("__main__") and m != "llmops")
    probe = f"""
import importlib, sys
failed = []
for name in {modules!r}:
    for loaded in [m for m in sys.modules if m == "llmops" or m.startswith("llmops.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except ImportError as exc:
        failed.append(f"{{name}}: {{exc}}")
print("\\n".join(failed))
"""
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""

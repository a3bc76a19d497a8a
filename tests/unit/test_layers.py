"""The package's layers (docs/architecture.md): each module imports only its own layer and those
below it, and no modules import each other in a circle (imports inside functions count)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "wsguide"

#: The layers from the bottom up; a module's layer is the first entry its dotted name starts with.
LAYERS: list[tuple[str, ...]] = [
    ("wsguide.core",),
    ("wsguide.ffi",),
    ("wsguide.http", "wsguide.js"),  # js: the import mirror of JavaScript's globals
    ("wsguide.sdk", "wsguide.workers"),  # workers: the import mirror of the Python Workers SDK
    ("wsguide.net",),
    ("wsguide.durable",),
    ("wsguide.serving", "wsguide.workerfile"),
    ("wsguide.teach",),
    ("wsguide.lint", "wsguide.export"),
    ("wsguide.cli", "wsguide.doctor", "wsguide.notebook", "wsguide.__main__"),
    ("wsguide",),  # the package itself: its public names
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    for index, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes if p != "wsguide"):
            return index
    assert module == "wsguide", f"{module} belongs to no layer: add it to LAYERS"
    return len(LAYERS) - 1


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports_of(path: Path) -> set[str]:
    """Every wsguide module ``path`` imports, at module level or inside functions."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("wsguide")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("wsguide"):
                # `from . import printing` imports the module wsguide.net.printing; `from .net
                # import Server` takes a name from wsguide.net itself.
                submodules = {f"{target}.{a.name}" for a in node.names if _is_module(f"{target}.{a.name}")}
                found |= submodules
                if len(submodules) < len(node.names):
                    found.add(target)
    return {name for name in found if name != module}


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {name: {i for i in imports_of(path) if i in MODULES} for name, path in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_nothing_from_a_higher_layer(module: str) -> None:
    upward = sorted(i for i in GRAPH[module] if layer_of(i) > layer_of(module))
    assert not upward, f"{module} (layer {layer_of(module)}) imports from higher layers: {upward}"


def test_no_modules_import_each_other_in_a_circle() -> None:
    # Imports of the package itself (wsguide/__init__) by its submodules are how Python loads a
    # package, not an edge of the design: leave them out.
    graph = {m: {i for i in deps if i != "wsguide"} for m, deps in GRAPH.items() if m != "wsguide"}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_no_module_is_much_over_500_lines() -> None:
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > 575}
    assert not long, f"split these modules (about 500 lines at most): {long}"

"""A Worker file: a Python module with ``class Default(WorkerEntrypoint)``, loaded by path.

It may also define, at module level (wsguide only; on Workers these live in
``wrangler.jsonc``):

* ``DURABLE_OBJECTS = {"ROOMS": ChatRoom}`` — Durable Object bindings;
* ``COMPATIBILITY_DATE = "2026-11-01"`` and ``COMPATIBILITY_FLAGS = [...]``;
* ``ASSETS = "public"`` — a folder of static files served before the Worker.

The Python files next to it that it imports are part of the Worker too
(:func:`local_modules`): ``wsguide lint`` checks them and ``wsguide export`` copies them.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["load_worker_module", "local_modules"]


def load_worker_module(path: str | os.PathLike[str]) -> ModuleType:
    """Import a Worker file by path (its folder goes on ``sys.path`` for its own imports)."""
    file = Path(path).resolve()
    if not file.exists():
        raise FileNotFoundError(f"No Worker file at {path} (looked in {file.parent}).")
    if file.is_dir():
        candidate = file / "worker.py"
        if not candidate.exists():
            raise FileNotFoundError(f"{path} is a folder without a worker.py in it.")
        file = candidate
    folder = str(file.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = "wsguide_worker_" + file.stem
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# Top-level names a Worker imports that are never local modules, even with a folder of that name nearby.
_NOT_LOCAL = frozenset({"wsguide", "workers", "js", "pyodide"})


def _imported_tops(tree: ast.AST) -> set[str]:
    tops = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            tops.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            tops.add(node.module.split(".")[0])
    return tops - _NOT_LOCAL


def local_modules(worker: str | Path) -> list[Path]:
    """The Python files next to the Worker that it imports (directly or through each other).

    A module ``name`` is local when ``name.py`` or a package folder ``name/__init__.py``
    sits in the Worker's folder (Python finds those first, as ``wsguide dev`` runs it).
    A package counts with every ``.py`` file in it. The Worker itself is not included.
    """
    worker = Path(worker).resolve()
    folder = worker.parent
    found: dict[Path, None] = {}
    todo = [worker]
    seen = {worker}
    while todo:
        file = todo.pop()
        for top in sorted(_imported_tops(ast.parse(file.read_text(encoding="utf-8"), filename=str(file)))):
            candidates: list[Path] = []
            if (folder / f"{top}.py").is_file():
                candidates = [folder / f"{top}.py"]
            elif (folder / top / "__init__.py").is_file():
                candidates = sorted(p for p in (folder / top).rglob("*.py") if "__pycache__" not in p.parts)
            for candidate in candidates:
                candidate = candidate.resolve()
                if candidate not in seen:
                    seen.add(candidate)
                    found[candidate] = None
                    todo.append(candidate)
    return list(found)

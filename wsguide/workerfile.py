"""A Worker file: a Python module with ``class Default(WorkerEntrypoint)``, loaded by path.

It may also define, at module level (wsguide only; on Workers these live in
``wrangler.jsonc``):

* ``DURABLE_OBJECTS = {"ROOMS": ChatRoom}`` — Durable Object bindings;
* ``COMPATIBILITY_DATE = "2026-11-01"`` and ``COMPATIBILITY_FLAGS = [...]``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["load_worker_module"]


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

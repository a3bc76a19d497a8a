"""The wsguide-only settings of a Worker file (``DURABLE_OBJECTS``, ``COMPATIBILITY_*``,
``ASSETS``), read from its source without running it, and the compatibility settings an
export is written with."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ..core.compat import DEFAULT_COMPATIBILITY_DATE, Compat
from .errors import ExportError

__all__ = ["WorkerSettings", "read_settings", "served_with"]


@dataclass
class WorkerSettings:
    """The wsguide-only module-level settings of a Worker file, read from its source."""

    durable_objects: dict[str, str] = field(default_factory=dict)  # binding -> class name
    compatibility_date: str | None = None
    compatibility_flags: list[str] = field(default_factory=list)
    assets: str | None = None


def read_settings(source: str, path: str = "<worker>") -> WorkerSettings:
    """``DURABLE_OBJECTS``, ``COMPATIBILITY_*`` and ``ASSETS`` as written at module level.

    Each must be a literal (``{"ROOMS": ChatRoom}``, a string, a list of strings) so it can
    be read without running the file; the last assignment wins, as when Python runs it.
    """
    tree = ast.parse(source, filename=path)
    settings = WorkerSettings()
    defined = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    imported = {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            target, value = node.target.id, node.value
        else:
            continue
        where = f"{path}:{node.lineno}"
        if target == "DURABLE_OBJECTS":
            if not isinstance(value, ast.Dict) or not all(
                isinstance(k, ast.Constant) and isinstance(k.value, str) and isinstance(v, ast.Name)
                for k, v in zip(value.keys, value.values)
            ):
                raise ExportError(
                    f'{where}: write DURABLE_OBJECTS as a literal dict, {{"BINDING": ClassName, ...}}, '
                    "so export can read it without running the file."
                )
            bindings = {k.value: v.id for k, v in zip(value.keys, value.values)}  # type: ignore[union-attr]
            for binding, class_name in bindings.items():
                if class_name not in defined and class_name not in imported:
                    raise ExportError(
                        f"{where}: DURABLE_OBJECTS binds {binding} to {class_name}, but the Worker file "
                        f"neither defines nor imports a class {class_name}. On Workers the class must "
                        "be a name in the Worker's module."
                    )
                if not re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", binding):
                    raise ExportError(f"{where}: {binding!r} is not a valid binding name (letters, digits, _).")
            settings.durable_objects = bindings
        elif target == "COMPATIBILITY_DATE":
            settings.compatibility_date = _literal_str(value, where, target)
        elif target == "COMPATIBILITY_FLAGS":
            if not isinstance(value, (ast.List, ast.Tuple)):
                raise ExportError(f'{where}: write COMPATIBILITY_FLAGS as a list of strings, ["flag", ...].')
            settings.compatibility_flags = [_literal_str(v, where, target) for v in value.elts]
        elif target == "ASSETS":
            settings.assets = _literal_str(value, where, target)
    return settings


def _literal_str(node: ast.expr, where: str, name: str) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    raise ExportError(f"{where}: {name} must be a plain string here, so export can read it without running the file.")


def served_with(
    settings: WorkerSettings, date: str | None, flags: list[str] | tuple[str, ...]
) -> tuple[str, list[str]]:
    """The compatibility date and flags, as ``wsguide dev`` resolves them, plus ``python_workers``.

    The date: ``date`` (the command line), else the file's ``COMPATIBILITY_DATE``, else the
    kit's default. The flags: the file's ``COMPATIBILITY_FLAGS`` followed by ``flags``.
    """
    chosen = date or settings.compatibility_date or DEFAULT_COMPATIBILITY_DATE
    combined = [*settings.compatibility_flags, *flags]
    try:
        compat = Compat(chosen, combined)
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    out = ["python_workers"]
    for flag in combined:
        if flag not in out:
            out.append(flag)
    return compat.date, out

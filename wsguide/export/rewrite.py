"""The import rewrite: wsguide's mirror imports become the real Python Workers ones, in place."""

from __future__ import annotations

import ast
import re

from ..lint import MIRRORS
from .errors import ExportError

__all__ = ["rewrite_imports"]


def rewrite_imports(source: str, path: str = "<worker>") -> str:
    """``source`` with its wsguide mirror imports turned into the real Python Workers ones.

    ``from wsguide.workers import X`` → ``from workers import X``; ``wsguide.js`` → ``js``;
    ``wsguide.ffi`` → ``pyodide.ffi``; also ``import wsguide.workers as w``,
    ``from wsguide import js`` and ``wsguide.ffi.create_proxy`` written out in full. Only
    those spans change, and the result has the same number of lines.
    """
    tree = ast.parse(source, filename=path)
    edits: list[tuple[int, int, str]] = []
    offsets = _LineOffsets(source)
    full_imports = False  # `import wsguide.X` without `as`: code spells wsguide.X.name
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] != "wsguide":
                continue
            if len(parts) == 2 and parts[1] in MIRRORS:
                start = offsets.of(node.lineno, node.col_offset)
                match = re.compile(r"from\s+wsguide\s*\.\s*\w+").match(source, start)
                if match is None:  # pragma: no cover - the AST says it is there
                    raise ExportError(f"{path}:{node.lineno}: cannot find the module name to rewrite")
                edits.append((match.start(), match.end(), f"from {MIRRORS[parts[1]]}"))
            elif len(parts) == 1 and all(a.name in MIRRORS for a in node.names):
                edits.append(_from_wsguide_import(node, offsets, source))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "wsguide" and len(parts) == 2 and parts[1] in MIRRORS:
                    start = offsets.of(alias.lineno, alias.col_offset)
                    match = re.compile(r"wsguide\s*\.\s*\w+").match(source, start)
                    assert match is not None
                    edits.append((match.start(), match.end(), MIRRORS[parts[1]]))
                    full_imports = full_imports or alias.asname is None
    if full_imports:
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in MIRRORS
                and isinstance(node.value, ast.Name)
                and node.value.id == "wsguide"
            ):
                start = offsets.of(node.lineno, node.col_offset)
                end = offsets.of(node.end_lineno or node.lineno, node.end_col_offset or 0)
                edits.append((start, end, MIRRORS[node.attr]))
    result = source
    for start, end, text in sorted(edits, reverse=True):
        result = result[:start] + text + result[end:]
    if result.count("\n") != source.count("\n"):  # pragma: no cover - guarded by construction
        raise ExportError(f"{path}: the import rewrite changed the line count; please report this")
    ast.parse(result, filename=path)  # must still be valid Python
    return result


def _from_wsguide_import(node: ast.ImportFrom, offsets: _LineOffsets, source: str) -> tuple[int, int, str]:
    """``from wsguide import workers, js as j, ffi`` → ``import workers, js as j; from pyodide import ffi``."""
    plain, ffi = [], []
    for alias in node.names:
        spelled = MIRRORS[alias.name]
        if spelled == "pyodide.ffi":
            ffi.append("ffi" + (f" as {alias.asname}" if alias.asname else ""))
        else:
            plain.append(spelled + (f" as {alias.asname}" if alias.asname else ""))
    statements = []
    if plain:
        statements.append("import " + ", ".join(plain))
    if ffi:
        statements.append("from pyodide import " + ", ".join(ffi))
    start = offsets.of(node.lineno, node.col_offset)
    end = offsets.of(node.end_lineno or node.lineno, node.end_col_offset or 0)
    # Keep the line count: continue the statement over the lines the original spanned.
    extra_lines = source.count("\n", start, end)
    return start, end, "; ".join(statements) + " \\\n" * extra_lines


class _LineOffsets:
    """Character offsets from ast positions (whose columns count UTF-8 bytes)."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def of(self, lineno: int, col: int) -> int:
        line = self.lines[lineno - 1] if lineno - 1 < len(self.lines) else ""
        return self.starts[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8", errors="replace"))

"""Run every rule over a Worker module (and the local modules it imports) and collect findings.

A finding on a line that ends with the comment ``# wsguide: ignore[RULE-ID]`` (or
``# wsguide: ignore`` for every rule) is dropped: for the rare line where the checker
guesses wrong.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ..workerfile import local_modules
from .findings import Finding
from .rules import RULES
from .source import WorkerSource

__all__ = ["lint_file", "lint_source", "lint_worker"]

_IGNORE = re.compile(r"#\s*wsguide:\s*ignore(?:\[([\w\s,-]+)\])?")


def _findings(src: WorkerSource) -> list[Finding]:
    found = []
    for node in ast.walk(src.tree):
        for rule in RULES.values():
            for where, words in rule.check(node, src):
                found.append(Finding(src.path, where.lineno, where.col_offset, rule, words))
    return found


def _ignored(source: str, finding: Finding) -> bool:
    lines = source.splitlines()
    if not 1 <= finding.line <= len(lines):
        return False
    match = _IGNORE.search(lines[finding.line - 1])
    if match is None:
        return False
    ids = match.group(1)
    return ids is None or finding.rule.id in {i.strip() for i in ids.split(",")}


def lint_source(source: str, path: str = "<worker>") -> list[Finding]:
    """Every rule broken in ``source`` (a Worker module's text), sorted by line."""
    findings = [f for f in _findings(WorkerSource(source, path)) if not _ignored(source, f)]
    return sorted(findings, key=lambda f: (f.line, f.col, f.rule.id))


def lint_file(path: str | Path) -> list[Finding]:
    """``lint_source`` on one file."""
    return lint_source(Path(path).read_text(encoding="utf-8"), str(path))


def lint_worker(worker: str | Path) -> list[Finding]:
    """``lint_file`` on the Worker and on every local module it imports (what export would write)."""
    worker = Path(worker)
    findings = lint_file(worker)
    base = worker.resolve().parent
    for module in local_modules(worker):
        shown = worker.parent / module.relative_to(base)
        findings.extend(lint_source(module.read_text(encoding="utf-8"), str(shown)))
    return findings

"""``wsguide lint WORKER.py``: print each finding with file:line and the fix; exit 1 on findings."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .checker import lint_worker
from .findings import Finding

__all__ = ["add_arguments", "main", "report"]


def report(findings: list[Finding], out: Any = None) -> None:
    """Print the findings, then a one-line summary."""
    out = out if out is not None else sys.stdout
    for finding in findings:
        print(finding.format(), file=out)
    if findings:
        n = len(findings)
        print(f"{n} problem{'s' if n != 1 else ''}: this code would not work the same on Python Workers.", file=out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("worker", help="path to the Worker file (or a folder with worker.py)")


def main(args: argparse.Namespace) -> int:
    """``wsguide lint WORKER.py``: 0 when the file follows the rules, 1 when it does not, 2 on error."""
    path = Path(args.worker)
    if path.is_dir():
        path = path / "worker.py"
    if not path.is_file():
        print(f"error: no Worker file at {args.worker}", file=sys.stderr)
        return 2
    try:
        findings = lint_worker(path)
    except SyntaxError as exc:
        print(f"error: {exc.filename}:{exc.lineno}: {exc.msg} (fix the syntax first)", file=sys.stderr)
        return 2
    report(findings)
    if not findings:
        print(f"{path}: follows the Python Workers rules wsguide checks.")
    return 1 if findings else 0

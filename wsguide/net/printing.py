"""``print()`` inside a Worker goes to the Worker's log, as on Python Workers.

On Workers Python's standard output is ``console.log`` and standard error
``console.error``: what a Worker prints appears in ``wrangler dev``'s terminal,
never in the caller's. Here ``sys.stdout`` and ``sys.stderr`` are wrapped once
a server starts: a line written while a served Worker's code runs (its
isolate is current) goes to that Worker's log; anything else passes through
unchanged — a notebook cell's own ``print()`` still shows in the cell.
"""

from __future__ import annotations

import sys
from contextvars import ContextVar
from typing import Any, TextIO

from ..core import isolate as _isolate

__all__ = ["install"]

_writing: ContextVar[bool] = ContextVar("wsguide_print_reentry", default=False)


class WorkerStream:
    """A text stream that sends a Worker's lines to its log and passes the rest through."""

    def __init__(self, original: TextIO, level: str) -> None:
        #: The stream wrapped (a WorkerLog that echoes never writes back into this one).
        self.wsguide_original = original
        self._level = level
        self._partial: dict[int, str] = {}

    def write(self, text: str) -> int:
        iso = _isolate.current()
        if not iso.captures_print or _writing.get():
            return self.wsguide_original.write(text)
        key = id(iso)
        pending = self._partial.get(key, "") + text
        *lines, rest = pending.split("\n")
        self._partial[key] = rest
        token = _writing.set(True)
        try:
            for line in lines:
                iso.log.write(self._level, line)
        finally:
            _writing.reset(token)
        return len(text)

    def flush(self) -> None:
        self.wsguide_original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wsguide_original, name)


def install() -> None:
    """Wrap ``sys.stdout`` and ``sys.stderr`` (again, if something replaced them since)."""
    if not isinstance(sys.stdout, WorkerStream):
        sys.stdout = WorkerStream(sys.stdout, "log")  # type: ignore[assignment]
    if not isinstance(sys.stderr, WorkerStream):
        sys.stderr = WorkerStream(sys.stderr, "error")  # type: ignore[assignment]

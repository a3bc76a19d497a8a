"""What a Worker prints: ``console.log`` and the runtime's warnings.

``wrangler dev`` shows a Worker's ``console.log`` lines in its terminal. Here
each server keeps a :class:`WorkerLog`; code running inside a Worker (its
``fetch``, its listeners, a Durable Object) writes to the log of the server it
belongs to, found through a context variable. Outside any server, lines go to
a process-wide log that echoes to stderr.

Why not plain ``print``: in Jupyter a ``print()`` inside a listener lands under
whichever cell started the server (or nowhere, under nbval), so the notebooks
read the log instead.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TextIO

__all__ = ["LogLine", "WorkerLog", "console", "current_log", "emit"]


@dataclass(frozen=True)
class LogLine:
    level: str  # "log", "info", "warn", "error"
    text: str
    time: float

    def __str__(self) -> str:
        prefix = {"log": "", "info": "", "warn": "[warn] ", "error": "[error] "}[self.level]
        return prefix + self.text


class WorkerLog:
    """An ordered, bounded record of what a Worker printed."""

    def __init__(self, *, echo: TextIO | None = None, maxlen: int = 10_000, name: str = "") -> None:
        self.lines: deque[LogLine] = deque(maxlen=maxlen)
        self.echo = echo
        self.name = name
        self._waiters: list[Any] = []

    def write(self, level: str, text: str) -> None:
        line = LogLine(level, text, time.monotonic())
        self.lines.append(line)
        if self.echo is not None:
            try:
                prefix = f"[{self.name}] " if self.name else ""
                print(prefix + str(line), file=self.echo, flush=True)
            except (OSError, ValueError):
                pass  # a closed terminal must never break the server
        for waiter in self._waiters:
            waiter()

    def texts(self, level: str | None = None) -> list[str]:
        """The printed texts, optionally only one level."""
        return [ln.text for ln in self.lines if level is None or ln.level == level]

    def clear(self) -> None:
        self.lines.clear()

    def __len__(self) -> int:
        return len(self.lines)

    def __bool__(self) -> bool:
        return True  # an empty log is still a log

    def __iter__(self):
        return iter(self.lines)

    def __str__(self) -> str:
        return "\n".join(str(ln) for ln in self.lines)


#: The process-wide log for code running outside any server.
global_log = WorkerLog(echo=sys.stderr)

#: The log of the Worker whose code is running now.
current_log: ContextVar[WorkerLog | None] = ContextVar("wsguide_log", default=None)


def emit(level: str, text: str) -> None:
    """Write one line to the current Worker's log."""
    log = current_log.get()
    (global_log if log is None else log).write(level, text)


def _format(args: tuple[Any, ...]) -> str:
    return " ".join(a if isinstance(a, str) else repr(a) for a in args)


class _Console:
    """``console.log(...)`` as in a JavaScript Worker (wsguide only in Python)."""

    def log(self, *args: Any) -> None:
        emit("log", _format(args))

    def info(self, *args: Any) -> None:
        emit("info", _format(args))

    def warn(self, *args: Any) -> None:
        emit("warn", _format(args))

    def error(self, *args: Any) -> None:
        emit("error", _format(args))

    debug = log


console = _Console()

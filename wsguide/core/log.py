"""What a Worker prints: ``console.log`` lines and the runtime's warnings.

``wrangler dev`` shows a Worker's ``console.log`` lines in its terminal. Here
each server keeps a :class:`WorkerLog`, held by the Worker's isolate
(:mod:`wsguide.core.isolate`); code running inside a Worker (its ``fetch``,
its listeners, a Durable Object) writes to the log of the isolate it runs in.
Outside any server, lines go to a process-wide log that echoes to stderr.

Why not plain ``print``: in Jupyter a ``print()`` inside a listener lands under
whichever cell started the server (or nowhere, under nbval), so the notebooks
read the log instead.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from dataclasses import dataclass
from collections.abc import Callable, Iterator
from typing import TextIO

__all__ = ["LogLine", "WorkerLog", "global_log"]


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
        # Echo to the stream itself, never to the wrapper that routes a Worker's print() here.
        self.echo = getattr(echo, "wsguide_original", echo)
        self.name = name
        self._watchers: list[Callable[[LogLine], None]] = []

    def write(self, level: str, text: str) -> None:
        line = LogLine(level, text, time.monotonic())
        self.lines.append(line)
        if self.echo is not None:
            try:
                prefix = f"[{self.name}] " if self.name else ""
                print(prefix + str(line), file=self.echo, flush=True)
            except (OSError, ValueError):
                pass  # a closed terminal must never break the server
        for watcher in list(self._watchers):
            watcher(line)

    def watch(self, callback: Callable[[LogLine], None]) -> None:
        """Call ``callback(line)`` for every line written from now on."""
        self._watchers.append(callback)

    def unwatch(self, callback: Callable[[LogLine], None]) -> None:
        """Stop calling ``callback`` (no error if it was not watching)."""
        if callback in self._watchers:
            self._watchers.remove(callback)

    def texts(self, level: str | None = None) -> list[str]:
        """The printed texts, optionally only one level."""
        return [ln.text for ln in self.lines if level is None or ln.level == level]

    def clear(self) -> None:
        self.lines.clear()

    def __len__(self) -> int:
        return len(self.lines)

    def __bool__(self) -> bool:
        return True  # an empty log is still a log

    def __iter__(self) -> Iterator[LogLine]:
        return iter(self.lines)

    def __str__(self) -> str:
        return "\n".join(str(ln) for ln in self.lines)


#: The process-wide log for code running outside any server.
global_log = WorkerLog(echo=sys.stderr)

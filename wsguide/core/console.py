"""``console``: what a Worker prints, as in a JavaScript Worker (``from js import console``).

Lines go to the log of the Worker whose code is running (its isolate's
:class:`~wsguide.core.log.WorkerLog`), which ``wsguide dev`` prints and the
notebook helpers show.
"""

from __future__ import annotations

from typing import Any

from .isolate import emit

__all__ = ["Console", "console"]


def _format(args: tuple[Any, ...]) -> str:
    return " ".join(a if isinstance(a, str) else repr(a) for a in args)


class Console:
    """``console.log(...)``, ``.info``, ``.warn``, ``.error``, ``.debug``."""

    def log(self, *args: Any) -> None:
        emit("log", _format(args))

    def info(self, *args: Any) -> None:
        emit("info", _format(args))

    def warn(self, *args: Any) -> None:
        emit("warn", _format(args))

    def error(self, *args: Any) -> None:
        emit("error", _format(args))

    debug = log


console = Console()

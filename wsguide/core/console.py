"""``console``: what a Worker prints, as in a JavaScript Worker (``from js import console``).

Lines go to the log of the Worker whose code is running (its isolate's
:class:`~wsguide.core.log.WorkerLog`), which ``wsguide dev`` prints and the
notebook helpers show.
"""

from __future__ import annotations

from typing import Any

from .isolate import emit
from .jsapi import JsInterface
from .values import js_string

__all__ = ["Console", "console"]


def _format(args: tuple[Any, ...]) -> str:
    # console.log formats its arguments the JavaScript way: None is undefined, True is true.
    return " ".join(js_string(a) for a in args)


class Console:
    """``console.log(...)``, ``.info``, ``.warn``, ``.error``, ``.debug``."""

    __js__ = JsInterface("console", methods=("log", "info", "warn", "error", "debug"))

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

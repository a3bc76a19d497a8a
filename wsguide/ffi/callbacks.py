"""Python called from JavaScript: a PyProxy's call (a listener the runtime runs, a callback).

Arguments cross to Python (:func:`~wsguide.ffi.bridge.js2py`), the result back to
JavaScript (:func:`~wsguide.ffi.bridge.py2js`, kept: the caller holds it); a coroutine
becomes a Promise, as in Pyodide. Importing :mod:`wsguide.ffi` installs it as
:meth:`PyProxy.call <wsguide.ffi.pyproxy.PyProxy>`.
"""

from __future__ import annotations

import inspect
from typing import Any

from ..core.errors import PythonError
from ..core.jsapi import JsInterface
from .bridge import js2py, py2js
from .pyproxy import PyProxy

__all__ = ["PromiseOfPython", "call_python"]


def call_python(proxy: PyProxy, args: tuple[Any, ...]) -> Any:
    """JavaScript calls a Python callable: arguments to Python, the result back to JavaScript.

    A Python exception leaves as a ``PythonError`` (what JavaScript sees), carrying it.
    """
    try:
        result = proxy.obj(*[js2py(a) for a in args])
    except Exception as exc:
        raise PythonError(exc) from exc
    if result is None:
        return None  # a listener's usual result (and no awaitable: skips the Awaitable ABC check)
    if inspect.isawaitable(result):
        # Pyodide turns a returned coroutine into a Promise: it runs as a task.
        return PromiseOfPython(result)
    return py2js(result, keep=True)


class PromiseOfPython:
    """What JavaScript gets back when a Python callable returns a coroutine (a Promise)."""

    __slots__ = ("awaitable",)
    __js__ = JsInterface("Promise")

    def __init__(self, awaitable: Any) -> None:
        self.awaitable = awaitable

    def __await__(self) -> Any:
        return self.awaitable.__await__()


PyProxy.call = staticmethod(call_python)  # type: ignore[assignment]

"""wsguide's hints in the Worker log for mistakes Python Workers punish later (wsguide only)."""

from __future__ import annotations

import os
import sys

from ..core.isolate import emit
from .pyproxy import PyProxy

__all__ = ["KEEPS_CALLABLES", "caller_location", "hint_borrowed_listener"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


#: Runtime methods that keep a function they are given, to call it later.
KEEPS_CALLABLES = frozenset({"addEventListener"})


def hint_borrowed_listener(method: str, borrowed: list[PyProxy]) -> None:
    """wsguide's hint in the Worker log: this listener will never run on Workers (nor here)."""
    for proxy in borrowed:
        if not callable(proxy.obj):
            continue
        where = caller_location()
        name = getattr(proxy.obj, "__name__", "the function")
        shown = "a lambda" if name == "<lambda>" else f"{name}()"
        emit(
            "warn",
            f"[wsguide hint] {where}: {method}() was given {shown} itself. On Python Workers a "
            "Python function passed to JavaScript is a borrowed proxy, destroyed as soon as "
            f"{method}() returns, so the listener will never run. Wrap it: "
            f"{method}(..., create_proxy({'lambda ...' if name == '<lambda>' else name})) "
            "(from pyodide.ffi import create_proxy).",
        )


def caller_location() -> str:
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "<unknown>"
    filename = frame.f_code.co_filename
    cell = _notebook_cell(filename)
    if cell is not None:
        return f"{cell}, line {frame.f_lineno}"  # as IPython's own tracebacks name a cell
    return f"{os.path.basename(filename)}:{frame.f_lineno}"


def _notebook_cell(filename: str) -> str | None:
    """``Cell In[5]`` for the file IPython compiled a cell into, else None."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    format_code_name = getattr(getattr(shell, "compile", None), "format_code_name", None)
    named = format_code_name(filename) if format_code_name is not None else None
    return f"{named[0]} {named[1]}" if named else None  # IPython's ("Cell", "In[5]")

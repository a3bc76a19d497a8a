"""Mirror of ``from pyodide.ffi import …`` (``create_proxy``, ``to_js``, ``JsException``).

On Workers a Python function given to ``addEventListener`` must be wrapped
with ``create_proxy`` so JavaScript can keep calling it. Here functions are
plain Python already, so the wrapper returns the function unchanged.
"""

from __future__ import annotations

from typing import Any, TypeVar

from .core.errors import JsError

F = TypeVar("F")

__all__ = ["JsException", "create_proxy", "create_once_callable", "to_js"]

# TEMPORARY SHIM, replaced by the Pyodide boundary work (issue 9): on Workers every
# error the runtime throws arrives as one class, pyodide.ffi.JsException. Until wsguide
# models that boundary, `except JsException:` catches the runtime's JavaScript errors.
JsException = JsError


def create_proxy(fn: F, *args: Any, **kwargs: Any) -> F:
    return fn


def create_once_callable(fn: F, *args: Any, **kwargs: Any) -> F:
    return fn


def to_js(value: Any, *args: Any, dict_converter: Any = None, **kwargs: Any) -> Any:
    """``to_js(value, dict_converter=Object.fromEntries)``: here values stay Python."""
    return value

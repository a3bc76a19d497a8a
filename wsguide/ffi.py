"""Mirror of ``from pyodide.ffi import …`` (``create_proxy``, ``to_js``, ``JsException``).

On Workers a Python function given to ``addEventListener`` must be wrapped
with ``create_proxy`` so JavaScript can keep calling it. Here functions are
plain Python already, so the wrapper returns the function unchanged.
"""

from __future__ import annotations

from typing import Any, TypeVar

from .errors import DOMException, Error, RangeError

F = TypeVar("F")

__all__ = ["JsException", "create_proxy", "create_once_callable", "to_js"]

# TEMPORARY SHIM, replaced by the Pyodide boundary work (issue 13): on Workers every
# error the runtime throws arrives as one class, pyodide.ffi.JsException. Until wsguide
# models that boundary, its runtime raises Python's TypeError and the JavaScript-named
# classes of wsguide.errors, so `except JsException:` catches exactly those.
JsException = (TypeError, RangeError, Error, DOMException)


def create_proxy(fn: F, *args: Any, **kwargs: Any) -> F:
    return fn


def create_once_callable(fn: F, *args: Any, **kwargs: Any) -> F:
    return fn


def to_js(value: Any, *args: Any, dict_converter: Any = None, **kwargs: Any) -> Any:
    """``to_js(value, dict_converter=Object.fromEntries)``: here values stay Python."""
    return value


class _JsObjectShim(dict):
    """TEMPORARY SHIM (replaced by the boundary work): what ``deserializeAttachment()``
    returns for an object, a dict that also answers ``.to_py()`` as a JsProxy does."""

    def to_py(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return dict(self)

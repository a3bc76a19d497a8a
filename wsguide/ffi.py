"""Mirror of ``from pyodide.ffi import create_proxy``.

On Workers a Python function given to ``addEventListener`` must be wrapped
with ``create_proxy`` so JavaScript can keep calling it. Here functions are
plain Python already, so the wrapper returns the function unchanged.
"""

from __future__ import annotations

from typing import Any, TypeVar

F = TypeVar("F")

__all__ = ["create_proxy", "create_once_callable", "to_js"]


def create_proxy(fn: F, *args: Any, **kwargs: Any) -> F:
    return fn


def create_once_callable(fn: F, *args: Any, **kwargs: Any) -> F:
    return fn


def to_js(value: Any, *args: Any, **kwargs: Any) -> Any:
    return value

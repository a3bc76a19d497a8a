"""``to_js``: Python values made JavaScript ones, as ``pyodide.ffi.to_js`` makes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.jsapi import JsMap, Uint8Array
from .bridge import JsProxy, js2py, py2js, unwrap
from .jsvalues import PRIMITIVES
from .pyproxy import PyProxy

__all__ = ["ConversionError", "to_js"]


def to_js(
    obj: Any,
    /,
    *,
    depth: int = -1,
    pyproxies: Any = None,
    create_pyproxies: bool = True,
    dict_converter: Callable[..., Any] | None = None,
    default_converter: Callable[..., Any] | None = None,
    eager_converter: Callable[..., Any] | None = None,
) -> Any:
    """Convert a Python value to JavaScript (``pyodide.ffi.to_js``): dict → Map (or, with
    ``dict_converter=Object.fromEntries``, an Object), list/tuple → Array, set → Set,
    bytes → Uint8Array. Returns a JsProxy of the result (primitives stay themselves)."""

    converted: dict[int, Any] = {}  # as Pyodide: one Python container becomes one JS object

    def conv(v: Any, d: int) -> Any:
        if d == 0:
            return py2js(v, keep=True)
        if isinstance(v, PRIMITIVES):
            return v
        if isinstance(v, JsProxy):
            return v._js
        if id(v) in converted:
            return converted[id(v)]
        result = convert(v, d)
        if isinstance(v, (dict, list, tuple, set, frozenset)):
            converted[id(v)] = result
        return result

    def convert(v: Any, d: int) -> Any:
        if isinstance(v, dict):
            entries = [[conv(k, d - 1), conv(x, d - 1)] for k, x in v.items()]
            if dict_converter is not None:
                return unwrap(dict_converter(JsProxy(entries)))
            return JsMap((k, x) for k, x in entries)
        if isinstance(v, (list, tuple)):
            return [conv(x, d - 1) for x in v]
        if isinstance(v, (set, frozenset)):
            return {conv(x, d - 1) for x in v}
        if isinstance(v, (bytes, bytearray, memoryview)):
            return Uint8Array(bytes(v))
        if default_converter is not None:
            return unwrap(default_converter(v, lambda x: js2py(conv(x, d - 1)), {}))
        if not create_pyproxies:
            raise ConversionError(f"No conversion known for {type(v).__name__}")
        return PyProxy(v)

    return js2py(conv(obj, depth))


class ConversionError(Exception):
    """A value ``to_js`` was told not to proxy has no conversion (``pyodide.ffi.ConversionError``)."""

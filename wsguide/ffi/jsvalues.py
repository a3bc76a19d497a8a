"""What a JavaScript value is, as wsguide's runtime objects stand for them (no proxies here).

``dict`` is a plain object, ``list`` an Array, ``bytes`` an ArrayBuffer, ``set`` a Set,
:class:`~wsguide.core.jsapi.JsMap` a Map, a callable a function, and a class declaring
``__js__`` (:mod:`wsguide.core.jsapi`) a runtime class.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import JsError
from ..core.jsapi import JS_NULL, JsInterface, JsNull, interface_of
from .pyproxy import PyProxy

__all__ = ["PRIMITIVES", "api_of", "includes", "index_of", "is_function", "is_plain_object", "js_to_string", "name_of"]

#: Values that cross the boundary as themselves (``undefined`` is ``None``, ``null`` is ``jsnull``).
PRIMITIVES = (str, int, float, bool, type(None), JsNull)


def is_function(js: Any) -> bool:
    """A JavaScript function: a runtime class, or a callable that is not a runtime object."""
    if isinstance(js, type):
        return True
    return callable(js) and api_of(js) is None and not isinstance(js, (dict, list, bytes, set))


def includes(js: list[Any], item: Any, start: int = 0) -> bool:
    return any(x is item or (isinstance(x, PRIMITIVES) and x == item) for x in js[start:])


def index_of(js: list[Any], item: Any, start: int = 0) -> int:
    for i in range(start, len(js)):
        if js[i] is item or (isinstance(js[i], PRIMITIVES) and js[i] == item):
            return i
    return -1


def api_of(js: Any) -> JsInterface | None:
    return interface_of(type(js))


def is_plain_object(js: Any) -> bool:
    """A JavaScript plain object (``{...}``): a dict that is not a runtime class such as a Map."""
    return isinstance(js, dict) and interface_of(type(js)) is None


def name_of(js: Any) -> str:
    if isinstance(js, type) and interface_of(js) is not None:
        return interface_of(js).name
    api = api_of(js)
    if api is not None:
        return api.name
    if isinstance(js, bytes):
        return "ArrayBuffer"
    if type(js) is list:
        return "Array"
    if isinstance(js, set):
        return "Set"
    if isinstance(js, dict):
        return "Object"
    if isinstance(js, JsError):
        return js.name
    return getattr(js, "__name__", "Function") if callable(js) else "Object"


def js_to_string(js: Any) -> str:
    if type(js) is list:
        return ",".join("" if x is None or x is JS_NULL else js_to_string(x) for x in js)
    if isinstance(js, PRIMITIVES):
        return str(js)
    if isinstance(js, PyProxy):
        return str(js)
    if isinstance(js, JsError):
        return f"{js.name}: {js}"
    if isinstance(js, type) or (callable(js) and api_of(js) is None and not isinstance(js, (dict, bytes))):
        return f"function {name_of(js)}() {{ [native code] }}"
    api = api_of(js)
    if api is not None and "toString" in api.methods:
        # Pyodide's str()/repr() of a JsProxy is the object's own toString() (jsproxy.c,
        # JsProxy_Repr): a DurableObjectId gives its 64 hex digits.
        return str(js.toString())
    return f"[object {name_of(js)}]"

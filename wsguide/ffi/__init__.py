"""Mirror of ``pyodide.ffi``: the rules every Python Worker lives by.

On Python Workers the runtime's objects are JavaScript objects, reached through
Pyodide's FFI. wsguide puts the same boundary between its runtime and a
Worker's code (:mod:`wsguide.ffi.bridge`), so code that breaks there breaks
here too, the same way:

* a Python function given to ``addEventListener`` is *borrowed* — destroyed when
  the call returns — so wrap it: ``create_proxy(fn)`` (lives until
  ``.destroy()``) or ``create_once_callable(fn)`` (one call);
* JavaScript classes are constructed with ``.new(...)``;
* JavaScript errors arrive as :class:`JsException` (``.name``, ``.message``);
* values that cross by structured clone (attachments) must be JavaScript
  values: ``to_js(value, dict_converter=Object.fromEntries)``, and come back as
  :class:`JsProxy` (``.to_py()``).

Change ``from wsguide.ffi import …`` to ``from pyodide.ffi import …`` on Workers.
"""

from __future__ import annotations

from typing import Any

from ..core.jsapi import JS_NULL, JsNull
from . import callbacks as _callbacks  # noqa: F401 - installs PyProxy.call
from .bridge import JsException, JsProxy
from .convert import ConversionError, to_js
from .pyproxy import JsDoubleProxy, PyProxy

__all__ = [
    "ConversionError",
    "JsDoubleProxy",
    "JsException",
    "JsNull",
    "JsProxy",
    "create_once_callable",
    "create_proxy",
    "destroy_proxies",
    "jsnull",
    "to_js",
]

#: JavaScript's ``null`` (``undefined`` is ``None``).
jsnull = JS_NULL


def create_proxy(obj: Any, /, *, capture_this: bool = False, roundtrip: bool = True) -> JsDoubleProxy:
    """Keep ``obj`` reachable from JavaScript until ``.destroy()`` (a listener that must stay)."""
    return JsDoubleProxy(PyProxy(obj))


def create_once_callable(obj: Any, /) -> JsDoubleProxy:
    """A function JavaScript may call once; a second call throws ``OnceProxy can only be called once``."""
    return JsDoubleProxy(PyProxy(obj, once=True))


def destroy_proxies(proxies: Any, /) -> None:
    """Destroy every proxy in ``proxies`` (a list of ``create_proxy`` results)."""
    for proxy in proxies:
        proxy.destroy()

"""Python objects seen from JavaScript: ``PyProxy``, borrowed or kept alive.

When Python code hands a value JavaScript cannot hold natively (a function, a
dict, bytes) to a runtime method, Pyodide wraps it in a *PyProxy*. A PyProxy
made for the arguments of one call is **borrowed**: it is destroyed when that
call returns (Pyodide ``src/core/jsproxy_call.c``, ``pyproxy.ts``). If the
runtime kept it — ``addEventListener("message", fn)`` keeps its listener —
calling it later throws::

    Error: This borrowed proxy was automatically destroyed at the end of a function call.
    Try using create_proxy or create_once_callable.

``create_proxy(fn)`` makes a proxy that lives until ``.destroy()``;
``create_once_callable(fn)`` one that destroys itself after its first call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.errors import JsError

__all__ = ["MSG_BORROWED", "MSG_DESTROYED", "MSG_ONCE", "JsDoubleProxy", "PyProxy"]

_DEBUG_HINT = "\nFor more information about the cause of this error, use `pyodide.setDebug(true)`"
MSG_BORROWED = (
    "This borrowed proxy was automatically destroyed at the end of a function call. "
    "Try using create_proxy or create_once_callable." + _DEBUG_HINT
)
MSG_DESTROYED = "Object has already been destroyed" + _DEBUG_HINT
MSG_ONCE = "OnceProxy can only be called once"


class PyProxy:
    """A Python object as JavaScript holds it. Calling it calls the object.

    ``call`` is set by :mod:`wsguide.ffi.bridge`: it converts JavaScript
    arguments to Python and the result back (the module that knows both sides).
    """

    __slots__ = ("obj", "borrowed", "once", "destroyed_msg", "origin")

    #: How the bridge calls a proxied callable from JavaScript (installed by bridge.py).
    call: Callable[[PyProxy, tuple[Any, ...]], Any]

    def __init__(self, obj: Any, *, borrowed: bool = False, once: bool = False, origin: str = "") -> None:
        self.obj = obj
        self.borrowed = borrowed
        self.once = once
        self.destroyed_msg: str | None = None
        #: Where the proxy was made (file:line), for the hint in the Worker's log.
        self.origin = origin

    def destroy(self, msg: str | None = None) -> None:
        if self.destroyed_msg is None:
            self.destroyed_msg = msg or MSG_DESTROYED

    def release_borrowed(self) -> None:
        """The call that borrowed this proxy returned: it is destroyed now."""
        if self.borrowed and self.destroyed_msg is None:
            self.destroyed_msg = MSG_BORROWED

    def __call__(self, *args: Any) -> Any:
        if self.destroyed_msg is not None:
            raise JsError(self.destroyed_msg)
        if self.once:
            self.destroyed_msg = MSG_ONCE
        return PyProxy.call(self, args)

    def __iter__(self) -> Any:
        # JavaScript can iterate a proxied Python iterable (Symbol.iterator).
        return iter(self.obj)

    def __str__(self) -> str:
        # JavaScript's String(pyproxy) is Python's str(obj): send(b"hi") sends the text "b'hi'".
        return str(self.obj)

    def __repr__(self) -> str:
        return f"<PyProxy of {type(self.obj).__name__}>"


class JsDoubleProxy:
    """What ``create_proxy(obj)`` returns: a handle on a PyProxy that lives until ``destroy()``."""

    __slots__ = ("_proxy",)

    def __init__(self, proxy: PyProxy) -> None:
        self._proxy = proxy

    def destroy(self) -> None:
        self._proxy.destroy()

    def unwrap(self) -> Any:
        return self._proxy.obj

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._proxy.obj(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<JsDoubleProxy of {type(self._proxy.obj).__name__}>"

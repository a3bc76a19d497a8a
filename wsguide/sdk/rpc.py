"""Values across Workers RPC and bindings, converted the way the Python Workers SDK converts them.

The SDK (``workers-runtime-sdk`` 1.9.5, ``workers/rpc.py``) puts wrappers around
the bindings a Worker reaches — ``ctx.storage``, a Durable Object namespace and
its stubs — that convert every argument with :func:`python_to_rpc` and every
result with :func:`python_from_rpc`. So ``await storage.put("k", {"a": 1})``
works without ``to_js``, and a stored object comes back as a :class:`JsDict`
(a ``dict`` whose keys also read as attributes). This module does the same, on
wsguide's boundary.
"""

from __future__ import annotations

import datetime as _dt
import inspect
from collections.abc import Callable
from typing import Any

from ..core.jsapi import JS_NULL, JsNull
from ..ffi.bridge import JsProxy, unwrap
from ..ffi.pyproxy import JsDoubleProxy
from ..ffi.convert import to_js
from ..ffi.pyproxy import PyProxy

__all__ = [
    "BindingWrapper",
    "EnvWrapper",
    "FetcherWrapper",
    "JsDict",
    "js_class_name",
    "python_from_rpc",
    "python_to_rpc",
]

#: JavaScript classes the SDK leaves as they are instead of wrapping (``_JS_PASSTHROUGH_TYPES``).
PASSTHROUGH = frozenset({
    "Blob", "ArrayBuffer", "TypedArray", "DataView", "Uint8Array", "Uint8ClampedArray", "Int8Array",
    "Uint16Array", "Int16Array", "Uint32Array", "Int32Array", "Float16Array", "Float32Array",
    "Float64Array", "BigInt64Array", "BigUint64Array", "FormData", "ReadableStream",
    "URLSearchParams", "Response", "Headers",
})


def js_class_name(value: Any) -> str | None:
    """``value.constructor.name`` for a JsProxy, else ``None`` (the SDK's ``_is_js_instance``)."""
    if not isinstance(value, JsProxy):
        return None
    return value.constructor.name


class JsDict(dict):  # type: ignore[type-arg]
    """A dict converted from a JavaScript object: its keys also read as attributes (``row.name``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


# ---------------------------------------------------------------------------
# Python -> JavaScript
# ---------------------------------------------------------------------------
def _refuse(value: Any) -> None:
    """The SDK's checks before conversion: what RPC cannot carry."""
    if isinstance(value, BindingWrapper):
        return
    if callable(value) and not isinstance(value, type):
        return
    if js_class_name(value) == "RegExp":
        raise TypeError(f"{js_class_name(value)} cannot be sent over RPC.")
    if isinstance(value, (tuple, bytearray)):
        raise TypeError(f"{type(value)} cannot be sent over RPC.")
    if inspect.isawaitable(value):
        raise TypeError(f"Awaitable {type(value)} cannot be sent over RPC.")
    if isinstance(value, dict):
        for item in value.values():
            _refuse(item)
    elif isinstance(value, (list, set, frozenset)):
        for item in value:
            _refuse(item)


def _none_to_jsnull(value: Any) -> Any:
    if value is None:
        return JS_NULL
    if isinstance(value, dict):
        return {k: _none_to_jsnull(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_none_to_jsnull(v) for v in value]
    return value


def _default_to_js(value: Any, convert: Callable[[Any], Any], cache: Any) -> Any:
    if value is None:
        return JS_NULL
    if isinstance(value, BindingWrapper):
        return value._binding
    js_object = getattr(value, "js_object", None)
    if js_object is not None:
        return js_object
    if isinstance(value, _dt.datetime):
        return JsProxy(value)  # a JavaScript Date
    if isinstance(value, Exception):
        from ..core.errors import JsError

        return JsProxy(JsError(str(value)))
    if callable(value) and not isinstance(value, type):
        return JsDoubleProxy(PyProxy(value))
    _refuse(value)
    return value  # no conversion: it crosses as a PyProxy (structured clone will refuse it)


def python_to_rpc(value: Any) -> Any:
    """A Python value as the SDK sends it over RPC (and to ``ctx.storage``): JS values, ``None`` → null."""
    if value is None:
        return JS_NULL
    if isinstance(value, BindingWrapper):
        return value._binding
    value = _none_to_jsnull(value)
    _refuse(value)
    return to_js(value, default_converter=_default_to_js, dict_converter=_from_entries)


def _from_entries(entries: Any) -> Any:
    return JsProxy({str(k): v for k, v in (unwrap(pair) for pair in entries)})


# ---------------------------------------------------------------------------
# JavaScript -> Python
# ---------------------------------------------------------------------------
def _default_from_js(value: Any, convert: Callable[[Any], Any], cache: Any) -> Any:
    from .http import FetchResponse, Request

    name = js_class_name(value)
    if name == "Response":
        return FetchResponse(value)
    if name == "Request":
        return Request(value)
    if isinstance(unwrap(value), _dt.datetime):
        return unwrap(value)
    return value


def _jsnull_to_none(value: Any) -> Any:
    if value is JS_NULL:
        return None
    if isinstance(value, dict):
        return JsDict({k: _jsnull_to_none(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_jsnull_to_none(v) for v in value]
    return value


def python_from_rpc(value: Any) -> Any:
    """A JavaScript value as the SDK hands it to Python: objects → :class:`JsDict`, null → ``None``."""
    if value is JS_NULL or isinstance(value, JsNull):
        return None
    if not isinstance(value, JsProxy):
        return value
    return _jsnull_to_none(value.to_py(default_converter=_default_from_js))


# ---------------------------------------------------------------------------
# The wrappers around bindings
# ---------------------------------------------------------------------------
class BindingWrapper:
    """A binding (``ctx.storage``, a stub, a cursor) whose calls convert like RPC."""

    def __init__(self, binding: Any) -> None:
        object.__setattr__(self, "_binding", binding)

    def _wrap(self, value: Any) -> Any:
        if not isinstance(value, JsProxy) or js_class_name(value) in PASSTHROUGH:
            return value
        if callable(value) and value.typeof == "function":
            return RpcStubWrapper(value)
        return type(self)(value)

    def _result(self, result: Any) -> Any:
        converted = python_from_rpc(result)
        if isinstance(converted, list):
            return [self._wrap(item) for item in converted]
        return self._wrap(converted)

    def _invoke(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        js_args = [python_to_rpc(a) for a in args]
        js_kwargs = {k: python_to_rpc(v) for k, v in kwargs.items()}
        result = fn(*js_args, **js_kwargs)
        if inspect.isawaitable(result):

            async def settled() -> Any:
                return self._result(await result)

            return settled()
        return self._result(result)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._binding, name)
        if not callable(attr):
            value = self._result(attr)
        else:

            def value(*args: Any, **kwargs: Any) -> Any:
                return self._invoke(attr, args, kwargs)

            value.__name__ = name
        object.__setattr__(self, name, value)  # looked up once, as the SDK caches it
        return value

    def __iter__(self) -> Any:
        for item in self._binding:
            yield self._result(item)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, int):
            return self._result(self._binding[key])
        return self._result(getattr(self._binding, key))

    def __len__(self) -> int:
        return len(self._binding)

    def __bool__(self) -> bool:
        return self._binding is not None


BindingWrapper.__name__ = BindingWrapper.__qualname__ = "_BindingWrapper"


class RpcStubWrapper(BindingWrapper):
    """A function (or RpcTarget) received over RPC: calling it calls the remote."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._invoke(self._binding, args, kwargs)


RpcStubWrapper.__name__ = RpcStubWrapper.__qualname__ = "_RpcStubWrapper"


class FetcherWrapper(BindingWrapper):
    """A stub (or service binding): ``await stub.fetch(request)`` and RPC methods."""

    def fetch(self, *args: Any, **kwargs: Any) -> Any:
        from .http import fetch

        return fetch(*args, fetcher=self._binding.fetch, **kwargs)


FetcherWrapper.__name__ = FetcherWrapper.__qualname__ = "_FetcherWrapper"


class DurableObjectNamespaceWrapper:
    """``env.ROOMS``: ``getByName(name)`` and ``get(id)`` give a :class:`FetcherWrapper`."""

    def __init__(self, binding: Any) -> None:
        self._binding = binding

    def __getattr__(self, name: str) -> Any:
        return getattr(self._binding, name)

    def get(self, *args: Any, **kwargs: Any) -> FetcherWrapper:
        return FetcherWrapper(self._binding.get(*args, **kwargs))

    def getByName(self, *args: Any, **kwargs: Any) -> FetcherWrapper:
        return FetcherWrapper(self._binding.getByName(*args, **kwargs))


DurableObjectNamespaceWrapper.__name__ = DurableObjectNamespaceWrapper.__qualname__ = "_DurableObjectNamespaceWrapper"


class EnvWrapper:
    """``self.env``: bindings wrapped so they take Python values (``env.ROOMS.getByName(...)``)."""

    def __init__(self, env: Any) -> None:
        self._env = env

    def __getattr__(self, name: str) -> Any:
        binding = getattr(self._env, name)
        kind = js_class_name(binding)
        if kind == "Fetcher":
            binding = FetcherWrapper(binding)
        elif kind == "DurableObjectNamespace":
            binding = DurableObjectNamespaceWrapper(binding)
        self.__dict__[name] = binding
        return binding


EnvWrapper.__name__ = EnvWrapper.__qualname__ = "_EnvWrapper"

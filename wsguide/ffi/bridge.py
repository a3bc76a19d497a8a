"""The Pyodide boundary: JavaScript values seen from Python (``JsProxy``) and back.

On Python Workers every runtime object is a JavaScript object, reached from
Python through Pyodide's FFI. wsguide's runtime objects are Python objects that
behave like the JavaScript ones (:mod:`wsguide.core`); this module puts the
same boundary between them and a Worker's code, following Pyodide's rules
(``docs/usage/type-conversions.md``, ``src/core/jsproxy.c``, ``pyproxy.ts``):

* **JavaScript → Python** (a runtime method's result, a property, an event
  given to a listener): strings, numbers, booleans and ``undefined`` (``None``)
  convert; ``null`` becomes :data:`~wsguide.core.jsapi.JS_NULL` (``jsnull``);
  everything else arrives as a :class:`JsProxy` — a new one at every crossing,
  so ``is`` is ``False`` where ``==`` (the same JavaScript object) is ``True``.
* **Python → JavaScript** (the arguments of a runtime method): the same
  primitives convert; a ``JsProxy`` gives back its JavaScript value; anything
  else (a function, a dict, bytes) is wrapped in a *borrowed*
  :class:`~wsguide.ffi.pyproxy.PyProxy`, destroyed when the call returns.
* JavaScript errors reach Python as :class:`JsException` (``.name``,
  ``.message``), never as ``TypeError``.

How the runtime's values stand for JavaScript ones inside wsguide: ``dict`` is
a plain object, ``list`` an Array, ``bytes`` an ArrayBuffer, ``set`` a Set,
:class:`~wsguide.core.jsapi.JsMap` a Map, a callable a function, and a class
declaring ``__js__`` (:mod:`wsguide.core.jsapi`) a runtime class.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from ..core.errors import JsError, JsTypeError, PythonError
from ..core.jsapi import JsInterface, JsMap, JsNull, Uint8Array, interface_of, own_properties
from .hints import KEEPS_CALLABLES, hint_borrowed_listener
from .jsvalues import PRIMITIVES, api_of, includes, index_of, is_function, is_plain_object, js_to_string, name_of
from .pyproxy import JsDoubleProxy, PyProxy

__all__ = ["JsCallable", "JsException", "JsProxy", "js2py", "py2js", "unwrap"]

NOT_SUBSCRIPTABLE = "'pyodide.ffi.JsProxy' object is not subscriptable"
MSG_NEEDS_NEW = (
    "Failed to construct '{name}': Please use the 'new' operator, this object constructor cannot be "
    "called as a function."
)
UNHASHABLE = "unhashable type: 'pyodide.ffi.JsProxy'"


#: The exact types of PRIMITIVES, for a quick ``type(value) in _PRIMITIVE_TYPES``.
_PRIMITIVE_TYPES = frozenset({str, int, float, bool, type(None), JsNull})
#: Runtime class -> the JsProxy class its instances cross as (filled as they are met).
_OBJECT_PROXIES: dict[type, type[JsProxy]] = {}


class JsProxy:
    """A JavaScript object seen from Python (``pyodide.ffi.JsProxy``).

    ``proxy.name`` reads a property, ``proxy.method(...)`` calls a method,
    ``proxy.new(...)`` constructs (for a class), ``proxy.to_py()`` converts a
    plain object, Array, Map or Set into Python values.
    """

    # No __slots__: JsException must also be an Exception (their layouts cannot both be slotted).

    def __init__(self, js: Any) -> None:
        self.__dict__["_js"] = js  # not through __setattr__, which sets JavaScript properties

    # -- properties and methods -------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        js = object.__getattribute__(self, "_js")
        if is_plain_object(js):  # its own properties
            if name in js:
                return js2py(js[name])
            raise AttributeError(name)
        if isinstance(js, type):  # a class: its static members
            api = interface_of(js)
            if api is None or name not in api.statics:
                raise AttributeError(name)
            value = getattr(js, name)
            return _bound(value, name) if callable(value) else js2py(value)
        builtin = _BUILTIN_MEMBERS.get((type(js), name))
        if builtin is not None:
            return builtin(js)
        api = api_of(js)
        if api is None or not api.readable(name):
            raise AttributeError(name)
        value = getattr(js, name)
        if name in api.methods or (api.dynamic and callable(value)):
            return _bound(value, name)
        return js2py(value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("__") and name.endswith("__"):
            object.__setattr__(self, name, value)  # Python's own (an exception's __traceback__)
            return
        js = self._js
        converted = py2js(value, keep=True)  # a property keeps what it is given (not borrowed)
        if is_plain_object(js):
            js[name] = converted
            return
        api = api_of(js)
        if api is None or name not in api.settable:
            raise AttributeError(f"'{name_of(js)}' property {name!r} cannot be set from Python in wsguide")
        setattr(js, name, converted)

    def __dir__(self) -> list[str]:
        js = self._js
        if is_plain_object(js):
            return list(js)
        api = api_of(js)
        return sorted(api.methods + api.properties) if api else []

    # -- Pyodide's JsProxy API ----------------------------------------------------------
    @property
    def typeof(self) -> str:
        js = self._js
        if isinstance(js, type) or (callable(js) and api_of(js) is None and not isinstance(js, (bytes, dict, list))):
            return "function"
        return "object"

    @property
    def constructor(self) -> JsProxy:
        return _Constructor(self._js)

    def to_py(self, *, depth: int = -1, default_converter: Callable[..., Any] | None = None) -> Any:
        """A deep copy as Python values (plain objects, Arrays, Maps, Sets, buffers); else ``self``."""
        return _to_py(self._js, depth, default_converter, self)

    def object_keys(self) -> JsProxy:
        return JsProxy(list(own_properties(self._js)))

    def object_values(self) -> JsProxy:
        return JsProxy(list(own_properties(self._js).values()))

    def object_entries(self) -> JsProxy:
        props = own_properties(self._js)
        return JsProxy([[k, v] for k, v in props.items()])

    def new(self, *args: Any, **kwargs: Any) -> Any:
        """``new X(...)``: construct a JavaScript class (keyword arguments are one options object)."""
        js = self._js
        if not isinstance(js, type):
            raise JsException(JsTypeError(f"{name_of(js)} is not a constructor"))
        return _call(js, args, kwargs, "new")

    # -- operations -------------------------------------------------------------------
    def __getitem__(self, key: Any) -> Any:
        js = self._js
        if type(js) is list:
            return js2py(js[key]) if isinstance(key, int) else _not_subscriptable()
        if isinstance(js, JsMap):
            return js2py(js.get(py2js(key)))
        if isinstance(js, Uint8Array) and isinstance(key, int):
            return js[key]
        return _not_subscriptable()

    def __setitem__(self, key: Any, value: Any) -> None:
        js = self._js
        if type(js) is list and isinstance(key, int):
            js[key] = py2js(value, keep=True)
        elif isinstance(js, JsMap):
            js[py2js(key)] = py2js(value, keep=True)
        else:
            raise TypeError("'pyodide.ffi.JsProxy' object does not support item assignment")

    def __iter__(self) -> Iterator[Any]:
        js = self._js
        api = api_of(js)
        if isinstance(js, (list, set)) or (api is not None and api.iterable):
            return map(js2py, js)  # live, as JavaScript's iteration is
        raise TypeError("'pyodide.ffi.JsProxy' object is not iterable")

    def __len__(self) -> int:
        js = self._js
        if isinstance(js, (list, set, JsMap, Uint8Array)):  # a length or a size (an ArrayBuffer has neither)
            return len(js)
        raise TypeError("object of type 'pyodide.ffi.JsProxy' has no len()")

    def __bytes__(self) -> bytes:
        js = self._js
        if isinstance(js, Uint8Array):  # a typed array has the buffer protocol
            return bytes(js)
        raise TypeError("cannot convert 'pyodide.ffi.JsProxy' object to bytes")

    def __contains__(self, item: Any) -> bool:
        js = self._js
        target = unwrap(item)
        if type(js) is list:
            return any(x is target or (isinstance(x, PRIMITIVES) and x == target) for x in js)
        if isinstance(js, (set, JsMap)):
            return target in js
        raise TypeError("argument of type 'pyodide.ffi.JsProxy' is not iterable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsProxy) and other._js is self._js

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        raise TypeError(UNHASHABLE)

    def __bool__(self) -> bool:
        js = self._js  # falsy: an empty Array, Map or Set, a zero-length buffer
        if isinstance(js, (list, set, JsMap, bytes)):
            return len(js) > 0
        return True

    def __str__(self) -> str:
        return js_to_string(self._js)

    __repr__ = __str__

    # -- buffers (ArrayBuffer, Uint8Array) --------------------------------------------
    def to_bytes(self) -> bytes:
        js = self._js
        if isinstance(js, bytes):
            return bytes(js)
        raise AttributeError("to_bytes")

    def to_memoryview(self) -> memoryview:
        return memoryview(self.to_bytes())

    def to_string(self, encoding: str | None = None) -> str:
        return self.to_bytes().decode(encoding or "utf-8")


JsProxy.__module__ = "wsguide.ffi"


class JsCallable(JsProxy):
    """A JavaScript function or class seen from Python: calling it calls it (a class needs ``.new``)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        js = self._js
        if isinstance(js, type) and interface_of(js) is not None:
            # jsg (workerd src/workerd/jsg/resource.c++, throwIfConstructorCalledAsFunction)
            raise JsException(JsTypeError(MSG_NEEDS_NEW.format(name=interface_of(js).name)))
        return _call(js, args, kwargs)



JsCallable.__name__ = JsCallable.__qualname__ = "JsProxy"  # Pyodide's class name for every proxy
JsCallable.__module__ = "wsguide.ffi"


class JsException(JsProxy, Exception):  # noqa: N818 - the name is Pyodide's
    """A JavaScript error reaching Python (``pyodide.ffi.JsException``).

    ``name`` is the JavaScript error's name (``"TypeError"``, ``"DataCloneError"``),
    ``message`` its message, and ``str(exc)`` is ``"name: message"``. It is not a
    Python ``TypeError``: ``except TypeError`` does not catch it.
    """

    __slots__ = ()

    def __init__(self, error: Any) -> None:
        JsProxy.__init__(self, error)
        Exception.__init__(self, f"{_error_name(error)}: {_error_message(error)}")

    @property
    def name(self) -> str:
        return _error_name(self._js)

    @property
    def message(self) -> str:
        return _error_message(self._js)

    @property
    def stack(self) -> str:
        return f"{self.name}: {self.message}\n    at <wsguide>"

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"

    __repr__ = Exception.__repr__
    __hash__ = Exception.__hash__  # an exception is hashable (raise and except need it)

    def __eq__(self, other: object) -> bool:
        return self is other


JsException.__module__ = "wsguide.ffi"


def _error_name(error: Any) -> str:
    return str(getattr(error, "name", type(error).__name__))


def _error_message(error: Any) -> str:
    return str(getattr(error, "message", error))


class _Constructor(JsProxy):
    """``proxy.constructor``: enough of it to read ``.name``."""

    __slots__ = ()

    @property
    def name(self) -> str:
        return name_of(self._js)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


# ---------------------------------------------------------------------------
# Conversions
# ---------------------------------------------------------------------------
class _Borrowed:
    """The PyProxies borrowed by the runtime calls now running (destroyed when each returns)."""

    def __init__(self) -> None:
        self.stack: list[list[PyProxy]] = []


_borrowed = _Borrowed()


def py2js(value: Any, *, keep: bool = False) -> Any:
    """A Python value as JavaScript receives it (implicit conversion).

    A value with no JavaScript equivalent becomes a PyProxy: borrowed (destroyed
    when the running call returns) unless ``keep`` (a property keeps it).
    """
    if isinstance(value, PRIMITIVES):
        return value
    if isinstance(value, JsProxy):
        return value._js
    if isinstance(value, PyProxy):
        return value
    if isinstance(value, JsDoubleProxy):
        return value._proxy
    if interface_of(type(value)) is not None:
        return value  # a runtime object held by wsguide's own code: it is a JavaScript value already
    borrowed = not keep and bool(_borrowed.stack)
    proxy = PyProxy(value, borrowed=borrowed)
    if borrowed:
        _borrowed.stack[-1].append(proxy)
    return proxy


def js2py(value: Any) -> Any:
    """A JavaScript value as Python receives it: primitives convert, objects are proxied."""
    kind = type(value)
    if kind in _PRIMITIVE_TYPES:
        return value
    proxy_class = _OBJECT_PROXIES.get(kind)
    if proxy_class is not None:  # a runtime object (a WebSocket, an event): the hot path
        return proxy_class(value)
    if isinstance(value, PRIMITIVES):
        return value
    if isinstance(value, PyProxy):
        return value.obj  # a round trip gives back the Python object itself
    if isinstance(value, BaseException):
        return JsException(value)
    if is_function(value):
        return JsCallable(value)
    api = interface_of(kind)
    if api is not None:  # an instance of a runtime class, not callable: always the same kind of proxy
        proxy_class = _OBJECT_PROXIES[kind] = JsProxy if api.dynamic else _proxy_class(kind, api)
        return proxy_class(value)
    return JsProxy(value)


def _proxy_class(kind: type, api: JsInterface) -> type[JsProxy]:
    """A JsProxy for the instances of one runtime class, with its members defined on the class.

    It behaves as :meth:`JsProxy.__getattr__` does for them, without its cost: Python calls
    ``__getattr__`` only after the usual lookup has failed, about a microsecond per access,
    and a room's broadcast makes one such access per member.
    """
    namespace: dict[str, Any] = {}
    for name in api.methods + api.properties:
        if not name.isidentifier() or hasattr(JsProxy, name) or (kind, name) in _BUILTIN_MEMBERS:
            continue  # read through __getattr__, as before
        namespace[name] = _method(name) if name in api.methods else property(_getter(name))
    proxy_class = type("JsProxy", (JsProxy,), namespace)
    proxy_class.__qualname__ = "JsProxy"
    proxy_class.__module__ = "wsguide.ffi"
    return proxy_class


def _method(name: str) -> Callable[..., Any]:
    def method(self: JsProxy, *args: Any, **kwargs: Any) -> Any:
        return _call(getattr(self._js, name), args, kwargs, name)

    method.__name__ = method.__qualname__ = name
    return method


def _getter(name: str) -> Callable[[JsProxy], Any]:
    return lambda self: js2py(getattr(self._js, name))


def unwrap(value: Any) -> Any:
    """The JavaScript value behind ``value`` (a JsProxy's object), for wsguide's own code."""
    if isinstance(value, JsProxy):
        return value._js
    if isinstance(value, JsDoubleProxy):
        return value._proxy
    return value


def _array_method(fn: Callable[..., Any], name: str) -> Callable[[Any], Any]:
    return lambda js: _bound(lambda *args: fn(js, *args), name)


# What JavaScript's built-in Array and ArrayBuffer offer that a Worker is likely to use.
_BUILTIN_MEMBERS: dict[tuple[type, str], Callable[[Any], Any]] = {
    (list, "length"): len,
    (list, "includes"): _array_method(includes, "includes"),
    (list, "indexOf"): _array_method(index_of, "indexOf"),
    (list, "join"): _array_method(lambda js, sep=",": sep.join(js_to_string([x]) for x in js), "join"),
    (list, "at"): _array_method(lambda js, i: js[i] if -len(js) <= i < len(js) else None, "at"),
    (list, "slice"): _array_method(lambda js, a=0, b=None: js[a:b], "slice"),
    (list, "push"): _array_method(lambda js, *items: (js.extend(items), len(js))[1], "push"),
    (bytes, "byteLength"): len,
    (bytes, "slice"): _array_method(lambda js, a=0, b=None: bytes(js[a:b]), "slice"),
    (Uint8Array, "length"): len,
    (Uint8Array, "byteLength"): len,
}


def _not_subscriptable() -> Any:
    raise TypeError(NOT_SUBSCRIPTABLE)


def _to_py(js: Any, depth: int, default: Callable[..., Any] | None, proxy: Any) -> Any:
    if depth == 0:
        return js2py(js)
    deeper = depth - 1

    def conv(v: Any) -> Any:
        if isinstance(v, PRIMITIVES) and not isinstance(v, JsNull):
            return v
        if isinstance(v, JsNull):
            return v
        return _to_py(v, deeper, default, None)

    if is_plain_object(js):
        return {k: conv(v) for k, v in js.items()}
    if type(js) is list:
        return [conv(v) for v in js]
    if isinstance(js, JsMap):
        return {conv(k): conv(v) for k, v in js.items()}
    if isinstance(js, set):
        return {conv(v) for v in js}
    if isinstance(js, bytes):
        return memoryview(bytes(js))
    if isinstance(js, PyProxy):
        return js.obj
    if isinstance(js, PRIMITIVES):
        return js
    converted = proxy if proxy is not None else JsProxy(js)
    if default is not None:
        return default(converted, lambda v: _to_py(unwrap(v), deeper, default, None), {})
    return converted


# ---------------------------------------------------------------------------
# Calling JavaScript from Python, and Python from JavaScript
# ---------------------------------------------------------------------------
def _call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], name: str = "") -> Any:
    # What py2js borrows while the call runs is destroyed when it returns (a frame of
    # _borrowed.stack). Spelled out inline: this runs for every runtime call a Worker makes.
    borrowed: list[PyProxy] = []
    stack = _borrowed.stack
    stack.append(borrowed)
    try:
        if not args or (len(args) == 1 and type(args[0]) in _PRIMITIVE_TYPES):
            js_args: Any = args  # ws.accept(), ws.send("text"): the most frequent calls, nothing to convert
        else:
            js_args = [a if type(a) in _PRIMITIVE_TYPES else py2js(a) for a in args]
        if kwargs:
            # Pyodide passes keyword arguments as one trailing options object.
            js_args = [*js_args, {k: py2js(v) for k, v in kwargs.items()}]
        if borrowed and name in KEEPS_CALLABLES:
            hint_borrowed_listener(name, borrowed)
        try:
            result = fn(*js_args)
        except PythonError as exc:
            if exc.original is None:
                raise JsException(exc) from None
            raise exc.original from None  # a Python exception that crossed into JavaScript and back
        except JsError as exc:
            raise JsException(exc) from None
    finally:
        stack.pop()
        for proxy in borrowed:
            proxy.release_borrowed()
    kind = type(result)
    if kind in _PRIMITIVE_TYPES:
        return result
    proxy_class = _OBJECT_PROXIES.get(kind)
    if proxy_class is not None:  # a runtime object (never a Promise): no awaitable check
        return proxy_class(result)
    if inspect.isawaitable(result):
        return _Promise(result)
    return js2py(result)


def _bound(method: Callable[..., Any], name: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return _call(method, args, kwargs, name)

    call.__name__ = name
    return call


class _Promise(JsProxy):
    """A JavaScript Promise: ``await`` it for the (converted) result."""

    __slots__ = ()

    def __await__(self) -> Any:
        return _settle(self._js).__await__()

    def __str__(self) -> str:
        return "[object Promise]"

    __repr__ = __str__


async def _settle(awaitable: Any) -> Any:
    try:
        result = await awaitable
    except JsError as exc:
        raise JsException(exc) from None
    return js2py(result)

"""What JavaScript sees of a runtime class: its name and members (as jsg declares them in workerd).

A runtime object is a JavaScript object: Python code reaches it only through
the members its class declares here — the way workerd's ``JSG_METHOD`` /
``JSG_READONLY_PROTOTYPE_PROPERTY`` lists decide what JavaScript can call. The
Pyodide boundary (:mod:`wsguide.ffi`) builds its proxies from these
declarations; everything else on the Python object (the runtime's own
plumbing) stays out of reach of a Worker's code.

>>> api = JsInterface("WebSocketPair", properties=("0", "1"), iterable=True)
>>> api.readable("0"), api.readable("accept")
(True, False)
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["JS_NULL", "JsDate", "JsInterface", "JsMap", "JsNull", "JsonObject", "ObjectConstructor", "Uint8Array",
           "interface_of", "js_string", "own_properties"]


def js_string(value: Any) -> str:
    """What JavaScript's ``String(value)`` gives for a value Pyodide converted."""
    if value is None:
        return "undefined"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)


@dataclass(frozen=True)
class JsInterface:
    """The JavaScript face of a class: what ``proxy.member`` may reach."""

    #: The class name JavaScript reports (``constructor.name``, ``[object WebSocket]``).
    name: str
    methods: tuple[str, ...] = ()
    #: Properties JavaScript can read (methods are readable too).
    properties: tuple[str, ...] = ()
    #: Properties JavaScript can assign (``ws.binaryType = ...``, ``ws.onmessage = ...``).
    settable: tuple[str, ...] = ()
    #: ``for x in obj`` works (``Symbol.iterator``).
    iterable: bool = False
    #: Static members of the class itself (``WebSocket.OPEN``, ``Response.json``).
    statics: tuple[str, ...] = ()
    #: Any public name is a member (a Durable Object stub: every method name is an RPC call).
    dynamic: bool = False
    _readable: frozenset[str] = field(init=False, repr=False, compare=False)
    #: The indexed properties (a WebSocketPair's ``"0"`` and ``"1"``): what ``Object.values`` reads.
    indexed: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_readable", frozenset(self.methods) | frozenset(self.properties))
        object.__setattr__(self, "indexed", tuple(name for name in self.properties if name.isdigit()))

    def readable(self, name: str) -> bool:
        return name in self._readable or (self.dynamic and not name.startswith("_"))


def interface_of(cls: type) -> JsInterface | None:
    """The :class:`JsInterface` a class declares (``__js__``), or ``None`` for a plain value."""
    return getattr(cls, "__js__", None)


class JsNull:
    """JavaScript's ``null`` (``undefined`` is ``None``); Pyodide calls it ``jsnull``.

    Falsy, and not ``None``: ``deserializeAttachment()`` of a socket that never had
    one returns it.
    """

    _instance: JsNull | None = None

    def __new__(cls) -> JsNull:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "jsnull"


JS_NULL = JsNull()


class JsMap(dict):  # type: ignore[type-arg]
    """A JavaScript ``Map`` (what ``to_js(dict)`` makes without a ``dict_converter``)."""

    __js__ = JsInterface("Map", methods=("get", "has", "set", "delete", "keys", "values", "entries"),
                         properties=("size",), iterable=True)

    @property
    def size(self) -> int:
        return len(self)

    def has(self, key: Any) -> bool:
        return key in self

    def set(self, key: Any, value: Any) -> JsMap:
        self[key] = value
        return self

    def delete(self, key: Any) -> bool:
        return self.pop(key, _MISSING) is not _MISSING


class JsDate(_dt.datetime):
    """A JavaScript ``Date`` (``ctx.getWebSocketAutoResponseTimestamp(ws)``); a UTC datetime in Python.

    >>> JsDate(2026, 11, 27, 12, 0, 0, 500000, tzinfo=_dt.timezone.utc).toISOString()
    '2026-11-27T12:00:00.500Z'
    """

    __js__ = JsInterface("Date", methods=("getTime", "valueOf", "toISOString", "toJSON", "toString"))

    def getTime(self) -> int:  # noqa: N802 - the JavaScript name
        """Milliseconds since 1970-01-01 UTC (what JavaScript keeps)."""
        return int(self.timestamp() * 1000)

    valueOf = getTime

    def toISOString(self) -> str:  # noqa: N802 - the JavaScript name
        utc = self.astimezone(_dt.timezone.utc)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"

    toJSON = toISOString

    def toString(self) -> str:  # noqa: N802 - the JavaScript name
        utc = self.astimezone(_dt.timezone.utc)
        return utc.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")


class Uint8Array(bytes):
    """A JavaScript ``Uint8Array`` (what ``to_js(b"...")`` makes); binary for ``send()``."""

    __js__ = JsInterface("Uint8Array", properties=("length", "byteLength"), iterable=True)

    @property
    def length(self) -> int:
        return len(self)

    @property
    def byteLength(self) -> int:
        return len(self)


_MISSING = object()


def own_properties(value: Any) -> dict[str, Any]:
    """``Object.keys``/``values``/``entries`` of a JavaScript value: its own enumerable properties."""
    api = interface_of(type(value))
    if api is not None:
        # The indexed properties of a runtime object (a WebSocketPair's "0" and "1").
        return {name: getattr(value, name) for name in api.indexed}
    if isinstance(value, dict):
        return dict(value)
    if type(value) is list:
        return {str(i): v for i, v in enumerate(value)}
    return {}


class ObjectConstructor:
    """JavaScript's ``Object`` (``from js import Object``): ``Object.fromEntries``, ``keys``, ``values``."""

    __js__ = JsInterface("Object", statics=("fromEntries", "keys", "values", "entries"))

    @staticmethod
    def fromEntries(entries: Any) -> dict[str, Any]:
        """A plain object from ``[key, value]`` pairs (``to_js(d, dict_converter=Object.fromEntries)``)."""
        result: dict[str, Any] = {}
        for pair in entries:
            key, value = pair
            result[key if isinstance(key, str) else _key_string(key)] = value
        return result

    @staticmethod
    def keys(value: Any) -> list[str]:
        return list(own_properties(value))

    @staticmethod
    def values(value: Any) -> list[Any]:
        return list(own_properties(value).values())

    @staticmethod
    def entries(value: Any) -> list[list[Any]]:
        return [[k, v] for k, v in own_properties(value).items()]


def _key_string(key: Any) -> str:
    return js_string(key)


class JsonObject:
    """JavaScript's ``JSON`` (``from js import JSON``): ``JSON.parse`` gives JavaScript values."""

    __js__ = JsInterface("JSON", statics=("parse", "stringify"))

    @staticmethod
    def parse(text: str) -> Any:
        import json

        return _nulls(json.loads(text))

    @staticmethod
    def stringify(value: Any) -> str:
        import json

        return json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False)


def _nulls(value: Any) -> Any:
    """JSON's null is JavaScript's null."""
    if value is None:
        return JS_NULL
    if isinstance(value, dict):
        return {k: _nulls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nulls(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if value is JS_NULL:
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [None if v is None else _plain(v) for v in value]
    return value

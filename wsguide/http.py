"""The Fetch API's ``Headers``, ``Request`` and ``Response``: the JavaScript classes, with workerd's rules.

These are what ``from js import Response`` reaches on Python Workers (the
Python SDK's ``workers.Response`` wraps them: :mod:`wsguide.sdk`). They take
JavaScript's arguments — ``Response(body, init)`` with ``init`` an options
object (``status``, ``statusText``, ``headers``, ``webSocket``) — and make
workerd's checks with its exact texts:

* a WebSocket needs status 101 → ``RangeError: Responses with a WebSocket must have status code 101.``
* status 101 needs a WebSocket, and any other status must be 200–599 →
  ``RangeError: Responses may only be constructed with status codes in the range 200 to 599, inclusive.``
* 101, 204, 205 and 304 carry no body → ``TypeError``.

For wsguide's own code the same constructors also take the options as keyword
arguments (``Response(None, status=101, web_socket=ws)``).

>>> Response("Expected Upgrade: websocket", {"status": 426}).status
426
"""

from __future__ import annotations

import http as _http
import json as _json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .core.errors import JsRangeError, JsTypeError
from .core.jsapi import JS_NULL, JsInterface, JsNull, Uint8Array
from .core.values import Blob
from .core.websocket import WebSocket

__all__ = ["Headers", "Request", "Response", "reason_phrase"]

MSG_WS_NEEDS_101 = "Responses with a WebSocket must have status code 101."
MSG_STATUS_RANGE = (
    "Responses may only be constructed with status codes in the range 200 to 599, inclusive."
)
MSG_NULL_BODY = "Response with null body status (101, 204, 205, or 304) cannot have a body."
MSG_CLONE_WS = "Cannot clone a response to a WebSocket handshake."
MSG_GET_BODY = "Request with a GET or HEAD method cannot have a body."
_NULL_BODY_STATUSES = frozenset({101, 204, 205, 304})
_BAD_NAME = re.compile(r"[ \t\r\n:]")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"})


def _pairs(init: Any) -> Iterable[Any]:
    """The (name, value) pairs of a headers init: an object, pairs, a Map, Headers, or a Python value."""
    init = getattr(init, "obj", init)  # a PyProxy (a Python dict or list given from Python)
    if isinstance(init, Headers):
        return init.raw_items()
    if isinstance(init, Mapping):
        return init.items()
    if hasattr(init, "raw_items"):  # websockets.datastructures.Headers
        return init.raw_items()
    return init


class Headers:
    """HTTP headers: case-insensitive names, several values per name.

    ``get(name)`` joins repeated values with ``", "`` as the Fetch standard
    does, and returns ``None`` (JavaScript's ``null``) when the header is absent.
    """

    __slots__ = ("_items",)
    __js__ = JsInterface(
        "Headers",
        methods=("get", "set", "append", "delete", "has", "entries", "keys", "values", "getSetCookie"),
        iterable=True,
    )

    def __init__(self, init: Any = None) -> None:
        # (lower-case name, name as given, value): the lower-case name is worked out once,
        # as every lookup needs it (a handshake reads about ten headers).
        self._items: list[tuple[str, str, str]] = []
        if init is None:
            return
        if type(init) is Headers:
            self._items = list(init._items)  # checked when they were added
            return
        for pair in _pairs(init):
            name, value = getattr(pair, "obj", pair)
            self.append(name, value)

    @classmethod
    def from_wire(cls, pairs: Iterable[tuple[str, str]]) -> Headers:
        """Headers an HTTP parser has checked already (h11: each name a token, each value
        without line breaks or surrounding whitespace), taken as they are."""
        headers = cls()
        headers._items = [(name.lower(), name, value) for name, value in pairs]
        return headers

    @staticmethod
    def _check(name: Any, value: Any) -> tuple[str, str, str]:
        name = str(name)
        if not name or _BAD_NAME.search(name):
            raise JsTypeError(f"Invalid header name {name!r}.")
        value = str(value).strip(" \t")
        if "\n" in value or "\r" in value:
            raise JsTypeError(f"Invalid header value for {name!r}: line breaks are not allowed.")
        return name.lower(), name, value

    def append(self, name: str, value: Any) -> None:
        """Add a value, keeping the ones already there."""
        self._items.append(self._check(name, value))

    def set(self, name: str, value: Any) -> None:
        """Replace every value of ``name`` with ``value``."""
        item = self._check(name, value)
        self.delete(name)
        self._items.append(item)

    def delete(self, name: str) -> None:
        key = name.lower()
        self._items = [item for item in self._items if item[0] != key]

    def get(self, name: str) -> str | None:
        """The value of ``name`` (repeats joined by ``", "``), or ``None``."""
        values = self.get_all(name)
        return ", ".join(values) if values else None

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name``, in order (wsguide's own code)."""
        key = name.lower()
        return [v for k, _, v in self._items if k == key]

    def getSetCookie(self) -> list[str]:
        return self.get_all("Set-Cookie")

    def has(self, name: str) -> bool:
        key = name.lower()
        return any(k == key for k, _, _ in self._items)

    def items(self) -> list[tuple[str, str]]:
        """``(lower-case name, combined value)`` pairs, sorted, as JavaScript iteration gives."""
        combined: dict[str, str] = {}
        for key, _, value in self._items:
            combined[key] = f"{combined[key]}, {value}" if key in combined else value
        return sorted(combined.items())  # the keys differ: sorted by name

    def entries(self) -> list[list[str]]:
        return [[n, v] for n, v in self.items()]

    def keys(self) -> list[str]:
        return [n for n, _ in self.items()]

    def values(self) -> list[str]:
        return [v for _, v in self.items()]

    def raw_items(self) -> list[tuple[str, str]]:
        """Every ``(name, value)`` as added, names in their original case."""
        return [(name, value) for _, name, value in self._items]

    def __iter__(self) -> Iterator[list[str]]:
        return iter(self.entries())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)

    def __len__(self) -> int:
        return len(self.items())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            other = Headers(other)
        return isinstance(other, Headers) and self.items() == other.items()

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


def _body_bytes(body: Any) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, Blob):
        return body._data
    # Anything else becomes its text, as JavaScript's String(body) (a PyProxy: Python's str()).
    return str(body).encode("utf-8")


_INIT_KEYS = ("status", "statusText", "headers", "webSocket", "method", "body", "redirect", "cf")


def _options(init: Any, **extra: Any) -> dict[str, Any]:
    """A request/response init (a JavaScript options object) merged with wsguide's keywords.

    As in JavaScript, any object can be the init: its properties are read (so
    ``new Response(null, resp)`` copies ``resp``'s status, headers and webSocket).
    """
    if init is None:
        options: dict[str, Any] = {}
    elif type(init) is dict:  # the usual init (what the SDK passes): no Mapping check
        options = dict(init)
    else:
        init = getattr(init, "obj", init)  # a Python dict given from Python (a PyProxy)
        if isinstance(init, Mapping):
            options = dict(init)
        else:
            options = {k: getattr(init, k) for k in _INIT_KEYS if getattr(init, k, None) is not None}
            options.pop("body", None)
    for key, value in extra.items():
        if value is not None:
            options[key] = value
    return options


class _Body:
    """Reading a body once: ``await text()``, ``json()``, ``arrayBuffer()``, ``bytes()``, ``blob()``."""

    _body: bytes | None
    bodyUsed: bool
    #: A streamed body not read yet (an async iterable of bytes/str chunks), or None.
    _stream: Any = None

    @property
    def body(self) -> bytes | None:
        return self._body

    async def _read_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            chunks = [c.encode() if isinstance(c, str) else bytes(c) async for c in stream]
            self._body = b"".join(chunks)

    async def _take(self) -> bytes:
        await self._read_stream()
        if self.bodyUsed:
            raise JsTypeError("Body has already been used. It can only be used once. Use tee() first "
                              "if you need to read it twice.")
        self.bodyUsed = self._body is not None
        return self._body or b""

    async def arrayBuffer(self) -> bytes:
        return await self._take()

    async def bytes(self) -> Uint8Array:
        return Uint8Array(await self._take())

    async def text(self) -> str:
        return (await self._take()).decode("utf-8", errors="replace")

    async def json(self) -> Any:
        return _json.loads(await self.text())

    async def blob(self) -> Blob:
        return Blob([await self._take()])


_BODY_METHODS = ("arrayBuffer", "bytes", "text", "json", "blob", "clone")


class Request(_Body):
    """An HTTP request: ``new Request(input, init)`` (``init``: ``method``, ``headers``, ``body``)."""

    __js__ = JsInterface(
        "Request",
        methods=_BODY_METHODS,
        properties=("url", "method", "headers", "body", "bodyUsed", "cf", "redirect", "signal"),
    )

    def __init__(
        self,
        input: str | Request,
        init: Any = None,
        *,
        method: str | None = None,
        headers: Any = None,
        body: Any = None,
    ) -> None:
        options = _options(init, method=method, headers=headers, body=body)
        base = input if isinstance(input, Request) else None
        self.url = base.url if base is not None else str(input)
        raw_method = options.get("method", base.method if base is not None else "GET")
        upper = str(raw_method).upper()
        self.method = upper if upper in _METHODS else str(raw_method)
        if "headers" in options:
            self.headers = Headers(options["headers"])
        else:
            self.headers = Headers(base.headers if base is not None else None)
        if "body" in options:
            self._body = _body_bytes(options["body"])
        else:
            self._body = base._body if base is not None else None
        if self._body is not None and self.method in ("GET", "HEAD"):
            raise JsTypeError(MSG_GET_BODY)
        self.bodyUsed = False
        self.redirect = options.get("redirect", "follow")
        self.cf = options.get("cf")
        self.signal = None

    @classmethod
    def _received(cls, url: str, method: str, headers: Headers, body: bytes | None) -> Request:
        """A request as the server read it (wsguide's own): what ``Request(url, method=method,
        headers=headers, body=body)`` makes, without copying parts that are new and checked
        already (``method`` upper-case; no ``body`` with GET or HEAD)."""
        request = cls.__new__(cls)
        request.url = url
        request.method = method
        request.headers = headers
        request._body = body
        request.bodyUsed = False
        request.redirect = "follow"
        request.cf = None
        request.signal = None
        return request

    def clone(self) -> Request:
        return Request(self)

    def __str__(self) -> str:
        return "[object Request]"

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


class Response(_Body):
    """What a Worker returns: ``new Response(body, init)``; ``init.webSocket`` with status 101 upgrades."""

    __js__ = JsInterface(
        "Response",
        methods=_BODY_METHODS,
        properties=("status", "statusText", "headers", "ok", "webSocket", "url", "type", "redirected",
                    "body", "bodyUsed"),
        statics=("json", "redirect", "error"),
    )

    def __init__(
        self,
        body: Any = None,
        init: Any = None,
        *,
        status: int | None = None,
        status_text: str | None = None,
        headers: Any = None,
        web_socket: WebSocket | None = None,
    ) -> None:
        options = _options(init, status=status, statusText=status_text, headers=headers, webSocket=web_socket)
        status = 200 if options.get("status") is None else int(options["status"])
        ws = options.get("webSocket")
        if ws is JS_NULL:
            ws = None
        if ws is not None:
            if not isinstance(ws, WebSocket):
                raise JsTypeError("Failed to construct 'Response': webSocket must be a WebSocket.")
            if status != 101:
                raise JsRangeError(MSG_WS_NEEDS_101)
        elif not 200 <= status <= 599:
            raise JsRangeError(MSG_STATUS_RANGE)
        # (hasattr(None, ...) raises and catches an AttributeError: most bodies are None or bytes)
        stream = body if body is not None and hasattr(body, "__aiter__") else None
        data = None if stream is not None else _body_bytes(body)
        if status in _NULL_BODY_STATUSES and (data or stream is not None):
            raise JsTypeError(MSG_NULL_BODY)
        self.status = status
        # As in JavaScript, a constructed Response has statusText "" unless given;
        # the standard reason phrase is used on the wire (findings F11).
        self.statusText = str(options.get("statusText") or "")
        self.headers = Headers(options.get("headers"))
        if isinstance(body, str) and not self.headers.has("Content-Type"):
            self.headers.set("Content-Type", "text/plain;charset=UTF-8")
        self._body = None if status in _NULL_BODY_STATUSES else data
        # wsguide: a streamed body (an async iterable of bytes or str chunks), sent chunked.
        self._stream = stream
        self.socket: WebSocket | None = ws  # wsguide's own view: the socket, or None
        self.bodyUsed = False
        self.type = "default"
        self.url = ""
        self.redirected = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status <= 299

    @property
    def webSocket(self) -> WebSocket | JsNull:  # noqa: N802 - the JavaScript name
        """The socket of a 101 Response, or ``null`` (as the JavaScript getter)."""
        return JS_NULL if self.socket is None else self.socket

    # --- static constructors ------------------------------------------------------------
    @staticmethod
    def json_response(data: Any, init: Any = None) -> Response:
        """``Response.json(data, init)``: a JSON body with ``Content-Type: application/json``."""
        options = _options(init)
        headers = Headers(options.get("headers"))
        if not headers.has("Content-Type"):
            headers.set("Content-Type", "application/json")
        options["headers"] = headers
        return Response(_json.dumps(data), options)

    @staticmethod
    def redirect(url: str, status: int = 302) -> Response:
        if status not in (301, 302, 303, 307, 308):
            raise JsRangeError(f"Invalid redirect status code: {status}.")
        return Response(None, {"status": status, "headers": {"Location": url}})

    @staticmethod
    def error() -> Response:
        """A network-error response; a Worker must not return it (the runtime refuses)."""
        resp = Response(None)
        resp.status = 0
        resp.type = "error"
        return resp

    def clone(self) -> Response:
        if self.socket is not None:
            raise JsTypeError(MSG_CLONE_WS)
        copy = Response(self._body, {"status": self.status, "statusText": self.statusText, "headers": self.headers})
        copy.type = self.type
        return copy

    def __str__(self) -> str:
        return "[object Response]"

    def __repr__(self) -> str:
        ws = " webSocket" if self.socket is not None else ""
        return f"<Response {self.status} {self.statusText}{ws}>"


class _JsonDescriptor:
    """``Response.json(data)`` on the class builds one; ``await resp.json()`` reads one."""

    def __get__(self, obj: Any, cls: type) -> Any:
        return Response.json_response if obj is None else obj.read_json


Response.json = _JsonDescriptor()  # type: ignore[assignment,method-assign]
Response.read_json = _Body.json  # type: ignore[attr-defined]


def reason_phrase(status: int) -> str:
    """The standard reason phrase for ``status`` (``""`` when there is none)."""
    try:
        return _http.HTTPStatus(status).phrase
    except ValueError:
        return ""


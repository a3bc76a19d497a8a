"""``Headers``, ``Request`` and ``Response`` with the Workers runtime's rules.

Names and signatures follow the Python Workers SDK (``from workers import
Request, Response``): ``Response(body=None, status=None, status_text="",
headers=None, web_socket=None)``, ``Response.json(...)``, ``request.headers.get``.
The checks a Response makes are the runtime's, with its exact texts:

* a WebSocket needs status 101 → ``RangeError: Responses with a WebSocket must have status code 101.``
* status 101 needs a WebSocket, and any other status must be 200–599 →
  ``RangeError: Responses may only be constructed with status codes in the range 200 to 599, inclusive.``
* 101, 204, 205 and 304 carry no body → ``TypeError``.
"""

from __future__ import annotations

import http as _http
import json as _json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .core.errors import JsRangeError, JsTypeError
from .core.websocket import WebSocket

__all__ = ["Headers", "Request", "Response", "HTTPMethod"]

HTTPMethod = _http.HTTPMethod

MSG_WS_NEEDS_101 = "Responses with a WebSocket must have status code 101."
MSG_STATUS_RANGE = (
    "Responses may only be constructed with status codes in the range 200 to 599, inclusive."
)
MSG_NULL_BODY = "Response with null body status (101, 204, 205, or 304) cannot have a body."
MSG_CLONE_WS = "Cannot clone a response to a WebSocket handshake."
_NULL_BODY_STATUSES = frozenset({101, 204, 205, 304})

HeadersInit = "Headers | Mapping[str, str] | Iterable[tuple[str, str]] | None"


class Headers:
    """HTTP headers: case-insensitive names, several values per name.

    ``get(name)`` joins repeated values with ``", "`` as the Fetch standard
    does, and returns ``None`` when the header is absent.
    """

    __slots__ = ("_items",)

    def __init__(self, init: Any = None) -> None:
        self._items: list[tuple[str, str]] = []
        if init is None:
            return
        if isinstance(init, Headers):
            self._items = list(init._items)
            return
        if isinstance(init, Mapping):
            pairs: Iterable[Any] = init.items()
        elif hasattr(init, "raw_items"):  # websockets.datastructures.Headers
            pairs = init.raw_items()
        else:
            pairs = init
        for pair in pairs:
            name, value = pair
            self.append(name, value)

    @staticmethod
    def _check(name: str, value: Any) -> tuple[str, str]:
        name = str(name)
        if not name or any(c in name for c in " \t\r\n:"):
            raise TypeError(f"Invalid header name {name!r}.")
        value = str(value).strip(" \t")
        if "\n" in value or "\r" in value:
            raise TypeError(f"Invalid header value for {name!r}: line breaks are not allowed.")
        return name, value

    def append(self, name: str, value: Any) -> None:
        """Add a value, keeping the ones already there."""
        self._items.append(self._check(name, value))

    def set(self, name: str, value: Any) -> None:
        """Replace every value of ``name`` with ``value``."""
        name, value = self._check(name, value)
        self.delete(name)
        self._items.append((name, value))

    def delete(self, name: str) -> None:
        key = name.lower()
        self._items = [(n, v) for n, v in self._items if n.lower() != key]

    def get(self, name: str, default: Any = None) -> str | None:
        """The value of ``name`` (repeats joined by ``", "``), or ``default``."""
        values = self.get_all(name)
        return ", ".join(values) if values else default

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name``, in order (wsguide only)."""
        key = name.lower()
        return [v for n, v in self._items if n.lower() == key]

    getAll = get_all

    def has(self, name: str) -> bool:
        key = name.lower()
        return any(n.lower() == key for n, _ in self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def __delitem__(self, name: str) -> None:
        self.delete(name)

    def items(self) -> list[tuple[str, str]]:
        """``(lower-case name, combined value)`` pairs, sorted, as JS iteration gives."""
        names = sorted({n.lower() for n, _ in self._items})
        return [(n, self.get(n) or "") for n in names]

    entries = items

    def keys(self) -> list[str]:
        return [n for n, _ in self.items()]

    def values(self) -> list[str]:
        return [v for _, v in self.items()]

    def raw_items(self) -> list[tuple[str, str]]:
        """Every ``(name, value)`` as added, names in their original case."""
        return list(self._items)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.items())

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
    raise TypeError(
        f"A body must be str or bytes (got {type(body).__name__}); for JSON use "
        "Response.json(data)."
    )


class _Body:
    """Reading a body: ``await text()``, ``json()``, ``bytes()``."""

    _body: bytes | None
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

    async def bytes(self) -> bytes:
        await self._read_stream()
        return self._body or b""

    async def arrayBuffer(self) -> bytes:
        await self._read_stream()
        return self._body or b""

    async def text(self) -> str:
        await self._read_stream()
        return (self._body or b"").decode("utf-8", errors="replace")

    async def json(self) -> Any:
        return _json.loads(await self.text())


class Request(_Body):
    """An HTTP request as a Worker's ``fetch(request)`` receives it.

    Build one yourself to call a Worker or a Durable Object stub directly:
    ``Request("http://example.com/chat", headers={"Upgrade": "websocket"})``.
    """

    def __init__(
        self,
        url: str | Request,
        method: str = "GET",
        headers: Any = None,
        body: str | bytes | None = None,
    ) -> None:
        if isinstance(url, Request):
            base = url
            self.url = base.url
            self.method = HTTPMethod(method.upper()) if method != "GET" else base.method
            self.headers = Headers(headers if headers is not None else base.headers)
            self._body = _body_bytes(body) if body is not None else base._body
            return
        self.url = str(url)
        try:
            self.method = HTTPMethod(str(method).upper())
        except ValueError:
            raise TypeError(f"{method!r} is not an HTTP method.") from None
        self.headers = Headers(headers)
        self._body = _body_bytes(body)
        if self._body is not None and self.method in (HTTPMethod.GET, HTTPMethod.HEAD):
            raise TypeError("Request with a GET or HEAD method cannot have a body.")

    @property
    def js_object(self) -> Request:
        """What Python Workers expose as the underlying JS Request (here: itself)."""
        return self

    @property
    def path(self) -> str:
        """wsguide only: the path and query part of the URL."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def clone(self) -> Request:
        return Request(self)

    def __repr__(self) -> str:
        return f"<Request {self.method.value} {self.url}>"


class _JsResponse:
    """``resp.js_object``: the JavaScript-side view real Python Workers expose."""

    __slots__ = ("_r",)

    def __init__(self, response: Response) -> None:
        self._r = response

    @property
    def webSocket(self) -> WebSocket | None:
        return self._r.web_socket

    @property
    def status(self) -> int:
        return self._r.status

    @property
    def statusText(self) -> str:
        return self._r.status_text

    @property
    def headers(self) -> Headers:
        return self._r.headers


class _ClassOrInstance:
    """``Response.json(data)`` builds a response; ``await resp.json()`` reads one."""

    def __init__(self, on_class: str, on_instance: str) -> None:
        self._on_class = on_class
        self._on_instance = on_instance

    def __get__(self, obj: Any, cls: type) -> Any:
        if obj is None:
            return getattr(cls, self._on_class)
        return getattr(obj, self._on_instance)


class Response(_Body):
    """What a Worker returns. ``status=101`` with ``web_socket=client`` upgrades.

    ``body`` is ``str``, bytes, or (wsguide: a streamed body, sent chunked) an
    async iterable of bytes or ``str`` chunks, e.g. an ``async def`` generator.

    >>> Response("Expected Upgrade: websocket", status=426).status
    426
    """

    def __init__(
        self,
        body: str | bytes | None = None,
        status: int | None = None,
        status_text: str = "",
        headers: Any = None,
        web_socket: WebSocket | None = None,
        *,
        statusText: str | None = None,
        webSocket: WebSocket | None = None,
    ) -> None:
        if webSocket is not None and web_socket is None:
            web_socket = webSocket  # the JavaScript spelling, for code ported as-is
        if statusText is not None and not status_text:
            status_text = statusText
        status = 200 if status is None else int(status)
        if web_socket is not None:
            if not isinstance(web_socket, WebSocket):
                raise TypeError(f"web_socket must be a WebSocket, got {type(web_socket).__name__}.")
            if status != 101:
                raise JsRangeError(MSG_WS_NEEDS_101)
        elif not 200 <= status <= 599:
            raise JsRangeError(MSG_STATUS_RANGE)
        stream = body if hasattr(body, "__aiter__") else None
        data = None if stream is not None else _body_bytes(body)
        if status in _NULL_BODY_STATUSES and (data or stream is not None):
            raise JsTypeError(MSG_NULL_BODY)
        if status in _NULL_BODY_STATUSES:
            data = None
        self.status = status
        # As in JavaScript, a constructed Response has statusText "" unless given;
        # the standard reason phrase is used on the wire (findings F11).
        self.status_text = status_text
        self.headers = Headers(headers)
        if isinstance(body, str) and not self.headers.has("Content-Type"):
            self.headers.set("Content-Type", "text/plain;charset=UTF-8")
        self._body = data
        self._stream = stream
        self._web_socket = web_socket
        self.type = "default"

    # --- JavaScript-style accessors -------------------------------------------------
    @property
    def web_socket(self) -> WebSocket | None:
        """The WebSocket of a 101 response, else ``None``."""
        return self._web_socket

    webSocket = web_socket

    @property
    def statusText(self) -> str:
        return self.status_text

    @property
    def ok(self) -> bool:
        return 200 <= self.status <= 299

    @property
    def js_object(self) -> _JsResponse:
        """``resp.js_object.webSocket`` is how real Python Workers reach the socket."""
        return _JsResponse(self)

    # --- constructors -----------------------------------------------------------------
    @classmethod
    def from_json(cls, data: Any, status: int = 200, status_text: str = "", headers: Any = None) -> Response:
        """A JSON response (``Content-Type: application/json``).

        Also reachable as ``Response.json(data)``, as in JavaScript; on an
        instance, ``await resp.json()`` parses the body instead.
        """
        h = Headers(headers)
        if not h.has("Content-Type"):
            h.set("Content-Type", "application/json")
        return cls(_json.dumps(data), status=status, status_text=status_text, headers=h)

    json = _ClassOrInstance("from_json", "_read_json")  # type: ignore[assignment]

    async def _read_json(self) -> Any:
        return _json.loads(await self.text())

    @classmethod
    def redirect(cls, url: str, status: int = 302) -> Response:
        if status not in (301, 302, 303, 307, 308):
            raise JsRangeError(f"Invalid redirect status code: {status}.")
        return cls(None, status=status, headers={"Location": url})

    @classmethod
    def error(cls) -> Response:
        """A network-error response; a Worker must not return it (the runtime refuses)."""
        resp = cls(None, status=200)
        resp.status = 0
        resp.status_text = ""
        resp.type = "error"
        return resp

    def clone(self) -> Response:
        if self._web_socket is not None:
            raise JsTypeError(MSG_CLONE_WS)
        copy = Response(self._body, status=self.status, status_text=self.status_text, headers=self.headers)
        copy.type = self.type
        return copy

    def __repr__(self) -> str:
        ws = " web_socket=<WebSocket>" if self._web_socket is not None else ""
        return f"<Response {self.status} {self.status_text}{ws}>"


def reason_phrase(status: int) -> str:
    """The standard reason phrase for ``status`` (``""`` when there is none)."""
    try:
        return _http.HTTPStatus(status).phrase
    except ValueError:
        return ""

"""``WebSocketPair``: two connected WebSockets, as ``new WebSocketPair()`` makes them."""

from __future__ import annotations

from collections.abc import Iterator

from .isolate import Isolate
from .jsapi import JsInterface
from .websocket import WebSocket, join

__all__ = ["WebSocketPair", "WebSocketRequestResponsePair"]


class WebSocketPair:
    """Two connected WebSockets: ``client, server = WebSocketPair()``.

    Also ``pair[0]`` / ``pair[1]`` and ``pair.object_values()`` (the Python
    spelling of ``Object.values(pair)``). ``WebSocketPair.new()`` is how
    Python Workers write ``new WebSocketPair()``; both work here.
    """

    __slots__ = ("_ends",)
    __js__ = JsInterface("WebSocketPair", properties=("0", "1"), iterable=True)

    def __init__(self, isolate: Isolate | None = None) -> None:
        a = WebSocket.awaiting(isolate)
        b = WebSocket.awaiting(a.isolate)
        join(a, b)
        self._ends = (a, b)

    @classmethod
    def new(cls) -> WebSocketPair:
        """Same as ``WebSocketPair()``: mirrors ``WebSocketPair.new()`` in Pyodide."""
        return cls()

    def __getitem__(self, index: int | str) -> WebSocket:
        if isinstance(index, str) and index in ("0", "1"):
            index = int(index)
        if index not in (0, 1):
            raise IndexError("a WebSocketPair has two ends: [0] (client) and [1] (server)")
        return self._ends[index]

    def __iter__(self) -> Iterator[WebSocket]:
        return iter(self._ends)

    def __len__(self) -> int:
        return 2

    def object_values(self) -> tuple[WebSocket, WebSocket]:
        """``(client, server)``, like ``Object.values(pair)`` in JavaScript."""
        return self._ends

    def __repr__(self) -> str:
        return f"WebSocketPair({self._ends[0]!r}, {self._ends[1]!r})"


# JavaScript's pair["0"] / pair["1"] (Pyodide: getattr(pair, "0")): properties named "0" and
# "1", found by the usual lookup (a __getattr__ would run only after it failed, for a cost).
setattr(WebSocketPair, "0", property(lambda self: self._ends[0], doc="The client end."))
setattr(WebSocketPair, "1", property(lambda self: self._ends[1], doc="The server end."))


class WebSocketRequestResponsePair:
    """``WebSocketRequestResponsePair.new("ping", "pong")`` for ``ctx.setWebSocketAutoResponse``.

    Read it back with the ``request`` and ``response`` properties. (Cloudflare's docs
    mention ``getRequest()``/``getResponse()`` methods; workerd has none, so neither
    has wsguide.)
    """

    __slots__ = ("_request", "_response")
    __js__ = JsInterface("WebSocketRequestResponsePair", properties=("request", "response"))

    def __init__(self, request: str, response: str) -> None:
        self._request = str(request)
        self._response = str(response)

    @classmethod
    def new(cls, request: str, response: str) -> WebSocketRequestResponsePair:
        """Same as the constructor: mirrors ``WebSocketRequestResponsePair.new(...)`` in Pyodide."""
        return cls(request, response)

    @property
    def request(self) -> str:
        return self._request

    @property
    def response(self) -> str:
        return self._response

    def __repr__(self) -> str:
        return f"WebSocketRequestResponsePair({self._request!r}, {self._response!r})"

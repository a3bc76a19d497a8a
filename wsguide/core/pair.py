"""``WebSocketPair``: two connected WebSockets, as ``new WebSocketPair()`` makes them."""

from __future__ import annotations

from collections.abc import Iterator

from .isolate import Isolate
from .websocket import WebSocket, join

__all__ = ["WebSocketPair"]


class WebSocketPair:
    """Two connected WebSockets: ``client, server = WebSocketPair()``.

    Also ``pair[0]`` / ``pair[1]`` and ``pair.object_values()`` (the Python
    spelling of ``Object.values(pair)``). ``WebSocketPair.new()`` is how
    Python Workers write ``new WebSocketPair()``; both work here.
    """

    __slots__ = ("_ends",)

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

"""Mirror of ``from js import …`` in Python Workers (Pyodide's JavaScript globals)."""

from __future__ import annotations

from typing import Any

from .core.console import console
from .core.pair import WebSocketPair
from .core.websocket import WebSocket
from .durable.state import WebSocketRequestResponsePair
from .http import Headers, Request, Response

__all__ = [
    "Headers",
    "Object",
    "Request",
    "Response",
    "WebSocket",
    "WebSocketPair",
    "WebSocketRequestResponsePair",
    "console",
]


class Object:
    """``Object.values(pair)`` and ``Object.fromEntries`` as Pyodide exposes them."""

    @staticmethod
    def fromEntries(entries: Any) -> dict[Any, Any]:
        """``to_js(d, dict_converter=Object.fromEntries)`` uses it; here: a dict."""
        return dict(entries)

    @staticmethod
    def values(obj: Any) -> list[Any]:
        if hasattr(obj, "object_values"):
            return list(obj.object_values())
        if isinstance(obj, dict):
            return list(obj.values())
        return list(obj)


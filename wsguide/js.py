"""Mirror of ``from js import …`` in Python Workers (Pyodide's JavaScript globals)."""

from __future__ import annotations

from typing import Any

from .http import Headers, Request, Response
from .websocket import WebSocket, WebSocketPair

__all__ = ["Headers", "Object", "Request", "Response", "WebSocket", "WebSocketPair", "console"]

from .log import console


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


def __getattr__(name: str) -> Any:
    if name == "WebSocketRequestResponsePair":
        from . import durable

        return durable.WebSocketRequestResponsePair
    raise AttributeError(name)

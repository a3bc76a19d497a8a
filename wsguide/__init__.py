"""wsguide: learn WebSockets on Cloudflare Workers, in Python, on your own machine.

A learner's Worker written against ``wsguide`` runs on real Python Workers
with an import change (``from workers import …`` / ``from js import …``), and
behaves here as it does there: same events in the same order, same close
codes, same error texts.

    from wsguide import WorkerEntrypoint, Response, WebSocketPair, serve

Layers (each imports only the ones above it): ``events`` → ``websocket`` →
``compat`` → ``http`` → ``runtime`` → ``client`` → ``durable`` → ``notebook``
→ ``cli``. ``workers``, ``js`` and ``ffi`` mirror the real import names.
"""

from __future__ import annotations

from typing import Any

from .compat import DEFAULT_COMPATIBILITY_DATE, Compat
from .errors import DOMException, Error, InvalidAccessError, RangeError
from .events import Blob, CloseEvent, ErrorEvent, Event, MessageEvent
from .http import Headers, Request, Response
from .log import console
from .runtime import (
    ExecutionContext,
    PortInUseError,
    Server,
    WorkerEntrypoint,
    running,
    serve,
    shutdown_all,
)
from .client import FetchError, fetch
from .websocket import WebSocket, WebSocketPair

__version__ = "0.1.0"

__all__ = [
    "Blob",
    "CloseEvent",
    "Compat",
    "DEFAULT_COMPATIBILITY_DATE",
    "DOMException",
    "DurableObject",
    "Error",
    "ErrorEvent",
    "Event",
    "ExecutionContext",
    "FetchError",
    "Headers",
    "InvalidAccessError",
    "MessageEvent",
    "PortInUseError",
    "RangeError",
    "Request",
    "Response",
    "Server",
    "WebSocket",
    "WebSocketPair",
    "WebSocketRequestResponsePair",
    "WorkerEntrypoint",
    "console",
    "fetch",
    "running",
    "serve",
    "shutdown_all",
]


def __getattr__(name: str) -> Any:
    # Durable Objects load on first use: keeps `import wsguide` fast.
    if name in ("DurableObject", "WebSocketRequestResponsePair", "DurableObjectState"):
        from . import durable

        return getattr(durable, name)
    raise AttributeError(f"module 'wsguide' has no attribute {name!r}")

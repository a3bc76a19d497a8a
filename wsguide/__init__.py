"""wsguide: learn WebSockets on Cloudflare Workers, in Python, on your own machine.

A learner's Worker written against ``wsguide`` runs on real Python Workers
with an import change (``from workers import …`` / ``from js import …`` /
``from pyodide.ffi import …``), and behaves here as it does there: same events
in the same order, same close codes, same error texts.

    from wsguide.workers import WorkerEntrypoint, Response
    from wsguide.js import WebSocketPair
    from wsguide import serve          # wsguide only: run it locally

The layers, each importing only the ones before it (``docs/architecture.md``):
``core`` → ``ffi`` → ``http`` → ``net`` → ``durable`` → ``serving`` → ``teach``
→ ``cli``. ``workers`` and ``js`` mirror the import names of real Python Workers.
"""

from __future__ import annotations

from typing import Any

from .core.compat import DEFAULT_COMPATIBILITY_DATE, Compat
from .core.console import console
from .core.errors import DOMException, InvalidAccessError, JsError, JsRangeError, JsTypeError
from .core.events import CloseEvent, ErrorEvent, Event, MessageEvent
from .core.pair import WebSocketPair
from .core.values import Blob
from .core.websocket import WebSocket
from .entrypoints import WorkerEntrypoint
from .http import Headers, Request, Response
from .net import FetchError, PortInUseError, Server, fetch, running, shutdown_all
from .net.worker import ExecutionContext
from .serving import serve
from .teach import reruns as _reruns

__version__ = "0.1.0"

__all__ = [
    "Blob",
    "CloseEvent",
    "Compat",
    "DEFAULT_COMPATIBILITY_DATE",
    "DOMException",
    "DurableObject",
    "ErrorEvent",
    "Event",
    "ExecutionContext",
    "FetchError",
    "Headers",
    "InvalidAccessError",
    "JsError",
    "JsRangeError",
    "JsTypeError",
    "MessageEvent",
    "PortInUseError",
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

_reruns.install()


def __getattr__(name: str) -> Any:
    # Durable Objects load on first use: keeps `import wsguide` fast.
    if name in ("DurableObject", "WebSocketRequestResponsePair", "DurableObjectState"):
        from . import durable

        return getattr(durable, name)
    raise AttributeError(f"module 'wsguide' has no attribute {name!r}")

"""wsguide: learn WebSockets on Cloudflare Workers, in Python, on your own machine.

A Worker written here runs on real Python Workers with an import change, and
behaves here as it does there — same events in the same order, same close
codes, same error texts, and the same Python (Pyodide's rules at the boundary):

    from wsguide.workers import WorkerEntrypoint, Response   # -> from workers import ...
    from wsguide.js import WebSocketPair                      # -> from js import ...
    from wsguide.ffi import create_proxy                      # -> from pyodide.ffi import ...

    from wsguide import serve                                 # wsguide only: run it locally

The names re-exported here are the same objects as those mirrors (for
wsguide's own tests and notebook helpers); a Worker imports from the mirrors.
The layers, each importing only the ones before it (``docs/architecture.md``):
``core`` → ``ffi`` → ``http`` → ``sdk`` → ``net`` → ``durable`` → ``serving``
→ ``teach`` → ``cli``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .core import isolate as _isolate
from .core.compat import DEFAULT_COMPATIBILITY_DATE, Compat
from .ffi import JsException, create_once_callable, create_proxy, to_js
from .js import Object, WebSocket, WebSocketPair, console
from .sdk import DurableObject, Request, Response, WorkerEntrypoint, fetch
from .teach import tracebacks as _tracebacks

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_COMPATIBILITY_DATE",
    "Compat",
    "DurableObject",
    "FetchError",
    "JsException",
    "Object",
    "PortInUseError",
    "Request",
    "Response",
    "Server",
    "WebSocket",
    "WebSocketPair",
    "WebSocketRequestResponsePair",
    "WorkerEntrypoint",
    "console",
    "create_once_callable",
    "create_proxy",
    "fetch",
    "running",
    "serve",
    "shutdown_all",
    "to_js",
]

# The server (asyncio, h11, websockets) loads on first use, so `import wsguide` stays quick.
_LAZY = {
    "FetchError": ".net",
    "PortInUseError": ".net",
    "Server": ".net",
    "running": ".net",
    "shutdown_all": ".net",
    "serve": ".serving",
    "WebSocketRequestResponsePair": ".js",
}

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from .js import WebSocketRequestResponsePair
    from .net import FetchError, PortInUseError, Server, running, shutdown_all
    from .serving import serve



class _LoadsTheNetworkLayer:
    """The isolates' scheduler and network until first used; then ``wsguide.net`` loads and
    installs the real ones (the event-loop scheduler, the outbound network) in their place."""

    @staticmethod
    def _real(role: str) -> Any:
        importlib.import_module(".net", __name__)
        return _isolate.default(role)

    def call_soon(self, fn: Any, *args: Any) -> None:
        self._real("scheduler").call_soon(fn, *args)

    def spawn(self, awaitable: Any, on_error: Any) -> None:
        self._real("scheduler").spawn(awaitable, on_error)

    def connect_websocket(self, ws: Any) -> Any:
        return self._real("network").connect_websocket(ws)

    async def fetch(self, resource: Any, options: dict[str, Any]) -> Any:
        return await self._real("network").fetch(resource, options)


if not _isolate.defaults_installed():
    _isolate.install_defaults(_LoadsTheNetworkLayer(), _LoadsTheNetworkLayer())
_tracebacks.install()


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wsguide' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    if module in (".net", ".serving"):
        from .teach import reruns  # a re-run notebook cell stops the server it started before

        reruns.install()
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

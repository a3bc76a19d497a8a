"""Mirror of ``from js import …`` on Python Workers: the runtime's JavaScript globals.

Each name is a JavaScript class or object seen through the Pyodide boundary
(:mod:`wsguide.ffi`): construct a class with ``.new(...)`` —
``WebSocketPair.new()``, ``Response.new(None, status=101, webSocket=client)``,
``WebSocketRequestResponsePair.new("ping", "pong")`` — calling it without
``.new`` raises ``JsException`` as on Workers. Change ``from wsguide.js import …``
to ``from js import …`` when you deploy.
"""

from __future__ import annotations

from .core.console import console as _console
from .core.jsapi import ObjectConstructor
from .core.pair import WebSocketPair as _WebSocketPair
from .core.pair import WebSocketRequestResponsePair as _WebSocketRequestResponsePair
from .core.websocket import WebSocket as _WebSocket
from .ffi.bridge import JsProxy
from .http import Headers as _Headers
from .http import Request as _Request
from .http import Response as _Response

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

WebSocketPair = JsProxy(_WebSocketPair)
WebSocket = JsProxy(_WebSocket)
WebSocketRequestResponsePair = JsProxy(_WebSocketRequestResponsePair)
Response = JsProxy(_Response)
Request = JsProxy(_Request)
Headers = JsProxy(_Headers)
Object = JsProxy(ObjectConstructor)
console = JsProxy(_console)

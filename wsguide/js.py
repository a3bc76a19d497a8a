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
from .core.jsapi import JsonObject, ObjectConstructor
from .core.pair import WebSocketPair as _WebSocketPair
from .core.pair import WebSocketRequestResponsePair as _WebSocketRequestResponsePair
from .core.websocket import WebSocket as _WebSocket
from .ffi.bridge import js2py
from .http import Headers as _Headers
from .http import Request as _Request
from .http import Response as _Response

__all__ = [
    "Headers",
    "JSON",
    "Object",
    "Request",
    "Response",
    "WebSocket",
    "WebSocketPair",
    "WebSocketRequestResponsePair",
    "console",
]

WebSocketPair = js2py(_WebSocketPair)
WebSocket = js2py(_WebSocket)
WebSocketRequestResponsePair = js2py(_WebSocketRequestResponsePair)
Response = js2py(_Response)
Request = js2py(_Request)
Headers = js2py(_Headers)
Object = js2py(ObjectConstructor)
JSON = js2py(JsonObject)
console = js2py(_console)

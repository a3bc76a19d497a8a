"""JavaScript errors seen from Python: pyodide.ffi.JsException, never a Python TypeError."""

from __future__ import annotations

from ._registry import scenario
from .classes import get_root, probe
from .listeners import UNCAUGHT_RULE

JS_ERROR_RULE = "a JavaScript error reaches Python as pyodide.ffi.JsException (.name, .message), not TypeError"

DESCRIBE = '''
def describe(exc):
    kind = type(exc)
    return [
        f"type: {kind.__module__}.{kind.__qualname__}",
        "mro: " + ", ".join(c.__name__ for c in kind.__mro__),
        f"str: {exc}",
        f"name: {getattr(exc, 'name', '<none>')!r}",
        f"message: {getattr(exc, 'message', '<none>')!r}",
        f"isinstance TypeError: {isinstance(exc, TypeError)}",
    ]
'''

scenario(
    "send_after_close_except_type_error",
    rule=JS_ERROR_RULE,
    shows="failure",
    worker=probe(
        "from workers import Response, WorkerEntrypoint\nfrom js import WebSocketPair\n" + DESCRIBE,
        """
client, server = WebSocketPair.new().object_values()
server.accept()
server.close(1000, "bye")
try:
    try:
        server.send("too late")
        lines.append("send() returned")
    except TypeError as exc:
        lines.append("caught by except TypeError")
        lines.extend(describe(exc))
except Exception as exc:
    lines.append("not caught by except TypeError; caught by except Exception")
    lines.extend(describe(exc))
""",
    ),
)(get_root)

scenario(
    "send_after_close_except_js_exception",
    rule=JS_ERROR_RULE,
    shows="success",
    worker=probe(
        "from workers import Response, WorkerEntrypoint\nfrom js import WebSocketPair\nfrom pyodide.ffi import JsException",
        """
client, server = WebSocketPair.new().object_values()
server.accept()
server.close(1000, "bye")
try:
    server.send("too late")
    lines.append("send() returned")
except JsException as exc:
    lines.append(f"caught by except JsException: name={exc.name!r} message={exc.message!r}")
    lines.append(f"exc.name == 'TypeError': {exc.name == 'TypeError'}")
""",
    ),
)(get_root)

CLOSE_RULE = "close(code, reason) checks its arguments in JavaScript: a bad code or a long reason is a JsException (a DOMException)"

scenario(
    "close_invalid_code_and_reason",
    rule=CLOSE_RULE,
    shows="failure",
    worker=probe(
        "from workers import Response, WorkerEntrypoint\nfrom js import WebSocketPair\n" + DESCRIBE,
        """
for code, reason in [(999, "x"), (1005, ""), (1000, "r" * 124), (1000, "é" * 62), (5000, "")]:
    client, server = WebSocketPair.new().object_values()
    server.accept()
    lines.append(f"--- close({code}, a reason of {len(reason)} characters, {len(reason.encode())} bytes)")
    try:
        server.close(code, reason)
        lines.append("accepted")
    except Exception as exc:
        lines.extend(describe(exc))
""",
    ),
)(get_root)


@scenario(
    "close_valid_code_and_reason",
    rule=CLOSE_RULE,
    shows="success",
    worker='''
from workers import Response, WorkerEntrypoint
from js import WebSocketPair
from pyodide.ffi import create_proxy


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_message(event):
            server.close(4000, "r" * 123)

        server.addEventListener("message", create_proxy(on_message))
        return Response(None, status=101, web_socket=client)
''',
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("close please")
    await ws.end()


@scenario(
    "fetch_raises",
    rule=UNCAUGHT_RULE,
    shows="failure",
    worker='''
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        raise RuntimeError("fetch failed on purpose")
''',
)
async def _(t):
    await t.fetch("/")


FETCH_RULE = "fetch() returns a workers.Response (or a js.Response); returning anything else fails in the runtime"


@scenario(
    "fetch_returns_response",
    rule=FETCH_RULE,
    shows="success",
    worker='''
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("hello from Python")
''',
)
async def _(t):
    await t.fetch("/")


@scenario(
    "fetch_returns_none",
    rule=FETCH_RULE,
    shows="failure",
    worker='''
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return None
''',
)
async def _(t):
    await t.fetch("/")


@scenario(
    "fetch_returns_string",
    rule=FETCH_RULE,
    shows="failure",
    worker='''
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return "hello"
''',
)
async def _(t):
    await t.fetch("/")

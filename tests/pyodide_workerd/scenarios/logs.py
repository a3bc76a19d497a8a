"""What a Worker prints: print() and console.log/warn/error, in fetch and in listeners."""

from __future__ import annotations

from ._registry import scenario

LOG_RULE = (
    "print() goes to the log like console.log (stderr like console.error); console.* format their "
    "arguments the JavaScript way: None is undefined, a Python dict or list prints as a PyProxy"
)


@scenario(
    "print_and_console",
    rule=LOG_RULE,
    shows="success",
    worker='''
import sys

from workers import Response, WorkerEntrypoint
from js import WebSocketPair, console
from pyodide.ffi import create_proxy


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.headers.get("Upgrade") != "websocket":
            print("print:", "text", 42, None, {"a": 1}, [1, 2])
            print("to stderr", file=sys.stderr)
            console.log("console.log:", "text", 42, True, str({"a": 1}))
            console.warn("console.warn:", "careful")
            console.error("console.error:", "bad")
            console.info("console.info:", "fyi")
            return Response("logged")
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_message(event):
            print("listener print:", event.data)
            console.log("listener console.log:", event.data)
            server.send("logged:" + event.data)

        server.addEventListener("message", create_proxy(on_message))
        return Response(None, status=101, web_socket=client)
''',
)
async def _(t):
    await t.fetch("/")
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.recv()
    await ws.close(1000, "done")


@scenario(
    "console_log_python_objects",
    rule=LOG_RULE,
    shows="failure",
    worker='''
from workers import Response, WorkerEntrypoint
from js import console


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        console.log("None:", None)
        console.log("a dict:", {"a": 1})
        console.log("a list:", [1, 2])
        console.log("bytes:", b"hi")
        return Response("logged")
''',
)
async def _(t):
    await t.fetch("/")

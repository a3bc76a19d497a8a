"""Python callables given to JavaScript: addEventListener, removeEventListener, onmessage."""

from __future__ import annotations

from ._registry import scenario

BORROWED = (
    "a plain Python callable passed as an argument to a JS method (addEventListener) is a borrowed proxy, "
    "destroyed when that call returns; create_proxy(fn) keeps it; a callable assigned to a JS property "
    "(ws.onmessage = fn) is kept"
)

# An echo Worker whose listener is handed over in one of several ways (the {listener} slot).
ECHO = '''
from workers import Response, WorkerEntrypoint
from js import WebSocketPair
from pyodide.ffi import create_once_callable, create_proxy


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_message(event):
            server.send("echo:" + event.data)

        {listener}
        return Response(None, status=101, web_socket=client)
'''


@scenario(
    "listener_plain_function",
    rule=BORROWED,
    shows="failure",
    worker=ECHO.format(listener='server.addEventListener("message", on_message)'),
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.end()


@scenario(
    "listener_lambda",
    rule=BORROWED,
    shows="failure",
    worker=ECHO.format(listener='server.addEventListener("message", lambda event: server.send("echo:" + event.data))'),
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.end()


@scenario(
    "listener_create_proxy",
    rule=BORROWED,
    shows="success",
    worker=ECHO.format(listener='server.addEventListener("message", create_proxy(on_message))'),
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.recv()
    await ws.send("world")
    await ws.recv()
    await ws.close(1000, "done")


ONCE_RULE = "create_once_callable(fn) runs once, then is destroyed: right for an event that happens once"


@scenario(
    "listener_create_once_callable",
    rule=ONCE_RULE,
    shows="failure",
    worker=ECHO.format(listener='server.addEventListener("message", create_once_callable(on_message))'),
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("first")
    await ws.recv()
    await ws.send("second")
    await ws.end()


@scenario(
    "close_listener_create_once_callable",
    rule=ONCE_RULE,
    shows="success",
    worker='''
from workers import Response, WorkerEntrypoint
from js import WebSocketPair
from pyodide.ffi import create_once_callable


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_close(event):
            print("closed once:", event.code, event.reason)
            server.close(event.code, "bye")

        server.addEventListener("close", create_once_callable(on_close))
        return Response(None, status=101, web_socket=client)
''',
)
async def _(t):
    ws = await t.websocket("/")
    await ws.close(4001, "leaving")
    await t.wait_log("closed once:")


DESTROY_RULE = "a create_proxy listener lives until .destroy(): remove it before destroying it"

DESTROY = '''
from workers import Response, WorkerEntrypoint
from js import WebSocketPair
from pyodide.ffi import create_proxy


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_message(event):
            server.send("echo:" + event.data)
            if event.data == "stop":
                listener.destroy()

        listener = create_proxy(on_message)
        server.addEventListener("message", listener)
        return Response(None, status=101, web_socket=client)
'''


@scenario(
    "listener_proxy_destroyed",
    rule=DESTROY_RULE,
    shows="failure",
    worker=DESTROY,
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("one")
    await ws.recv()
    await ws.send("stop")
    await ws.recv()
    await ws.send("after")
    await ws.end()


# Two listeners, A then B; A answers "stop" by removing itself in one of several ways.
REMOVE = '''
from workers import Response, WorkerEntrypoint
from js import WebSocketPair
from pyodide.ffi import create_proxy


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_a(event):
            server.send("A:" + event.data)
            if event.data == "stop":
                {remove}

        def on_b(event):
            server.send("B:" + event.data)

        listener_a = create_proxy(on_a)
        server.addEventListener("message", listener_a)
        server.addEventListener("message", create_proxy(on_b))
        return Response(None, status=101, web_socket=client)
'''

REMOVE_RULE = "removeEventListener removes a listener only when given the same proxy object that was added"


async def _stop_then_after(t):
    ws = await t.websocket("/")
    await ws.send("stop")
    await ws.recv()  # A:stop
    await ws.recv()  # B:stop
    await ws.send("after")
    await ws.recv()  # A:after if A is still there, else B:after
    await ws.close(1000, "done")


scenario(
    "remove_listener_same_proxy",
    rule=REMOVE_RULE,
    shows="success",
    worker=REMOVE.format(remove='server.removeEventListener("message", listener_a)'),
)(_stop_then_after)

scenario(
    "remove_listener_new_proxy",
    rule=REMOVE_RULE,
    shows="failure",
    worker=REMOVE.format(remove='server.removeEventListener("message", create_proxy(on_a))'),
)(_stop_then_after)

scenario(
    "remove_listener_then_destroy",
    rule=DESTROY_RULE,
    shows="success",
    worker=REMOVE.format(remove='server.removeEventListener("message", listener_a)\n                listener_a.destroy()'),
)(_stop_then_after)

scenario(
    "remove_listener_plain_function",
    rule=REMOVE_RULE,
    shows="failure",
    worker=REMOVE.format(remove='server.removeEventListener("message", on_a)'),
)(_stop_then_after)


@scenario(
    "onmessage_plain_function",
    rule=BORROWED,
    shows="success",
    worker=ECHO.format(listener="server.onmessage = on_message"),
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.recv()
    await ws.close(1000, "done")


@scenario(
    "onmessage_create_proxy",
    rule=BORROWED,
    shows="success",
    worker=ECHO.format(listener="server.onmessage = create_proxy(on_message)"),
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.recv()
    await ws.close(1000, "done")


UNCAUGHT_RULE = (
    "an exception escaping a handler (fetch, a listener, a hibernation hook) is an uncaught error, logged "
    "with its Python traceback (a listener's also drops the connection); catch it inside to keep going"
)


@scenario(
    "listener_raises",
    rule=UNCAUGHT_RULE,
    shows="failure",
    worker='''
from workers import Response, WorkerEntrypoint
from js import WebSocketPair
from pyodide.ffi import create_proxy


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_message(event):
            if event.data == "boom":
                raise ValueError("boom from a listener")
            server.send("echo:" + event.data)

        server.addEventListener("message", create_proxy(on_message))
        return Response(None, status=101, web_socket=client)
''',
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.recv()
    await ws.send("boom")
    await ws.end()


@scenario(
    "listener_catches_its_errors",
    rule=UNCAUGHT_RULE,
    shows="success",
    worker='''
from workers import Response, WorkerEntrypoint
from js import WebSocketPair, console
from pyodide.ffi import create_proxy


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_message(event):
            try:
                if event.data == "boom":
                    raise ValueError("boom from a listener")
                server.send("echo:" + event.data)
            except ValueError as exc:
                console.error("listener failed:", str(exc))
                server.send("sorry: " + str(exc))

        server.addEventListener("message", create_proxy(on_message))
        return Response(None, status=101, web_socket=client)
''',
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("boom")
    await ws.recv()
    await ws.send("hello")
    await ws.recv()
    await ws.close(1000, "done")


ASYNC_RULE = (
    "a listener should return nothing: an async def listener runs, but workerd warns that the value it "
    "returns (a Promise) is ignored; a plain listener can start the coroutine with asyncio.ensure_future"
)


@scenario(
    "listener_async_function",
    rule=ASYNC_RULE,
    shows="failure",
    worker='''
import asyncio

from workers import Response, WorkerEntrypoint
from js import WebSocketPair
from pyodide.ffi import create_proxy


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()

        async def on_message(event):
            server.send("before await:" + event.data)
            await asyncio.sleep(0)
            server.send("after await:" + event.data)

        server.addEventListener("message", create_proxy(on_message))
        return Response(None, status=101, web_socket=client)
''',
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.recv()
    await ws.recv()
    await ws.close(1000, "done")


@scenario(
    "listener_starts_a_task",
    rule=ASYNC_RULE,
    shows="success",
    worker='''
import asyncio

from workers import Response, WorkerEntrypoint
from js import WebSocketPair
from pyodide.ffi import create_proxy


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()

        async def answer(data):
            server.send("before await:" + data)
            await asyncio.sleep(0)
            server.send("after await:" + data)

        def on_message(event):
            asyncio.ensure_future(answer(event.data))

        server.addEventListener("message", create_proxy(on_message))
        return Response(None, status=101, web_socket=client)
''',
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.recv()
    await ws.recv()
    await ws.close(1000, "done")


CLOSE_EVENT_RULE = "a close listener is borrowed like any other: create_proxy it; its CloseEvent carries Python int/str/bool"


@scenario(
    "close_listener_plain_function",
    rule=CLOSE_EVENT_RULE,
    shows="failure",
    worker='''
from workers import Response, WorkerEntrypoint
from js import WebSocketPair


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_close(event):
            print("close listener ran:", event.code)

        server.addEventListener("close", on_close)
        return Response(None, status=101, web_socket=client)
''',
)
async def _(t):
    ws = await t.websocket("/")
    await ws.close(4001, "going away")
    await t.wait_log("borrowed proxy")


@scenario(
    "close_listener_event",
    rule=CLOSE_EVENT_RULE,
    shows="success",
    worker='''
from workers import Response, WorkerEntrypoint
from js import WebSocketPair, console
from pyodide.ffi import create_proxy


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_close(event):
            console.log("close:", event.code, event.reason, event.wasClean)
            print("close types:", type(event.code).__name__, type(event.reason).__name__, type(event.wasClean).__name__)

        server.addEventListener("close", create_proxy(on_close))
        return Response(None, status=101, web_socket=client)
''',
)
async def _(t):
    ws = await t.websocket("/")
    await ws.close(4001, "going away")
    await t.wait_log("close types:")

"""Small Workers used by the loopback tests, each written as a learner writes a Python Worker.

They use the Python Workers dialect: the imports below become ``from workers import …``,
``from js import …`` and ``from pyodide.ffi import …`` on Workers, and nothing else changes
(``WebSocketPair.new()``, listeners wrapped in ``create_proxy``, ``urlparse(request.url)``).

One exception, ``Streamer``: it returns a streamed body (an async generator), which is the
raw runtime model's way to stream (``wsguide.http.Response``); a Python Worker would stream a
``js.ReadableStream``, which wsguide does not model. The test it serves is about the HTTP
front's chunked encoding, not about the boundary, so it is served with ``pyodide=False``.

Some Workers keep their sockets in class attributes (``Recording.sockets``) so that a test can
act on them from outside, as the rest of the world would. A real Worker keeps sockets only where
the runtime gives them back (deviations row 18): this is test plumbing, not a pattern to copy.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlparse

from wsguide.ffi import create_proxy
from wsguide.js import WebSocketPair, console
from wsguide.workers import Response, WorkerEntrypoint

from .helpers import TIMEOUT, RawResponse


class Echo(WorkerEntrypoint):
    """The guide's echo Worker (examples/echo.py: binary echoed as binary)."""

    async def fetch(self, request):
        if request.headers.get("Upgrade") != "websocket":
            return Response("Expected Upgrade: websocket", status=426)
        client, server = WebSocketPair.new().object_values()
        server.accept()
        server.binaryType = "arraybuffer"

        def on_message(event):
            server.send(event.data)

        server.addEventListener("message", create_proxy(on_message))
        return Response(None, status=101, web_socket=client)


class Recording(WorkerEntrypoint):
    """Accepts sockets and records every server-side event in `seen` (a class attribute).

    Each entry is ``(type, data, code, reason, wasClean, message, readyState)``, read from the
    event as a Python Worker reads it (a missing property is ``None``).
    """

    seen: list[Any] = []
    sockets: list[Any] = []
    changed: asyncio.Event | None = None
    allow_half_open: bool | None = None
    protocol: str | None = None
    extensions: str | None = None

    async def fetch(self, request):
        cls = type(self)
        client, server = WebSocketPair.new().object_values()
        if cls.allow_half_open is None:
            server.accept()
        else:
            server.accept(allowHalfOpen=cls.allow_half_open)

        def record(event):
            cls.seen.append((event.type, getattr(event, "data", None), getattr(event, "code", None),
                             getattr(event, "reason", None), getattr(event, "wasClean", None),
                             getattr(event, "message", None), server.readyState))
            cls.changed.set()

        listener = create_proxy(record)
        for t in ("message", "close", "error"):
            server.addEventListener(t, listener)
        cls.sockets.append(server)
        cls.changed.set()
        headers = {}
        if cls.protocol is not None:
            headers["Sec-WebSocket-Protocol"] = cls.protocol
        if cls.extensions is not None:
            headers["Sec-WebSocket-Extensions"] = cls.extensions
        return Response(None, status=101, web_socket=client, headers=headers)

    @classmethod
    def reset(cls) -> None:
        cls.seen = []
        cls.sockets = []
        cls.changed = asyncio.Event()
        cls.allow_half_open = None
        cls.protocol = None
        cls.extensions = None

    @classmethod
    async def wait(cls, predicate, what: str):
        """Wait until ``predicate(seen)`` holds; fail clearly after TIMEOUT."""
        try:
            async with asyncio.timeout(TIMEOUT):
                while not predicate(cls.seen):
                    cls.changed.clear()
                    await cls.changed.wait()
        except TimeoutError:
            raise AssertionError(f"the Worker never saw {what}; it saw {cls.seen}") from None
        return cls.seen

    @classmethod
    async def socket(cls, index: int = 0):
        """The server end of the ``index``-th accepted connection, once the Worker has it."""
        try:
            async with asyncio.timeout(TIMEOUT):
                while len(cls.sockets) <= index:
                    cls.changed.clear()
                    await cls.changed.wait()
        except TimeoutError:
            raise AssertionError(f"the Worker never got socket #{index}; it has {len(cls.sockets)}") from None
        return cls.sockets[index]


class Pages(WorkerEntrypoint):
    """Plain HTTP: text, HTML, JSON, and routes that go wrong."""

    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/html":
            return Response("<h1>hi</h1>", headers={"Content-Type": "text/html; charset=utf-8"})
        if path == "/json":
            return Response.json({"ok": True, "n": 1})
        if path == "/boom":
            raise ValueError("the learner's bug")
        if path == "/not-a-response":
            return "oops"
        if path == "/log":
            console.log("hello from the Worker")
            return Response("logged")
        if path == "/socket-without-upgrade":
            client, server = WebSocketPair.new().object_values()
            return Response(None, status=101, web_socket=client)
        if path == "/teapot":
            return Response("no", status=418, headers={"X-Reason": "teapot"})
        return Response(f"{request.method.value} {path}")


class Raising(WorkerEntrypoint):
    """A socket whose message listener raises on "boom"."""

    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_message(event):
            if event.data == "boom":
                raise RuntimeError("listener bug")
            server.send("ok:" + event.data)

        server.addEventListener("message", create_proxy(on_message))
        return Response(None, status=101, web_socket=client)


class Mirror(WorkerEntrypoint):
    """Answers with what it received: method, path, body and a few headers (JSON)."""

    async def fetch(self, request):
        body = await request.text()
        return Response.json({
            "method": request.method.value,
            "path": urlparse(request.url).path,
            "body": body,
            "host": request.headers.get("Host"),
            "content_type": request.headers.get("Content-Type"),
        })


class Slow(WorkerEntrypoint):
    """A fetch that waits until the test says so (`Slow.release`), then answers "done"."""

    started: asyncio.Event | None = None
    release: asyncio.Event | None = None

    @classmethod
    def reset(cls) -> None:
        cls.started = asyncio.Event()
        cls.release = asyncio.Event()

    async def fetch(self, request):
        cls = type(self)
        cls.started.set()
        await cls.release.wait()
        return Response("done")


class Streamer(WorkerEntrypoint):
    """A streamed body: three chunks from an async generator, sent chunked.

    Serve it with ``pyodide=False`` (see the module's docstring): ``RawResponse`` is the
    runtime's JavaScript Response class held directly, ``Response(body, init)``.
    """

    async def fetch(self, request):
        async def chunks():
            for part in ("one,", "two,", "three"):
                yield part.encode()

        return RawResponse(chunks(), {"headers": {"Content-Type": "text/plain"}})

"""Small Workers used by the loopback tests, each written as a learner would."""

from __future__ import annotations

import asyncio
from typing import Any

from wsguide import Response, WebSocketPair, WorkerEntrypoint, console


class Echo(WorkerEntrypoint):
    """The guide's echo Worker (binary echoed as bytes)."""

    async def fetch(self, request):
        if request.headers.get("Upgrade") != "websocket":
            return Response("Expected Upgrade: websocket", status=426)
        client, server = WebSocketPair()
        server.accept()
        server.binaryType = "arraybuffer"
        server.addEventListener("message", lambda event: server.send(event.data))
        return Response(None, status=101, web_socket=client)


class Recording(WorkerEntrypoint):
    """Accepts sockets and records every server-side event in `seen` (a class attribute)."""

    seen: list[Any] = []
    sockets: list[Any] = []
    changed: asyncio.Event | None = None
    allow_half_open: bool | None = None
    protocol: str | None = None
    extensions: str | None = None

    async def fetch(self, request):
        cls = type(self)
        client, server = WebSocketPair()
        if cls.allow_half_open is None:
            server.accept()
        else:
            server.accept(allowHalfOpen=cls.allow_half_open)

        def record(event):
            cls.seen.append((event.type, getattr(event, "data", None), getattr(event, "code", None),
                             getattr(event, "reason", None), getattr(event, "wasClean", None),
                             getattr(event, "message", None), server.readyState))
            if cls.changed is not None:
                cls.changed.set()

        for t in ("message", "close", "error"):
            server.addEventListener(t, record)
        cls.sockets.append(server)
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
    async def wait(cls, predicate, what: str, timeout: float = 5.0):
        try:
            async with asyncio.timeout(timeout):
                while not predicate(cls.seen):
                    cls.changed.clear()
                    await cls.changed.wait()
        except TimeoutError:
            raise AssertionError(f"the Worker never saw {what}; it saw {cls.seen}") from None
        return cls.seen


class Pages(WorkerEntrypoint):
    """Plain HTTP: text, HTML, JSON, and a route that raises."""

    async def fetch(self, request):
        path = request.path
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
            client, server = WebSocketPair()
            return Response(None, status=101, web_socket=client)
        if path == "/teapot":
            return Response("no", status=418, headers={"X-Reason": "teapot"})
        return Response(f"{request.method.value} {path}")


class Raising(WorkerEntrypoint):
    """A socket whose message listener raises on "boom"."""

    async def fetch(self, request):
        client, server = WebSocketPair()
        server.accept()

        def on_message(event):
            if event.data == "boom":
                raise RuntimeError("listener bug")
            server.send("ok:" + event.data)

        server.addEventListener("message", on_message)
        return Response(None, status=101, web_socket=client)


class Mirror(WorkerEntrypoint):
    """Answers with what it received: method, path, body and a few headers (JSON)."""

    async def fetch(self, request):
        body = await request.text()
        return Response.json({
            "method": request.method.value,
            "path": request.path,
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
    """A streamed body: three chunks from an async generator (wsguide: sent chunked)."""

    async def fetch(self, request):
        async def chunks():
            for part in ("one,", "two,", "three"):
                yield part.encode()

        return Response(chunks(), headers={"Content-Type": "text/plain"})

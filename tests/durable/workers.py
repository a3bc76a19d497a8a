"""Workers and Durable Objects used by the loopback tests, written as Python Workers.

Only the imports change on Cloudflare (``wsguide.workers`` → ``workers``, ``wsguide.js`` →
``js``, ``wsguide.ffi`` → ``pyodide.ffi``). The class attributes ``events`` and ``changed``
are test plumbing: the tests read what the hooks saw there.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlparse

from wsguide.ffi import create_proxy, to_js
from wsguide.js import Object, WebSocketPair, WebSocketRequestResponsePair
from wsguide.workers import DurableObject, Response, WorkerEntrypoint


class HibRoom(DurableObject):
    """A room on the Hibernation API that records what its hooks saw."""

    events: list = []
    changed: asyncio.Event | None = None

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.memory = "fresh"
        ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair.new("ping", "pong"))

    @classmethod
    def note(cls, *event):
        cls.events.append(event)
        if cls.changed is not None:
            cls.changed.set()

    async def fetch(self, request):
        if request.headers.get("Upgrade") != "websocket":
            return Response(f"room {self.ctx.id.name}: {len(self.ctx.getWebSockets())} sockets")
        if urlparse(request.url).path.endswith("/explode"):
            raise RuntimeError("the room exploded")
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server, to_js(["member"]))
        joined = len(self.ctx.getWebSockets())
        server.serializeAttachment(to_js({"joined": joined}, dict_converter=Object.fromEntries))
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        if message == "memory":
            ws.send(self.memory)
            self.memory = "changed"
        elif message == "attachment":
            ws.send(json.dumps(ws.deserializeAttachment().to_py()))
        else:
            for peer in self.ctx.getWebSockets():
                peer.send(message)

    async def webSocketClose(self, ws, code, reason, wasClean):
        HibRoom.note("close", code, reason, wasClean, ws in self.ctx.getWebSockets())
        ws.close(code if code not in (1005, 1006) else 1000, "bye")


class ClassicRoom(DurableObject):
    """A room of sockets accepted with accept(): listeners on each, kept in a list."""

    emptied: asyncio.Event | None = None

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.sessions = []

    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()
        self.sessions.append(server)

        def on_message(event):
            for ws in self.sessions:
                ws.send(event.data)

        def on_close(event):
            # == compares the JavaScript sockets (a proxy is not the same object twice: `is` fails).
            self.sessions = [ws for ws in self.sessions if ws != server]
            if not self.sessions and ClassicRoom.emptied is not None:
                ClassicRoom.emptied.set()

        server.addEventListener("message", create_proxy(on_message))
        server.addEventListener("close", create_proxy(on_close))
        return Response(None, status=101, web_socket=client)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        ns = self.env.CLASSIC if path.startswith("/classic/") else self.env.ROOMS
        name = path.split("/")[2] if path.count("/") >= 2 else "main"
        return await ns.getByName(name).fetch(request)


DURABLE_OBJECTS = {"ROOMS": HibRoom, "CLASSIC": ClassicRoom}

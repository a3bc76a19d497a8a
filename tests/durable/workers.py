"""Workers and Durable Objects used by the loopback tests."""

from __future__ import annotations

import asyncio
import json

from wsguide import DurableObject, Response, WebSocketPair, WebSocketRequestResponsePair, WorkerEntrypoint


class HibRoom(DurableObject):
    """A room on the Hibernation API that records what its hooks saw."""

    events: list = []
    changed: asyncio.Event | None = None

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.memory = "fresh"
        ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair("ping", "pong"))

    @classmethod
    def note(cls, *event):
        cls.events.append(event)
        if cls.changed is not None:
            cls.changed.set()

    async def fetch(self, request):
        if request.headers.get("Upgrade") != "websocket":
            return Response(f"room {self.ctx.id.name}: {len(self.ctx.getWebSockets())} sockets")
        if request.url.endswith("/explode"):
            raise RuntimeError("the room exploded")
        client, server = WebSocketPair()
        self.ctx.acceptWebSocket(server, ["member"])
        server.serializeAttachment({"joined": len(self.ctx.getWebSockets())})
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        if message == "memory":
            ws.send(self.memory)
            self.memory = "changed"
        elif message == "attachment":
            ws.send(json.dumps(ws.deserializeAttachment()))
        else:
            for peer in self.ctx.getWebSockets():
                peer.send(message)

    async def webSocketClose(self, ws, code, reason, wasClean):
        HibRoom.note("close", code, reason, wasClean, ws in self.ctx.getWebSockets())
        ws.close(code if code not in (1005, 1006) else 1000, "bye")


class ClassicRoom(DurableObject):
    emptied: asyncio.Event | None = None

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.sessions: dict[int, object] = {}

    async def fetch(self, request):
        client, server = WebSocketPair()
        server.accept()
        key = id(server)
        self.sessions[key] = server

        def on_message(event):
            for ws in list(self.sessions.values()):
                ws.send(event.data)

        server.addEventListener("message", on_message)
        def on_close(event):
            self.sessions.pop(key, None)
            if not self.sessions and ClassicRoom.emptied is not None:
                ClassicRoom.emptied.set()

        server.addEventListener("close", on_close)
        return Response(None, status=101, web_socket=client)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.path
        ns = self.env.CLASSIC if path.startswith("/classic/") else self.env.ROOMS
        name = path.split("/")[2] if path.count("/") >= 2 else "main"
        return await ns.getByName(name).fetch(request)


DURABLE_OBJECTS = {"ROOMS": HibRoom, "CLASSIC": ClassicRoom}

"""A chat room on a Durable Object, with the WebSocket Hibernation API.

Run it like `wrangler dev`, then open the printed URL in two browser tabs:

    python -m wsguide dev examples/chat/worker.py

Routes
  /                                  the chat page (plain HTML/JS shipped in wsguide/static/chat.html)
  /api/room/<name>/websocket         a WebSocket to the ChatRoom Durable Object called <name>
  /room/<name>                       benchmark switch: raw broadcast (BenchRoom), no notices, no history
  /echo                              the guide's echo Worker, for the echo benchmarks

The chat protocol (JSON text messages):
  client → {"name": "Ada"}           join (must come first)
  client → {"text": "hello"}         say something
  client → "ping"                    keep-alive; answered "pong" by the runtime without waking the room
  room   → {"type": "welcome", "name", "members": [...], "history": [{"name", "text", "ts"}, ...]}
  room   → {"type": "message", "name", "text", "ts"}   (to everyone, the sender included)
  room   → {"type": "join" | "leave", "name"}
  room   → {"type": "error", "error": "..."}

On Python Workers, change the imports to `from workers import …` and
`from js import WebSocketPair, WebSocketRequestResponsePair`, bind the classes in
wrangler.jsonc (durable_objects + a new_sqlite_classes migration), and serve the
page as a static asset.
"""

from __future__ import annotations

import json
import re
import time
from importlib import resources
from urllib.parse import unquote, urlsplit

from wsguide.js import WebSocketPair, WebSocketRequestResponsePair
from wsguide.workers import DurableObject, Response, WorkerEntrypoint

MAX_NAME = 32  # characters
MAX_TEXT = 500  # characters
HISTORY = 50  # messages a newcomer receives
KEEP = 200  # messages kept in storage per room
RATE_BURST = 5  # messages a connection may send at once…
RATE_PER_SECOND = 1.0  # …then this many per second
ROOM_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")


def chat_page() -> str:
    return resources.files("wsguide").joinpath("static/chat.html").read_text(encoding="utf-8")


def wants_websocket(request) -> bool:
    # HTTP tokens are case-insensitive: some clients send "Upgrade: WebSocket".
    return (request.headers.get("Upgrade") or "").lower() == "websocket"


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlsplit(request.url).path
        if path in ("/", "/index.html"):
            return Response(chat_page(), headers={"Content-Type": "text/html; charset=utf-8"})
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[:2] == ["api", "room"] and parts[3] == "websocket":
            name = unquote(parts[2])
            if not ROOM_NAME.fullmatch(name):
                return Response("Room names are 1-32 letters, digits, '-' or '_'.", status=400)
            if not wants_websocket(request):
                return Response("Expected Upgrade: websocket", status=426)
            return await self.env.ROOMS.getByName(name).fetch(request)
        if len(parts) == 2 and parts[0] == "room":
            if not wants_websocket(request):
                return Response("Expected Upgrade: websocket", status=426)
            return await self.env.BENCH.getByName(path).fetch(request)
        if path == "/echo":
            if not wants_websocket(request):
                return Response("Expected Upgrade: websocket", status=426)
            client, server = WebSocketPair.new().object_values()
            server.accept()
            server.binaryType = "arraybuffer"
            server.addEventListener("message", lambda event: server.send(event.data))
            return Response(None, status=101, web_socket=client)
        return Response("Not found", status=404)


class ChatRoom(DurableObject):
    """One room. Everything it must remember lives in storage or in socket attachments,
    because the instance may hibernate (and be rebuilt) between any two messages."""

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair("ping", "pong"))
        ctx.storage.sql.exec(
            "CREATE TABLE IF NOT EXISTS messages ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, text TEXT NOT NULL,"
            " ts INTEGER NOT NULL)"
        )

    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        server.serializeAttachment({"name": None, "tokens": RATE_BURST, "at": time.time()})
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        if not isinstance(message, str):
            return self.refuse(ws, "Send JSON text, not binary data.")
        try:
            data = json.loads(message)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return self.refuse(ws, 'Messages are JSON objects: {"name": …} to join, then {"text": …}.')
        session = ws.deserializeAttachment() or {}
        if session.get("name") is None:
            return self.join(ws, session, data.get("name"))
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            return self.refuse(ws, 'Send {"text": "…"} with some text.')
        if len(text) > MAX_TEXT:
            return self.refuse(ws, f"Messages are at most {MAX_TEXT} characters.")
        now = time.time()
        tokens = min(RATE_BURST, session["tokens"] + (now - session["at"]) * RATE_PER_SECOND)
        if tokens < 1:
            session.update(tokens=tokens, at=now)
            ws.serializeAttachment(session)
            return self.refuse(ws, "You are sending too fast; wait a moment.")
        session.update(tokens=tokens - 1, at=now)
        ws.serializeAttachment(session)
        ts = int(now * 1000)
        sql = self.ctx.storage.sql
        sql.exec("INSERT INTO messages (name, text, ts) VALUES (?, ?, ?)", session["name"], text, ts)
        sql.exec("DELETE FROM messages WHERE id <= (SELECT max(id) FROM messages) - ?", KEEP)
        self.broadcast({"type": "message", "name": session["name"], "text": text, "ts": ts})

    def join(self, ws, session, name):
        if not isinstance(name, str) or not name.strip():
            return self.refuse(ws, 'Join first: send {"name": "your name"}.')
        name = " ".join(name.split())
        if len(name) > MAX_NAME:
            return self.refuse(ws, f"Names are at most {MAX_NAME} characters.")
        session["name"] = name
        ws.serializeAttachment(session)
        history = self.ctx.storage.sql.exec(
            "SELECT name, text, ts FROM (SELECT * FROM messages ORDER BY id DESC LIMIT ?) ORDER BY id",
            HISTORY,
        ).toArray()
        ws.send(json.dumps({"type": "welcome", "name": name, "members": self.members(), "history": history}))
        self.broadcast({"type": "join", "name": name}, skip=ws)

    async def webSocketClose(self, ws, code, reason, wasClean):
        # Local workerd does not answer the Close frame for hibernatable sockets: do it here.
        ws.close(code if 1000 <= code < 5000 and code not in (1004, 1005, 1006, 1015) else 1000, "bye")
        self.leave(ws)

    async def webSocketError(self, ws, error):
        self.leave(ws)

    def leave(self, ws):
        session = ws.deserializeAttachment() or {}
        if session.get("name") is not None:
            self.broadcast({"type": "leave", "name": session["name"]}, skip=ws)

    def members(self):
        names = []
        for peer in reversed(self.ctx.getWebSockets()):  # oldest first
            name = (peer.deserializeAttachment() or {}).get("name")
            if name is not None:
                names.append(name)
        return names

    def broadcast(self, event, skip=None):
        data = json.dumps(event)
        for peer in self.ctx.getWebSockets():
            if peer is skip or (peer.deserializeAttachment() or {}).get("name") is None:
                continue
            try:
                peer.send(data)
            except TypeError:
                pass  # that socket already called close(): it is leaving

    def refuse(self, ws, why):
        ws.send(json.dumps({"type": "error", "error": why}))


class BenchRoom(DurableObject):
    """The benchmark switch: every message goes, unchanged, to every member (sender included)."""

    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        return Response(None, status=101, web_socket=client)

    def webSocketMessage(self, ws, message):
        for peer in self.ctx.getWebSockets():
            try:
                peer.send(message)
            except TypeError:
                pass

    def webSocketClose(self, ws, code, reason, wasClean):
        ws.close(1000, "bye")


# wsguide dev reads these (on Workers they live in wrangler.jsonc).
DURABLE_OBJECTS = {"ROOMS": ChatRoom, "BENCH": BenchRoom}

"""Many small Durable Objects, for the eviction test (run with `python -m wsguide dev`).

GET /box/NAME/put?v=VALUE   stores VALUE (key-value and SQL) in the object NAME; answers its id
GET /box/NAME/get           answers "<id>|<kv value>|<sql value>"
GET /box/NAME (WebSocket)   joins NAME with a hibernatable socket tagged NAME, attachment "member of NAME";
                            each message is answered with what the object sees (JSON)

Written as a Python Worker: only the imports change on Cloudflare.
"""

import json
from urllib.parse import parse_qs, urlsplit

from wsguide.ffi import to_js
from wsguide.js import WebSocketPair
from wsguide.workers import DurableObject, Response, WorkerEntrypoint


class Box(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS box (k TEXT PRIMARY KEY, v TEXT)")

    async def fetch(self, request):
        url = urlsplit(request.url)
        name = url.path.split("/")[2]
        if (request.headers.get("Upgrade") or "").lower() == "websocket":
            client, server = WebSocketPair.new().object_values()
            self.ctx.acceptWebSocket(server, to_js([name]))
            server.serializeAttachment(f"member of {name}")  # a str crosses structured clone as itself
            return Response(None, status=101, web_socket=client)
        storage = self.ctx.storage
        if url.path.endswith("/put"):
            value = parse_qs(url.query)["v"][0]
            await storage.put("v", value)
            storage.sql.exec("INSERT OR REPLACE INTO box VALUES ('v', ?)", value)
            return Response(str(self.ctx.id))
        rows = storage.sql.exec("SELECT v FROM box WHERE k = 'v'").toArray()
        return Response(f"{self.ctx.id}|{await storage.get('v')}|{rows[0]['v'] if rows else None}")

    async def webSocketMessage(self, ws, message):
        ws.send(json.dumps({
            "id": str(self.ctx.id),
            "tags": self.ctx.getTags(ws).to_py(),  # a JavaScript array: json.dumps needs a list
            "attachment": ws.deserializeAttachment(),
            "stored": await self.ctx.storage.get("v"),
            "sockets": len(self.ctx.getWebSockets()),
        }))

    async def webSocketClose(self, ws, code, reason, wasClean):
        ws.close(1000, "bye")  # hibernatable sockets: the object answers the Close frame


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        parts = urlsplit(request.url).path.split("/")
        if len(parts) >= 3 and parts[1] == "box":
            return await self.env.BOXES.getByName(parts[2]).fetch(request)
        return Response("not found", status=404)


DURABLE_OBJECTS = {"BOXES": Box}

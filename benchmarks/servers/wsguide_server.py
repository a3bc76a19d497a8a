#!/usr/bin/env python3
"""wsguide server for the load client: /echo (the guide's echo Worker) and /room/<name>.

The Worker and its room are Python Workers (the dialect of examples/echo.py and
examples/chat/worker.py: ``create_proxy``, ``WebSocketPair.new()``,
``urlparse(request.url)``). The room is a Durable Object on the Hibernation API:
every message goes to every member, sender included, with no notices. (An earlier
mode kept a room's sockets in a dict inside the Worker; sockets kept outside the
runtime do not work on Workers, deviations row 18, so it is gone.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
from urllib.parse import urlparse

from wsguide import serve
from wsguide.ffi import JsException, create_proxy
from wsguide.js import WebSocketPair
from wsguide.workers import DurableObject, Response, WorkerEntrypoint


class Bench(WorkerEntrypoint):
    async def fetch(self, request):
        if request.headers.get("Upgrade") != "websocket":
            return Response("Expected Upgrade: websocket", status=426)
        path = urlparse(request.url).path
        if path.startswith("/room/"):
            return await self.env.ROOMS.getByName(path).fetch(request)
        client, server = WebSocketPair.new().object_values()
        server.accept()
        server.binaryType = "arraybuffer"

        def on_message(event):
            server.send(event.data)

        server.addEventListener("message", create_proxy(on_message))
        return Response(None, status=101, web_socket=client)


class BenchRoom(DurableObject):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        for peer in self.ctx.getWebSockets():
            try:
                peer.send(message)
            except JsException:  # that member already called close(): it is leaving
                pass

    async def webSocketClose(self, ws, code, reason, wasClean):
        ws.close(1000, "bye")


async def main(args: argparse.Namespace) -> None:
    flags = [] if args.compression == "deflate" else ["no_web_socket_compression"]
    srv = await serve(Bench, port=args.port, compatibility_flags=flags, echo_log=False,
                      durable_objects={"ROOMS": BenchRoom}, persist=False)
    print(f"READY pid={os.getpid()} port={srv.port}", flush=True)
    await asyncio.Event().wait()  # runs until the driver kills this process


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8770)
    p.add_argument("--compression", choices=["none", "deflate"], default="none")
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    a = p.parse_args()
    try:
        asyncio.run(main(a))
    except KeyboardInterrupt:
        pass

#!/usr/bin/env python3
"""wsguide server for the load client: /echo (the guide's echo Worker) and /room/<name>.

The room is a Durable Object using the Hibernation API when wsguide.durable is
available (broadcast to every member, sender included, no notices), else an
accept()-style room kept in a dict inside the Worker.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from wsguide import Response, WebSocketPair, WorkerEntrypoint, serve

ROOMS: dict[str, set] = {}


class Bench(WorkerEntrypoint):
    async def fetch(self, request):
        if request.headers.get("Upgrade") != "websocket":
            return Response("Expected Upgrade: websocket", status=426)
        path = request.path
        if path.startswith("/room/") and getattr(self.env, "ROOMS", None) is not None:
            stub = self.env.ROOMS.getByName(path)
            return await stub.fetch(request)
        client, server = WebSocketPair()
        server.accept()
        server.binaryType = "arraybuffer"
        if path.startswith("/room/"):
            room = ROOMS.setdefault(path, set())
            room.add(server)

            def broadcast(event):
                data = event.data
                for peer in room:
                    peer.send(data)

            server.addEventListener("message", broadcast)
            server.addEventListener("close", lambda e: room.discard(server))
        else:
            server.addEventListener("message", lambda event: server.send(event.data))
        return Response(None, status=101, web_socket=client)


def durable_room():
    try:
        from wsguide import DurableObject
    except (ImportError, AttributeError):
        return None

    class BenchRoom(DurableObject):
        async def fetch(self, request):
            client, server = WebSocketPair()
            self.ctx.acceptWebSocket(server)
            return Response(None, status=101, web_socket=client)

        async def webSocketMessage(self, ws, message):
            for peer in self.ctx.getWebSockets():
                peer.send(message)

        async def webSocketClose(self, ws, code, reason, wasClean):
            ws.close(code, reason)

    return BenchRoom


async def main(args: argparse.Namespace) -> None:
    options = {}
    if args.room == "durable":
        room = durable_room()
        if room is None:
            print("wsguide.durable is not available; using the in-Worker room", file=sys.stderr)
        else:
            options = {"durable_objects": {"ROOMS": room}, "persist": False}
    flags = [] if args.compression == "deflate" else ["no_web_socket_compression"]
    srv = await serve(Bench, port=args.port, compatibility_flags=flags, echo_log=False, **options)
    print(f"READY pid={os.getpid()} port={srv.port}", flush=True)
    await asyncio.Event().wait()  # runs until the driver kills this process


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8770)
    p.add_argument("--compression", choices=["none", "deflate"], default="none")
    p.add_argument("--room", choices=["durable", "worker"], default="durable")
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    a = p.parse_args()
    try:
        asyncio.run(main(a))
    except KeyboardInterrupt:
        pass

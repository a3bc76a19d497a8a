"""A Durable Object behind a real server when the network misbehaves: no ghosts, bounded queues.

* A socket the object accepted whose 101 never reaches a client (the handshake fails after
  the object's 101, or the client leaves first) is dropped as a vanished client:
  ``webSocketClose(ws, 1006, …, False)`` runs and the socket leaves ``getWebSockets()``.
* A client that floods a slow object waits in its own socket: the object's queue holds at
  most one of its messages beyond the one being handled.
"""

from __future__ import annotations

import asyncio
import base64
import os

from wsguide import serve
from wsguide.js import WebSocketPair
from wsguide.teach.waits import Changes
from wsguide.workers import DurableObject, Response, WorkerEntrypoint

from ._helpers import within

#: The hooks and the server's log say "something changed" here; tests wait on it (no polling).
CHANGES = Changes()

GONE = (1006, "WebSocket disconnected without sending Close frame.", False)
UPGRADE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"}


class Lobby(DurableObject):
    """Accepts every socket with the Hibernation API; records its hooks; can be made slow."""

    closes: list = []
    messages: list = []
    gate: asyncio.Event | None = None  # webSocketMessage waits on it when set
    started: asyncio.Event | None = None  # set when fetch() has accepted its socket
    hold_fetch: asyncio.Event | None = None  # fetch() waits on it before returning its 101

    @classmethod
    def reset(cls) -> None:
        cls.closes, cls.messages = [], []
        cls.gate, cls.started, cls.hold_fetch = None, asyncio.Event(), None

    async def fetch(self, request):
        if request.headers.get("Upgrade") != "websocket":
            return Response(str(len(self.ctx.getWebSockets())))
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        Lobby.started.set()
        if Lobby.hold_fetch is not None:
            await Lobby.hold_fetch.wait()
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        Lobby.messages.append(message)
        CHANGES.notify()
        if Lobby.gate is not None:
            await Lobby.gate.wait()
            Lobby.gate.clear()

    async def webSocketClose(self, ws, code, reason, wasClean):
        Lobby.closes.append((code, reason, wasClean, ws in self.ctx.getWebSockets()))
        CHANGES.notify()


class Front(WorkerEntrypoint):
    async def fetch(self, request):
        return await self.env.LOBBY.getByName("lobby").fetch(request)


def lobby_host(srv):
    ns = srv.bindings["LOBBY"]
    return ns.host(ns.idFromName("lobby"))


async def until(predicate, what, timeout=3.0):
    """Wait until ``predicate()`` holds, checking it each time a hook or the log reports a change."""
    await CHANGES.until(predicate, timeout, f"timed out after {timeout} s waiting for {what}")


async def raw_upgrade(port, headers):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = ["GET /chat HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    return reader, writer


def served():
    Lobby.reset()
    srv = serve(Front, durable_objects={"LOBBY": Lobby}, persist=False, hibernate_after=False, echo_log=False)
    srv.log.watch(lambda line: CHANGES.notify())
    return srv


async def test_a_handshake_that_fails_after_the_objects_101_leaves_no_ghost():
    async with served() as srv:
        reader, writer = await raw_upgrade(srv.port, UPGRADE)  # no Sec-WebSocket-Key
        head = await within(reader.readuntil(b"\r\n\r\n"), "the answer")
        writer.close()
        await until(lambda: Lobby.closes, "webSocketClose")
        left = lobby_host(srv).socket_count()
    assert head.startswith(b"HTTP/1.1 400 Bad Request")
    assert Lobby.closes == [(*GONE, True)]  # still listed during the hook, as in workerd
    assert left == 0


async def test_six_hundred_bad_handshakes_leave_no_ghosts():
    async with served() as srv:
        for _ in range(600):
            reader, writer = await raw_upgrade(srv.port, UPGRADE)
            await within(reader.readuntil(b"\r\n\r\n"), "the answer")
            writer.close()
        await until(lambda: len(Lobby.closes) == 600, "600 webSocketClose calls")
        left = lobby_host(srv).socket_count()
    assert left == 0


async def test_a_client_that_leaves_before_the_101_leaves_no_ghost():
    async with served() as srv:
        Lobby.hold_fetch = asyncio.Event()
        key = base64.b64encode(os.urandom(16)).decode()
        reader, writer = await raw_upgrade(srv.port, {**UPGRADE, "Sec-WebSocket-Key": key})
        await within(Lobby.started.wait(), "the object's fetch")
        writer.transport.abort()  # gone before the 101
        await until(lambda: srv.log.texts("warn"), "the server to notice")
        Lobby.hold_fetch.set()
        await until(lambda: Lobby.closes, "webSocketClose")
        left = lobby_host(srv).socket_count()
    assert Lobby.closes == [(*GONE, True)]
    assert left == 0


def masked_text(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    return bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def test_a_flooding_client_waits_in_its_socket_not_in_the_objects_queue():
    async with served() as srv:
        Lobby.gate = asyncio.Event()
        key = base64.b64encode(os.urandom(16)).decode()
        reader, writer = await raw_upgrade(srv.port, {**UPGRADE, "Sec-WebSocket-Key": key})
        head = await within(reader.readuntil(b"\r\n\r\n"), "the 101")
        writer.write(b"".join(masked_text(f"m{i}") for i in range(50)))  # one write: one read
        await until(lambda: Lobby.messages, "the first message in the hook")
        host = lobby_host(srv)
        queued = [entry for entry in host._queue[host._qpos:] if entry is not None]
        for i in range(50):
            await until(lambda: len(Lobby.messages) == i + 1, f"message {i}")
            Lobby.gate.set()
        writer.transport.abort()
    assert head.startswith(b"HTTP/1.1 101")
    assert len(queued) <= 1  # one message waits beyond the one being handled; 48 stay in the socket  # the 49 others were not read from the socket yet
    assert Lobby.messages == [f"m{i}" for i in range(50)]

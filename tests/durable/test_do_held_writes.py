"""A Durable Object's sends during one step of its queue reach each member in one write.

The member's connection is watched by wrapping the transport of its server-side leg, so
the test sees the writes (system calls), which a client cannot tell apart.
"""

from __future__ import annotations

from urllib.parse import urlparse

from websockets.asyncio.client import connect

from wsguide import fetch, serve
from wsguide.js import WebSocketPair
from wsguide.workers import DurableObject, Response, WorkerEntrypoint

from ._helpers import within

BURST = 5


class Burst(DurableObject):
    """Upgrades join the room; a plain GET sends BURST messages to every member at once."""

    async def fetch(self, request):
        if request.headers.get("Upgrade") == "websocket":
            client, server = WebSocketPair.new().object_values()
            self.ctx.acceptWebSocket(server)
            return Response(None, status=101, web_socket=client)
        for ws in self.ctx.getWebSockets():
            for n in range(BURST):
                ws.send(f"m{n}")
        return Response("sent")

    async def webSocketClose(self, ws, code, reason, wasClean):
        ws.close(code, reason)


class Front(WorkerEntrypoint):
    async def fetch(self, request):
        return await self.env.ROOMS.getByName(urlparse(request.url).path).fetch(request)


class CountingTransport:
    """The leg's transport, counting its writes (everything else goes to the real one)."""

    def __init__(self, inner):
        self.inner = inner
        self.writes = 0

    def write(self, data):
        self.writes += 1
        self.inner.write(data)

    def __getattr__(self, name):
        return getattr(self.inner, name)


async def test_a_burst_of_sends_in_one_step_is_one_write_per_member():
    async with serve(Front, durable_objects={"ROOMS": Burst}, persist=False, echo_log=False) as srv:
        url = srv.ws_url + "/room"
        async with connect(url, proxy=None) as a, connect(url, proxy=None) as b:
            counters = []
            for leg in list(srv._legs):
                leg.transport = counter = CountingTransport(leg.transport)
                counters.append(counter)
            response = await fetch(srv.url + "/room")
            assert await response.text() == "sent"
            got_a = [await within(a.recv(), "a's burst") for _ in range(BURST)]
            got_b = [await within(b.recv(), "b's burst") for _ in range(BURST)]
            writes = [c.writes for c in counters]  # before the closing handshakes write more
    expected = [f"m{n}" for n in range(BURST)]
    assert (got_a, got_b) == (expected, expected)  # every message, in order
    assert writes == [1, 1]  # not BURST writes each

"""Durable Objects behind a real server: upgrades pass through stubs; hooks see the wire."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from wsguide import fetch, serve
from wsguide.durable import HibernationBlocked

from . import workers
from ._helpers import within


@pytest.fixture
async def srv():
    workers.HibRoom.events = []
    workers.HibRoom.changed = asyncio.Event()
    async with serve(workers.Default, durable_objects=workers.DURABLE_OBJECTS, persist=False,
                     hibernate_after=False, echo_log=False) as server:
        yield server


def ws_connect(srv, path):
    return connect(srv.ws_url + path, proxy=None, open_timeout=5, close_timeout=5)


async def recv(conn):
    return await within(conn.recv(), "a message from the room")


async def wait_note(kind):
    async with asyncio.timeout(5):
        while not any(e[0] == kind for e in workers.HibRoom.events):
            workers.HibRoom.changed.clear()
            await workers.HibRoom.changed.wait()
    return [e for e in workers.HibRoom.events if e[0] == kind]


async def test_broadcast_through_a_stub(srv):
    async with ws_connect(srv, "/r/lobby") as a, ws_connect(srv, "/r/lobby") as b, \
            ws_connect(srv, "/r/other") as c:
        await a.send("hello")
        assert await recv(a) == "hello" and await recv(b) == "hello"
        await c.send("elsewhere")
        assert await recv(c) == "elsewhere"
        for i in range(200):
            await b.send(f"m{i}")
        got = [await recv(a) for _ in range(200)]
        assert got == [f"m{i}" for i in range(200)]  # order kept
        assert [await recv(b) for _ in range(200)] == got  # the sender gets its copy too
    r = await fetch(srv.url + "/r/lobby")
    assert await r.text() == "room lobby: 0 sockets"


async def test_close_code_and_reason_reach_the_hook(srv):
    async with ws_connect(srv, "/r/closing") as a:
        await a.close(4001, "see you")
        assert a.close_code == 4001
    (note,) = await wait_note("close")
    assert note == ("close", 4001, "see you", True, True)


async def test_vanished_client_is_1006(srv):
    conn = await ws_connect(srv, "/r/vanish")
    await conn.send("memory")
    assert await recv(conn) == "fresh"
    conn.transport.abort()
    (note,) = await wait_note("close")
    assert note == ("close", 1006, "WebSocket disconnected without sending Close frame.", False, True)


async def test_hibernation_over_the_wire(srv):
    ns = srv.bindings["ROOMS"]
    async with ws_connect(srv, "/r/h") as a:
        await a.send("memory")
        assert await recv(a) == "fresh"
        await a.send("memory")
        assert await recv(a) == "changed"
        assert await ns.hibernate_now("h")
        await a.send("ping")
        assert await recv(a) == "pong"
        assert ns.instance("h") is None  # the auto-response did not wake it
        await a.send("memory")
        assert await recv(a) == "fresh"
        await a.send("attachment")
        assert json.loads(await recv(a)) == {"joined": 1}
        assert ns.constructor_runs("h") == 2


async def test_hibernation_timer_over_the_wire():
    async with serve(workers.Default, durable_objects=workers.DURABLE_OBJECTS, persist=False,
                     hibernate_after=0.05, echo_log=False) as srv:
        ns = srv.bindings["ROOMS"]
        async with ws_connect(srv, "/r/t") as a:
            await a.send("memory")
            assert await recv(a) == "fresh"
            await ns.wait_hibernated("t", timeout=5)
            await a.send("memory")
            assert await recv(a) == "fresh"


async def test_classic_room_over_the_wire(srv):
    ns = srv.bindings["CLASSIC"]
    workers.ClassicRoom.emptied = asyncio.Event()
    async with ws_connect(srv, "/classic/c") as a, ws_connect(srv, "/classic/c") as b:
        await a.send("hi")
        assert await recv(a) == "hi" and await recv(b) == "hi"
        with pytest.raises(HibernationBlocked, match="accepted with accept\\(\\)"):
            await ns.hibernate_now("c")
    # Both closed: once the room's close listeners ran, the object may sleep.
    await within(workers.ClassicRoom.emptied.wait(), "both close events in the room")
    assert await ns.hibernate_now("c") is True


async def test_exception_in_durable_object_fetch_is_500(srv):
    with pytest.raises(InvalidStatus) as e:
        async with ws_connect(srv, "/r/x/explode"):
            pass
    assert e.value.response.status_code == 500
    assert any("the room exploded" in t for t in srv.log.texts("error"))
    async with ws_connect(srv, "/r/x") as a:  # the server keeps serving
        await a.send("still here")
        assert await recv(a) == "still here"


async def test_storage_persists_across_servers(tmp_path):
    from wsguide.workers import DurableObject, Response, WorkerEntrypoint

    class Box(DurableObject):
        async def fetch(self, request):
            n = (await self.ctx.storage.get("n") or 0) + 1
            await self.ctx.storage.put("n", n)
            return Response(str(n))

    class W(WorkerEntrypoint):
        async def fetch(self, request):
            return await self.env.BOX.getByName("b").fetch(request)

    for expected in ("1", "2"):
        async with serve(W, durable_objects={"BOX": Box}, persist=tmp_path, echo_log=False) as srv:
            r = await fetch(srv.url + "/")
            assert await r.text() == expected
    assert (tmp_path / "do" / "Box").is_dir()

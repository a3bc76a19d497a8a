"""The chat example's room, from a Python client: join, broadcast, notices, history, limits."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from wsguide import fetch

WAIT = 5.0


async def recv(conn):
    async with asyncio.timeout(WAIT):
        return json.loads(await conn.recv())


class Member:
    def __init__(self, conn):
        self.conn = conn

    async def say(self, **data):
        await self.conn.send(json.dumps(data))

    async def next(self):
        return await recv(self.conn)


async def join(srv, room, name):
    conn = await connect(f"{srv.ws_url}/api/room/{room}/websocket", proxy=None, open_timeout=WAIT)
    m = Member(conn)
    await m.say(name=name)
    welcome = await m.next()
    assert welcome["type"] == "welcome", welcome
    return m, welcome


async def test_page_is_served(chat_server):
    r = await fetch(chat_server.url + "/")
    assert r.status == 200 and r.headers.get("Content-Type").startswith("text/html")
    html = await r.text()
    assert "innerHTML" not in html and "textContent" in html


async def test_join_broadcast_leave(chat_server):
    ada, w = await join(chat_server, "r1", "Ada")
    assert w == {"type": "welcome", "name": "Ada", "members": ["Ada"], "history": []}
    bob, w = await join(chat_server, "r1", "  Bob   Smith ")
    assert w["name"] == "Bob Smith" and w["members"] == ["Ada", "Bob Smith"]
    assert await ada.next() == {"type": "join", "name": "Bob Smith"}
    await ada.say(text="hi <b>all</b>")
    for m in (ada, bob):
        got = await m.next()
        assert (got["type"], got["name"], got["text"]) == ("message", "Ada", "hi <b>all</b>")
    await bob.conn.close()
    assert await ada.next() == {"type": "leave", "name": "Bob Smith"}
    await ada.conn.close()


async def test_history_for_newcomers_and_rooms_are_separate(chat_server):
    ada, _ = await join(chat_server, "hist", "Ada")
    for i in range(3):
        await ada.say(text=f"m{i}")
        await ada.next()
    _, w = await join(chat_server, "hist", "Cy")
    assert [h["text"] for h in w["history"]] == ["m0", "m1", "m2"]
    assert all(h["name"] == "Ada" for h in w["history"])
    _, other = await join(chat_server, "other", "Di")
    assert other["history"] == [] and other["members"] == ["Di"]


async def test_history_survives_hibernation(chat_server):
    ada, _ = await join(chat_server, "sleepy", "Ada")
    await ada.say(text="before")
    await ada.next()
    assert await chat_server.bindings["ROOMS"].hibernate_now("sleepy")
    await ada.say(text="after")  # wakes the room: a new instance, same sockets
    got = await ada.next()
    assert got["text"] == "after" and got["name"] == "Ada"  # the name came from the attachment
    _, w = await join(chat_server, "sleepy", "Bo")
    assert [h["text"] for h in w["history"]] == ["before", "after"]
    assert chat_server.bindings["ROOMS"].constructor_runs("sleepy") == 2


async def test_limits_and_errors(chat_server, chat_module):
    conn = await connect(f"{chat_server.ws_url}/api/room/lim/websocket", proxy=None)
    m = Member(conn)
    await m.say(text="too early")
    assert (await m.next())["error"].startswith("Join first")
    await m.say(name="x" * 33)
    assert (await m.next())["error"] == "Names are at most 32 characters."
    await conn.send("not json")
    assert (await m.next())["type"] == "error"
    await conn.send(b"\x00")
    assert (await m.next())["error"] == "Send JSON text, not binary data."
    await m.say(name="x" * 32)
    assert (await m.next())["type"] == "welcome"
    await m.say(text="y" * 501)
    assert (await m.next())["error"] == "Messages are at most 500 characters."
    await m.say(text="   ")
    assert (await m.next())["type"] == "error"


async def test_rate_limit_per_connection(chat_server, chat_module):
    ada, _ = await join(chat_server, "rate", "Ada")
    bob, _ = await join(chat_server, "rate", "Bob")
    await ada.next()  # Bob joined
    for i in range(chat_module.RATE_BURST + 3):
        await ada.say(text=f"m{i}")
    kinds = [(await ada.next())["type"] for _ in range(chat_module.RATE_BURST + 3)]
    assert kinds.count("message") == chat_module.RATE_BURST
    assert kinds[chat_module.RATE_BURST:] == ["error"] * 3
    await bob.say(text="bob is not limited by Ada")
    got = [await bob.next() for _ in range(chat_module.RATE_BURST + 1)]
    assert got[-1]["text"] == "bob is not limited by Ada"


async def test_keepalive_ping_is_answered_without_waking(chat_server):
    ada, _ = await join(chat_server, "ka", "Ada")
    ns = chat_server.bindings["ROOMS"]
    await ns.hibernate_now("ka")
    await ada.conn.send("ping")
    async with asyncio.timeout(WAIT):
        assert await ada.conn.recv() == "pong"
    assert ns.instance("ka") is None


async def test_bad_room_names_and_missing_upgrade(chat_server):
    with pytest.raises(InvalidStatus) as e:
        await connect(f"{chat_server.ws_url}/api/room/bad%20name/websocket", proxy=None)
    assert e.value.response.status_code == 400
    r = await fetch(chat_server.url + "/api/room/ok/websocket")
    assert r.status == 426
    r = await fetch(chat_server.url + "/nowhere")
    assert r.status == 404


async def test_bench_room_contract(chat_server):
    """bench/README.md: everyone (sender included) gets every message unchanged, in order."""
    url = f"{chat_server.ws_url}/room/bench-1"
    conns = [await connect(url, proxy=None) for _ in range(5)]
    other = await connect(f"{chat_server.ws_url}/room/bench-2", proxy=None)
    payloads = [f"{i} 123456789 {'x' * i}" for i in range(-1, 20)]
    for p in payloads:
        await conns[0].send(p)
    for c in conns:
        async with asyncio.timeout(WAIT):
            assert [await c.recv() for _ in payloads] == payloads
    await other.send("alone")
    async with asyncio.timeout(WAIT):
        assert await other.recv() == "alone"
    for c in conns + [other]:
        await c.close()


async def test_echo_route(chat_server):
    async with connect(f"{chat_server.ws_url}/echo", proxy=None) as c:
        await c.send(b"\x01\x02")
        await c.send("text")
        async with asyncio.timeout(WAIT):
            assert await c.recv() == b"\x01\x02" and await c.recv() == "text"

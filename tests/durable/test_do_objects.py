"""Namespaces, ids, stubs, RPC, the input gate, blockConcurrencyWhile, abort (spec §7.1)."""

from __future__ import annotations

import asyncio
import re

import pytest

from wsguide import DurableObject, Request, Response, WebSocketPair
from wsguide.durable import DurableObjectId, HibernationBlocked
from wsguide.core.errors import JsError as Error

from ._helpers import connect, make_ns, within


class Counter(DurableObject):
    built = 0

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        Counter.built += 1
        self.n = 0
        self.trace: list[str] = []

    async def fetch(self, request):
        self.n += 1
        return Response(f"{request.method} {request.url} {self.n} {request.headers.get('X-Test')}")

    async def add(self, k=1):
        self.n += k
        return self.n

    async def slow(self, i, gate: asyncio.Event | None = None, entered: asyncio.Event | None = None):
        self.trace.append(f"start {i}")
        if entered is not None:
            entered.set()
        if gate is not None:
            await gate.wait()
        await asyncio.sleep(0)  # a suspension point inside the handler
        self.trace.append(f"end {i}")
        return i

    def whoami(self):
        return (self.ctx.id.name, str(self.ctx.id), self.env)

    def boom(self):
        raise ValueError("kaput")

    def _private(self):
        return "no"

    async def self_call(self):
        # Re-entrant: calling your own stub from inside a handler must not deadlock.
        return await self.env_ns.getByName(self.ctx.id.name).add(10)


@pytest.fixture
def ns():
    Counter.built = 0
    return make_ns(Counter)


def test_id_from_name_is_stable(ns):
    a, b = ns.idFromName("lobby"), ns.idFromName("lobby")
    assert a == b and a.equals(b) and hash(a) == hash(b)
    assert a.name == "lobby"
    assert re.fullmatch(r"[0-9a-f]{64}", str(a)) and a.toString() == str(a)
    assert ns.idFromName("other") != a
    other_ns = make_ns(type("Other", (DurableObject,), {}))
    assert other_ns.idFromName("lobby") != a  # per class


def test_unique_ids_and_id_from_string(ns):
    u1, u2 = ns.newUniqueId(), ns.newUniqueId()
    assert u1 != u2 and u1.name is None
    assert ns.idFromString(str(u1)) == u1
    for bad in ("xyz", "A" * 64, str(u1)[:-1], 42):
        with pytest.raises(TypeError) as e:
            ns.idFromString(bad)
        assert str(e.value) == "Invalid Durable Object ID: must be 64 hex digits"


def test_get_needs_an_id(ns):
    with pytest.raises(TypeError, match="DurableObjectId"):
        ns.get("lobby")


async def test_one_instance_per_id(ns):
    s1, s2 = ns.get(ns.idFromName("x")), ns.getByName("x")
    assert await s1.add() == 1
    assert await s2.add() == 2
    assert await ns.getByName("y").add() == 1
    assert Counter.built == 2
    assert ns.constructor_runs("x") == 1 and ns.constructions == 2


async def test_stub_fetch_with_url_and_request(ns):
    stub = ns.getByName("f")
    r = await stub.fetch("http://x/a", headers={"X-Test": "1"})
    assert await r.text() == "GET http://x/a 1 1"
    r = await stub.fetch(Request("http://x/b", method="POST", body="hi"))
    assert await r.text() == "POST http://x/b 2 None"


async def test_rpc_sees_ctx_and_env(ns):
    name, hexid, env = await ns.getByName("who").whoami()
    assert name == "who" and hexid == str(ns.idFromName("who")) and env == {"note": "env"}


async def test_rpc_errors(ns):
    stub = ns.getByName("e")
    with pytest.raises(ValueError, match="kaput"):
        await stub.boom()
    with pytest.raises(TypeError) as e:
        await stub.nope()
    assert str(e.value) == 'The RPC receiver does not implement the method "nope".'
    with pytest.raises(AttributeError):
        stub._private
    assert await stub.add() == 1  # the object keeps working after an error


async def test_events_run_one_at_a_time_in_order(ns):
    stub = ns.getByName("gate")
    gate, entered = asyncio.Event(), asyncio.Event()
    first = asyncio.ensure_future(stub.slow(0, gate, entered))
    rest = [asyncio.ensure_future(stub.slow(i)) for i in range(1, 5)]
    await within(entered.wait(), "the first call to start")
    inst = ns.instance("gate")
    assert inst.trace == ["start 0"]  # the others wait at the input gate
    gate.set()
    assert await within(asyncio.gather(first, *rest), "all calls") == [0, 1, 2, 3, 4]
    assert inst.trace == [x for i in range(5) for x in (f"start {i}", f"end {i}")]


async def test_reentrant_call_does_not_deadlock(ns):
    stub = ns.getByName("re")
    await stub.add()
    ns.instance("re").env_ns = ns
    assert await within(stub.self_call(), "the re-entrant call") == 11


class Slow(DurableObject):
    log: list = []

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.ready = False
        ctx.blockConcurrencyWhile(self.load)

    async def load(self):
        await asyncio.sleep(0)
        Slow.log.append("loaded")
        self.ready = True

    def is_ready(self):
        return self.ready


async def test_block_concurrency_while_in_constructor():
    Slow.log = []
    ns = make_ns(Slow)
    assert await ns.getByName("s").is_ready() is True
    assert Slow.log == ["loaded"]


class Breaker(DurableObject):
    async def fetch(self, request):
        client, server = WebSocketPair()
        self.ctx.acceptWebSocket(server)
        return Response(None, status=101, web_socket=client)

    def reset(self, reason=None):
        self.ctx.abort(reason)

    async def webSocketMessage(self, ws, message):
        if message == "hang":
            await asyncio.Event().wait()  # never finishes: the event timeout fires
        ws.send("ok")


async def test_abort_resets_and_disconnects():
    ns = make_ns(Breaker)
    stub = ns.getByName("b")
    c = await connect(stub)
    with pytest.raises(Error) as e:
        await stub.reset()
    assert str(e.value) == "Application called abort() to reset Durable Object."
    assert await c.next("the disconnect") == (
        "close", 1006, "WebSocket disconnected without sending Close frame.", False
    )
    assert ns.instance("b") is None and ns.sockets("b") == []
    with pytest.raises(Error, match="^custom$"):
        await stub.reset("custom")
    assert ns.constructor_runs("b") == 2


async def test_event_timeout_breaks_the_object():
    ns = make_ns(Breaker)
    stub = ns.getByName("t")
    c = await connect(stub)
    c.send("hi")
    assert await c.message() == "ok"
    ns.instance("t").ctx.setHibernatableWebSocketEventTimeout(50)
    c.send("hang")
    assert (await c.next("the disconnect"))[:2] == ("close", 1006)
    assert ns.sockets("t") == []


class Classic(DurableObject):
    """The accept() style: sockets in a dict, listeners on each."""

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.sessions: dict[int, object] = {}

    async def fetch(self, request):
        client, server = WebSocketPair()
        server.accept()
        key = id(server)
        self.sessions[key] = server

        def on_message(event):
            for ws in self.sessions.values():
                ws.send(event.data)

        server.addEventListener("message", on_message)
        server.addEventListener("close", lambda e: self.sessions.pop(key, None))
        return Response(None, status=101, web_socket=client)


async def test_classic_sockets_block_hibernation():
    ns = make_ns(Classic)
    stub = ns.getByName("c")
    a, b = await connect(stub), await connect(stub)
    a.send("hello")
    assert await a.message() == "hello" and await b.message() == "hello"
    with pytest.raises(HibernationBlocked, match="2 WebSockets accepted with accept\\(\\) are still open"):
        await ns.hibernate_now("c")
    a.ws.close(1000)
    b.ws.close(1000)
    await a.next("close a")
    await b.next("close b")
    assert await ns.hibernate_now("c") is True


async def test_id_repr_and_stub():
    ns = make_ns(Counter)
    stub = ns.getByName("r")
    assert stub.name == "r" and isinstance(stub.id, DurableObjectId)
    assert "Counter" in repr(stub) and "r" in repr(stub.id)


class Waiter(DurableObject):
    def start(self, gate: asyncio.Event, done: asyncio.Event):
        self.ctx.waitUntil(self.work(gate, done))
        return "started"

    @staticmethod
    async def work(gate: asyncio.Event, done: asyncio.Event) -> None:
        await gate.wait()
        done.set()


async def test_wait_until_keeps_the_object_awake():
    ns = make_ns(Waiter)
    gate, done = asyncio.Event(), asyncio.Event()
    assert await ns.getByName("w").start(gate, done) == "started"
    with pytest.raises(HibernationBlocked, match="waitUntil"):
        await ns.hibernate_now("w")
    gate.set()
    await within(done.wait(), "the waitUntil work")
    assert await ns.hibernate_now("w") is True


class Failing(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        ctx.blockConcurrencyWhile(self.load)

    async def load(self):
        raise RuntimeError("could not load")

    def ping(self):
        return "pong"


async def test_failed_block_concurrency_while_fails_the_event_and_resets():
    ns = make_ns(Failing)
    with pytest.raises(RuntimeError, match="could not load"):
        await ns.getByName("f").ping()
    assert ns.instance("f") is None
    with pytest.raises(RuntimeError, match="could not load"):
        await ns.getByName("f").ping()
    assert ns.constructor_runs("f") == 2


async def test_default_storage_folder_is_project_local(tmp_path, monkeypatch):
    from wsguide.durable import DurableObjectNamespace

    monkeypatch.chdir(tmp_path)
    ns = DurableObjectNamespace(Counter, hibernate_after=False)
    assert ns.persist_dir == tmp_path / ".wsguide" / "do" / "Counter"
    assert DurableObjectNamespace(Counter, persist=":memory:").persist_dir is None


def test_import_names():
    import wsguide
    from wsguide.js import WebSocketRequestResponsePair as JsPair
    from wsguide.workers import DurableObject as WorkersDO

    assert "DurableObject" in wsguide.__all__ and "WebSocketRequestResponsePair" in wsguide.__all__
    assert WorkersDO is DurableObject and JsPair is wsguide.WebSocketRequestResponsePair
    assert JsPair.new("a", "b").response == "b"

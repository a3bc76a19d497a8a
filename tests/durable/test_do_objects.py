"""Namespaces, ids, stubs, RPC, the input gate, blockConcurrencyWhile, abort (spec §7.1).

The Durable Objects here are Python Workers (``wsguide.workers``, ``wsguide.js``,
``wsguide.ffi``); the tests reach them from the host side, through the namespace and its
stubs (wsguide's Python-side API). Class attributes marked "test plumbing" are how a test
hands an object an ``asyncio.Event``: such a value cannot cross RPC.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from wsguide.ffi import create_proxy
from wsguide.js import WebSocketPair
from wsguide.workers import DurableObject, Response

from ._helpers import (
    DurableObjectId,
    HibernationBlocked,
    HostRequest,
    JsError,
    PythonError,
    connect,
    errors_logged,
    make_ns,
    settle,
    within,
)


class Counter(DurableObject):
    built = 0
    # Test plumbing: slow(0) sets `entered`, then waits for `gate`.
    gate: asyncio.Event | None = None
    entered: asyncio.Event | None = None

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        Counter.built += 1
        self.n = 0
        self.trace = []

    async def fetch(self, request):
        self.n += 1
        return Response(f"{request.method} {request.url} {self.n} {request.headers.get('X-Test')}")

    async def add(self, k=1):
        self.n += k
        return self.n

    async def slow(self, i):
        self.trace.append(f"start {i}")
        if i == 0:
            Counter.entered.set()
            await Counter.gate.wait()
        await asyncio.sleep(0)  # a suspension point inside the handler
        self.trace.append(f"end {i}")
        return i

    def whoami(self):
        # A list, not a tuple: a tuple cannot be sent over RPC (golden rpc_refused_values).
        return [self.ctx.id.name, str(self.ctx.id), self.env.note]

    def boom(self):
        raise ValueError("kaput")

    def _private(self):
        return "no"

    async def self_call(self):
        # Re-entrant: calling your own stub from inside a handler must not deadlock.
        return await self.env.COUNTERS.getByName(self.ctx.id.name).add(10)


@pytest.fixture
def ns():
    Counter.built = 0
    env = {"note": "env"}
    namespace = make_ns(Counter, env=env)
    env["COUNTERS"] = namespace  # the object reaches its own namespace as self.env.COUNTERS
    return namespace


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
    r = await stub.fetch(HostRequest("http://x/b", method="POST", body="hi"))
    assert await r.text() == "POST http://x/b 2 None"


async def test_rpc_sees_ctx_and_env(ns):
    name, hexid, note = await ns.getByName("who").whoami()
    assert name == "who" and hexid == str(ns.idFromName("who")) and note == "env"


async def test_rpc_errors(ns):
    stub = ns.getByName("e")
    # Only the text of a Python exception crosses RPC: the caller gets the object's traceback
    # (as the caller of a stub's fetch does in golden accept_tags_python_list).
    with pytest.raises(PythonError) as e:
        await stub.boom()
    assert e.value.original is None and str(e.value).endswith("ValueError: kaput")
    # workerd's own words, and it is also logged as uncaught (golden rpc_refused_values).
    with errors_logged() as errors, pytest.raises(TypeError) as e:
        await stub.nope()
    assert str(e.value) == "Method nope does not exist"
    assert errors == ["Uncaught (in promise) TypeError: Method nope does not exist"]
    with pytest.raises(AttributeError):
        stub._private
    assert await stub.add() == 1  # the object keeps working after an error


async def test_events_run_one_at_a_time_in_order(ns):
    stub = ns.getByName("gate")
    Counter.gate, Counter.entered = asyncio.Event(), asyncio.Event()
    calls = [asyncio.ensure_future(stub.slow(i)) for i in range(5)]
    try:
        await within(Counter.entered.wait(), "the first call to start")
        inst = ns.instance("gate")
        assert inst.trace == ["start 0"]  # the others wait at the input gate
        Counter.gate.set()
        assert await within(asyncio.gather(*calls), "all calls") == [0, 1, 2, 3, 4]
        assert inst.trace == [x for i in range(5) for x in (f"start {i}", f"end {i}")]
    finally:
        Counter.gate.set()
        await settle(calls)


async def test_reentrant_call_does_not_deadlock(ns):
    stub = ns.getByName("re")
    await stub.add()
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
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        return Response(None, status=101, web_socket=client)

    def reset(self, reason=None):
        self.ctx.abort(reason)

    def set_event_timeout(self, ms):
        self.ctx.setHibernatableWebSocketEventTimeout(ms)

    async def webSocketMessage(self, ws, message):
        if message == "hang":
            await asyncio.Event().wait()  # never finishes: the event timeout fires
        ws.send("ok")


async def test_abort_resets_and_disconnects():
    ns = make_ns(Breaker)
    stub = ns.getByName("b")
    c = await connect(stub)
    # The caller gets the abort Error itself (workerd stops the object's code at abort();
    # its container tests expect name 'Error' and exactly this message).
    with pytest.raises(JsError) as e:
        await stub.reset()
    assert (e.value.name, str(e.value)) == ("Error", "Application called abort() to reset Durable Object.")
    assert await c.next("the disconnect") == (
        "close", 1006, "WebSocket disconnected without sending Close frame.", False
    )
    assert ns.instance("b") is None and ns.sockets("b") == []
    with pytest.raises(JsError, match="^custom$"):
        await stub.reset("custom")
    assert ns.constructor_runs("b") == 2


async def test_event_timeout_breaks_the_object():
    ns = make_ns(Breaker)
    stub = ns.getByName("t")
    c = await connect(stub)
    c.send("hi")
    assert await c.message() == "ok"
    await stub.set_event_timeout(50)
    c.send("hang")
    assert (await c.next("the disconnect"))[:2] == ("close", 1006)
    assert ns.sockets("t") == []


class Classic(DurableObject):
    """The accept() style: sockets in a list, a listener on each."""

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.sessions = []

    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()
        self.sessions.append(server)

        def on_message(event):
            for ws in self.sessions:
                ws.send(event.data)

        def on_close(event):
            self.sessions = [ws for ws in self.sessions if ws != server]  # == : the same JS socket

        server.addEventListener("message", create_proxy(on_message))
        server.addEventListener("close", create_proxy(on_close))
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
    # Test plumbing: the waitUntil work waits for `gate`, then sets `done`.
    gate: asyncio.Event | None = None
    done: asyncio.Event | None = None

    def start(self):
        self.ctx.waitUntil(self.work())
        return "started"

    @staticmethod
    async def work():
        await Waiter.gate.wait()
        Waiter.done.set()


async def test_wait_until_keeps_the_object_awake():
    ns = make_ns(Waiter)
    Waiter.gate, Waiter.done = asyncio.Event(), asyncio.Event()
    try:
        assert await ns.getByName("w").start() == "started"
        with pytest.raises(HibernationBlocked, match="waitUntil"):
            await ns.hibernate_now("w")
        Waiter.gate.set()
        await within(Waiter.done.wait(), "the waitUntil work")
        assert await ns.hibernate_now("w") is True
    finally:
        Waiter.gate.set()


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
    # The caller of a stub gets the text of the object's Python exception (see test_rpc_errors).
    with pytest.raises(PythonError, match="RuntimeError: could not load$"):
        await ns.getByName("f").ping()
    assert ns.instance("f") is None
    with pytest.raises(PythonError, match="RuntimeError: could not load$"):
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
    assert wsguide.DurableObject is WorkersDO and JsPair is wsguide.WebSocketRequestResponsePair
    assert JsPair.new("a", "b").response == "b"

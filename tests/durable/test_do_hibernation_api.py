"""ctx.acceptWebSocket & co.: limits and exact error texts (spec §7.2).

Every call on ``ctx`` here is made the way a Durable Object's own code makes it: through
``self.ctx`` (the Pyodide boundary), with JavaScript values (``to_js`` tags and attachments,
``WebSocketPair.new()``), errors caught as ``JsException`` (``.name``, ``.message``). The
host-side helpers (``host_ctx``, ``ns.sockets``, ``ns.hibernate_now``…) are wsguide's
Python-side API, used only to look at what the object cannot show.
"""

from __future__ import annotations

import asyncio
import datetime
from urllib.parse import urlparse

import pytest

from wsguide.ffi import JsException, jsnull, to_js
from wsguide.js import Object, WebSocket, WebSocketPair, WebSocketRequestResponsePair
from wsguide.workers import DurableObject, Response

from ._helpers import (
    Disconnect,
    Failure,
    JsError,
    RuntimeWebSocket,
    connect,
    host_ctx,
    limit_sockets,
    make_ns,
    within,
)


def js_error(exc: pytest.ExceptionInfo[JsException]) -> tuple[str, str]:
    return exc.value.name, exc.value.message


def server_end():
    _, server = WebSocketPair.new()  # the pair is iterable (golden pair_new_unpack)
    return server


class Plain(DurableObject):
    def ready(self):
        return "ready"


async def object_ctx(ns, name: str = "t"):
    """``self.ctx`` of object ``name``, exactly as its own code sees it (built by a first call)."""
    assert await ns.getByName(name).ready() == "ready"
    return ns.instance(name).ctx


@pytest.fixture
def plain():
    return make_ns(Plain)


@pytest.fixture
async def ctx(plain):
    return await object_ctx(plain)


async def test_accept_web_socket_after_accept(ctx):
    client, server = WebSocketPair.new().object_values()
    server.accept()
    with pytest.raises(JsException) as e:
        ctx.acceptWebSocket(server)
    assert js_error(e) == (
        "Error", "Cannot call `acceptWebSocket()` if the WebSocket was already accepted via `accept()`"
    )


async def test_accept_web_socket_when_pair_is_accepted(ctx):
    client, server = WebSocketPair.new().object_values()
    client.accept()
    with pytest.raises(JsException) as e:
        ctx.acceptWebSocket(server)
    assert js_error(e) == (
        "Error",
        "Cannot call `acceptWebSocket()` on this WebSocket because its pair has already been "
        "accepted or used in a Response.",
    )


async def test_accept_web_socket_without_a_pair(ctx):
    lone = RuntimeWebSocket.awaiting()  # like a socket from fetch(): no peer end
    with pytest.raises(JsException) as e:
        ctx.acceptWebSocket(lone)
    assert e.value.name == "Error" and "its pair has already been accepted or used in a Response" in e.value.message


async def test_accept_web_socket_twice(ctx):
    server = server_end()
    ctx.acceptWebSocket(server)
    with pytest.raises(JsException) as e:
        ctx.acceptWebSocket(server)
    assert e.value.name == "Error" and "already accepted via `accept()`" in e.value.message
    with pytest.raises(JsException) as e:
        server.accept()
    assert js_error(e) == ("TypeError", "Can't accept() WebSocket after enabling hibernation.")


async def test_tags_must_be_a_javascript_array(ctx):
    # golden accept_tags_python_list: a Python list crosses as a PyProxy, not an Array.
    server = server_end()
    with pytest.raises(JsException) as e:
        ctx.acceptWebSocket(server, ["member", "name:ada"])
    assert js_error(e) == (
        "TypeError", "Failed to execute 'acceptWebSocket' on 'DurableObjectState': parameter 2 is not of type 'Array'."
    )
    ctx.acceptWebSocket(server, to_js(["member", "name:ada"]))  # golden accept_tags_to_js
    assert ctx.getTags(server).to_py() == ["member", "name:ada"]


async def test_ten_tags_ok_eleven_distinct_fail(ctx):
    s = server_end()
    ctx.acceptWebSocket(s, to_js([f"t{i}" for i in range(10)]))
    assert ctx.getTags(s).to_py() == [f"t{i}" for i in range(10)]
    s2 = server_end()
    with pytest.raises(JsException) as e:
        ctx.acceptWebSocket(s2, to_js([f"t{i}" for i in range(11)]))
    assert js_error(e) == ("Error", "a Hibernatable WebSocket cannot have more than 10 tags")
    ctx.acceptWebSocket(s2)  # the refused call accepted nothing: s2 can still be accepted
    assert ctx.getTags(s2).to_py() == []


async def test_eleventh_duplicate_tag_still_fails(ctx):
    # The check runs at the top of each loop turn: 10 distinct + a duplicate throws.
    with pytest.raises(JsException) as e:
        ctx.acceptWebSocket(server_end(), to_js([f"t{i}" for i in range(10)] + ["t0"]))
    assert js_error(e) == ("Error", "a Hibernatable WebSocket cannot have more than 10 tags")


async def test_duplicate_tags_are_merged(ctx):
    s = server_end()
    ctx.acceptWebSocket(s, to_js(["a"] * 20 + ["b", "a"]))
    assert ctx.getTags(s).to_py() == ["a", "b"]
    s2 = server_end()
    ctx.acceptWebSocket(s2)
    assert ctx.getTags(s2).to_py() == []


async def test_tag_length_is_counted_in_utf8_bytes(ctx):
    ctx.acceptWebSocket(server_end(), to_js(["x" * 256, "é" * 128]))
    long_tag = "é" * 129  # 258 bytes, 129 characters
    with pytest.raises(JsException) as e:
        ctx.acceptWebSocket(server_end(), to_js([long_tag]))
    assert js_error(e) == ("Error", f'"{long_tag}" is longer than the max tag length (256 characters).')
    with pytest.raises(JsException) as e:
        ctx.acceptWebSocket(server_end(), to_js(["y" * 257]))
    assert e.value.name == "Error" and "max tag length" in e.value.message


async def test_socket_limit_per_object(plain):
    limit_sockets(plain, "t", 3)
    ctx = await object_ctx(plain)
    ends = [server_end() for _ in range(4)]
    for s in ends[:3]:
        ctx.acceptWebSocket(s)
    with pytest.raises(JsException) as e:
        ctx.acceptWebSocket(ends[3])
    assert js_error(e) == ("Error", "only 32768 websockets can be accepted on a single Durable Object instance")


async def test_real_socket_limit_is_32768(ctx):
    for _ in range(32_768):
        ctx.acceptWebSocket(server_end())
    with pytest.raises(JsException) as e:
        ctx.acceptWebSocket(server_end())
    assert e.value.name == "Error" and e.value.message.startswith("only 32768 websockets")
    assert len(ctx.getWebSockets()) == 32_768


async def test_get_web_sockets_order(ctx):
    a, b, c = server_end(), server_end(), server_end()
    ctx.acceptWebSocket(a, to_js(["room", "x"]))
    ctx.acceptWebSocket(b, to_js(["x"]))
    ctx.acceptWebSocket(c, to_js(["room"]))
    # A JavaScript array of new proxies: compare with == (golden socket_identity), not `is`.
    assert type(ctx.getWebSockets()).__name__ == "JsProxy"
    assert list(ctx.getWebSockets()) == [c, b, a]  # newest first
    assert list(ctx.getWebSockets("room")) == [a, c]  # acceptance order
    assert list(ctx.getWebSockets("x")) == [a, b]
    assert list(ctx.getWebSockets("nope")) == []


async def test_get_web_sockets_empty_before_any(ctx):
    assert len(ctx.getWebSockets()) == 0 and list(ctx.getWebSockets()) == []


async def test_get_tags_errors(ctx):
    s = server_end()
    with pytest.raises(JsException) as e:
        ctx.getTags(s)
    assert js_error(e) == (
        "Error", "you must call 'acceptWebSocket()' before attempting to access the tags of a WebSocket."
    )
    s.accept()
    with pytest.raises(JsException) as e:
        ctx.getTags(s)
    assert js_error(e) == ("Error", "only hibernatable websockets can have tags.")


async def test_hibernatable_socket_can_send_and_close(ctx):
    server = server_end()
    ctx.acceptWebSocket(server)
    server.send("hi")
    server.close(1000, "bye")
    assert server.readyState == WebSocket.CLOSING


# -- attachments -------------------------------------------------------------
async def test_attachment_never_set_is_jsnull():
    # golden attachment_never_set: null, falsy but not None.
    assert server_end().deserializeAttachment() is jsnull


async def test_attachment_round_trip_and_copy():
    s = server_end()
    value = to_js(
        {"name": "ada", "tags": ["a"], "raw": b"\x00\xff", "pair": (1, 2), "n": 3.5},
        dict_converter=Object.fromEntries,
    )
    s.serializeAttachment(value)
    value.tags.push("changed later")  # the attachment is a copy, made at the call
    got = s.deserializeAttachment()
    # golden attachment_to_js: a JsProxy, read by attribute, .to_py() for a dict.
    assert type(got).__name__ == "JsProxy" and got.name == "ada"
    as_python = got.to_py()
    assert bytes(as_python.pop("raw")) == b"\x00\xff"  # a Uint8Array comes back as a memoryview
    assert as_python == {"name": "ada", "tags": ["a"], "pair": [1, 2], "n": 3.5}
    got.name = "mutated copy"
    assert s.deserializeAttachment().name == "ada"  # every read is a new copy
    assert s.deserializeAttachment() != s.deserializeAttachment()  # golden attachment_to_js


async def test_a_python_dict_or_list_attachment_is_a_data_clone_error():
    # golden attachment_python_dict: a dict or list crosses as a PyProxy, which cannot be cloned.
    s = server_end()
    for value in ({"name": "Ada"}, ["Ada", 1]):
        with pytest.raises(JsException) as e:
            s.serializeAttachment(value)
        assert js_error(e) == ("DataCloneError", "[object Object] could not be cloned.")
    assert s.deserializeAttachment() is jsnull


async def test_attachment_size_limit_exact_text():
    # golden attachment_sizes: V8 counts a one-byte string of 16,379 characters as 16,384 bytes.
    s = server_end()
    s.serializeAttachment("x" * 16_379)
    with pytest.raises(JsException) as e:
        s.serializeAttachment("x" * 16_380)
    assert js_error(e) == (
        "Error", "A WebSocket 'attachment' cannot be larger than 16384 bytes.'attachment' was 16385 bytes."
    )
    assert len(s.deserializeAttachment()) == 16_379  # the old value stays


async def test_attachment_rejects_uncloneable():
    s = server_end()
    with pytest.raises(JsException) as e:
        s.serializeAttachment(to_js({"f": lambda: 1}, dict_converter=Object.fromEntries))
    assert e.value.name == "DataCloneError"


# -- auto-response and event timeout -------------------------------------------
async def test_auto_response_size_limits(ctx):
    assert ctx.getWebSocketAutoResponse() is jsnull  # nothing set: null
    ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair.new("q" * 2048, "r" * 2048))
    got = ctx.getWebSocketAutoResponse()
    assert (got.request, got.response) == ("q" * 2048, "r" * 2048)
    assert not hasattr(got, "getRequest") and not hasattr(got, "getResponse")  # as in workerd
    with pytest.raises(JsException) as e:
        ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair.new("é" * 1025, "pong"))
    assert js_error(e) == ("RangeError", "Request cannot be larger than 2048 bytes. A request of size 2050 was provided.")
    with pytest.raises(JsException) as e:
        ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair.new("ping", "r" * 2049))
    assert js_error(e) == (
        "RangeError", "Response cannot be larger than 2048 bytes. A response of size 2049 was provided."
    )
    ctx.setWebSocketAutoResponse()
    assert ctx.getWebSocketAutoResponse() is jsnull


async def test_event_timeout_setting(ctx):
    assert ctx.getHibernatableWebSocketEventTimeout() is jsnull
    ctx.setHibernatableWebSocketEventTimeout(5000)
    assert ctx.getHibernatableWebSocketEventTimeout() == 5000
    with pytest.raises(JsException) as e:
        ctx.setHibernatableWebSocketEventTimeout(604_800_001)
    assert js_error(e) == ("Error", "Event timeout should not exceed 604800000 ms.")
    ctx.setHibernatableWebSocketEventTimeout(604_800_000)
    ctx.setHibernatableWebSocketEventTimeout(0)
    assert ctx.getHibernatableWebSocketEventTimeout() is jsnull


# -- hooks, through a real object ---------------------------------------------
class Recorder(DurableObject):
    log: list = []

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.memory = "fresh"
        Recorder.log.append(("constructor",))

    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        tags = [t for t in urlparse(request.url).path.rsplit("/", 1)[-1].split(",") if t]
        self.ctx.acceptWebSocket(server, to_js(tags))
        server.serializeAttachment(to_js({"tags": tags}, dict_converter=Object.fromEntries))
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        if isinstance(message, str):
            Recorder.log.append(("message", message))
        else:  # binary
            Recorder.log.append(("message", type(message).__name__, message.constructor.name, message.to_bytes()))
        if message == "memory":
            ws.send(self.memory)
            self.memory = "changed"
        elif message == "whoami":
            ws.send(repr((ws.deserializeAttachment().to_py(), self.ctx.getTags(ws).to_py())))
        elif message == "close-me":
            ws.close(4000, "asked")
        else:
            ws.send(message)  # binary goes back as the ArrayBuffer it came in

    async def webSocketClose(self, ws, code, reason, wasClean):
        listed = ws in self.ctx.getWebSockets()
        Recorder.log.append(("close", code, reason, wasClean, listed))
        ws.close(code if code not in (1005, 1006) else 1000, "bye")

    async def webSocketError(self, ws, error):
        Recorder.log.append(("error", error.name, error.message))

    def barrier(self):
        """An RPC: when it returns, every event queued before it has been handled."""
        return "ok"

    def auto_respond(self, request=None, response=None):
        """Set the automatic response (request → response), or unset it (no arguments)."""
        if request is None:
            self.ctx.setWebSocketAutoResponse()
        else:
            self.ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair.new(request, response))


@pytest.fixture
def rec():
    Recorder.log = []
    return make_ns(Recorder)


async def test_message_hook_gets_str_for_text_and_an_array_buffer_for_binary(rec):
    # goldens hibernation_message_types and hibernation_binary_is_not_bytes: never bytes, never a Blob.
    c = await connect(rec.getByName("r"))
    c.send("text")
    c.send(b"\x01\x02")
    assert await c.message() == "text"
    assert await c.message() == b"\x01\x02"
    assert Recorder.log[1:] == [("message", "text"), ("message", "JsProxy", "ArrayBuffer", b"\x01\x02")]


async def test_close_hook_runs_while_socket_still_listed_then_removed(rec):
    stub = rec.getByName("r")
    c = await connect(stub)
    c.ws.close(4001, "leaving")
    item = await c.next("the close reply")
    assert item == ("close", 4001, "bye", True)
    assert ("close", 4001, "leaving", True, True) in Recorder.log
    assert rec.sockets("r") == []


async def test_close_without_code_is_1005(rec):
    c = await connect(rec.getByName("r"))
    c.ws.close()
    await c.next("the close reply")
    assert Recorder.log[-1] == ("close", 1005, "", True, True)


async def test_server_side_close_from_message_hook(rec):
    c = await connect(rec.getByName("r"))
    c.send("close-me")
    assert await c.next("close") == ("close", 4000, "asked", True)


async def test_hibernation_keeps_sockets_tags_and_attachments(rec):
    stub = rec.getByName("r")
    c = await connect(stub, "/blue,green")
    c.send("memory")
    assert await c.message() == "fresh"
    c.send("memory")
    assert await c.message() == "changed"
    assert rec.constructor_runs("r") == 1
    assert await rec.hibernate_now("r") is True
    assert rec.instance("r") is None and rec.is_hibernating("r")
    assert await rec.hibernate_now("r") is False  # nothing left to drop
    c.send("memory")
    assert await c.message() == "fresh"  # constructor ran again: in-memory state gone
    assert rec.constructor_runs("r") == 2
    c.send("whoami")
    assert await c.message() == repr(({"tags": ["blue", "green"]}, ["blue", "green"]))


async def test_hibernate_now_takes_a_stub(rec):
    stub = rec.getByName("h")
    await connect(stub)
    assert await rec.hibernate_now(stub) is True
    assert rec.instance(stub) is None


async def test_idle_timer_hibernates(rec):
    ns = make_ns(Recorder, hibernate_after=0.05)
    c = await connect(ns.getByName("t"))
    c.send("memory")
    assert await c.message() == "fresh"
    await ns.wait_hibernated("t", timeout=3)
    assert ns.instance("t") is None
    c.send("memory")
    assert await c.message() == "fresh"
    assert ns.constructor_runs("t") == 2


async def test_wait_hibernated_times_out_with_a_clear_message(rec):
    c = await connect(rec.getByName("w"))
    c.send("x")
    await c.message()
    with pytest.raises(TimeoutError, match="did not hibernate within 0.05 s"):
        await rec.wait_hibernated("w", timeout=0.05)


async def test_auto_response_without_waking(rec):
    stub = rec.getByName("a")
    c = await connect(stub)
    await stub.auto_respond("ping", "pong")
    server_end_ = rec.sockets("a")[0]
    seen_from_host = host_ctx(rec, "a")  # the timestamp, read on the host side as a datetime
    assert seen_from_host.getWebSocketAutoResponseTimestamp(server_end_) is jsnull  # none yet
    await rec.hibernate_now("a")
    before = datetime.datetime.now(datetime.timezone.utc)
    c.send("ping")
    assert await c.message() == "pong"
    assert rec.instance("a") is None  # still hibernating
    assert rec.constructor_runs("a") == 1
    assert ("message", "ping") not in Recorder.log
    c.send(b"ping")  # binary never matches
    assert await c.message() == b"ping"
    assert rec.constructor_runs("a") == 2
    ts = seen_from_host.getWebSocketAutoResponseTimestamp(server_end_)
    assert isinstance(ts, datetime.datetime) and ts >= before
    await stub.auto_respond()  # unset: the last time stays
    assert seen_from_host.getWebSocketAutoResponseTimestamp(server_end_) == ts


async def test_auto_response_not_sent_after_own_close(rec):
    stub = rec.getByName("b")
    c = await connect(stub)
    await stub.auto_respond("ping", "pong")
    # The server end closes (from the host side: an RPC would return only after the Close frame
    # reached the client), and a "ping" is already on its way.
    rec.sockets("b")[0].close(1000, "done")
    c.send("ping")
    assert await c.next("the close") == ("close", 1000, "done", True)
    assert c.items.empty()


async def test_disconnect_is_1006_not_clean(rec):
    await connect(rec.getByName("d"))
    server_end_ = rec.sockets("d")[0]
    # The client end vanishes: the server end sees a disconnect.
    server_end_.receive(Disconnect())
    assert await within(rec.getByName("d").barrier(), "the close hook") == "ok"
    assert rec.sockets("d") == []
    assert Recorder.log[-1] == (
        "close", 1006, "WebSocket disconnected without sending Close frame.", False, True
    )


async def test_error_hook(rec):
    await connect(rec.getByName("e"))
    server_end_ = rec.sockets("e")[0]
    server_end_.receive(Failure(JsError("boom")))
    assert await within(rec.getByName("e").barrier(), "the error hook") == "ok"
    assert rec.sockets("e") == []
    assert Recorder.log[-1] == ("error", "Error", "boom")


async def test_message_over_the_limit_gives_webSocketError_at_readyState_2_then_a_new_instance():
    # workerd (findings F4, golden durable-object-hibernation): webSocketError with readyState 2,
    # no webSocketClose, and the next event runs on a freshly constructed object.
    from websockets.asyncio.client import connect as ws_connect
    from websockets.exceptions import ConnectionClosed

    from wsguide import serve
    from wsguide.workers import WorkerEntrypoint

    seen: list[tuple] = []
    got_message = asyncio.Event()

    class Room(DurableObject):
        built = 0

        def __init__(self, ctx, env):
            super().__init__(ctx, env)
            Room.built += 1
            self.n = Room.built

        async def fetch(self, request):
            client, server = WebSocketPair.new().object_values()
            self.ctx.acceptWebSocket(server)
            return Response(None, status=101, web_socket=client)

        def webSocketMessage(self, ws, message):
            seen.append(("message", self.n, message))
            got_message.set()

        def webSocketError(self, ws, error):
            seen.append(("error", self.n, ws.readyState, error.name, error.message))

        def webSocketClose(self, ws, code, reason, was_clean):
            seen.append(("close", self.n, code))
            ws.close(1000)

    class Front(WorkerEntrypoint):
        async def fetch(self, request):
            return await self.env.ROOMS.getByName("r").fetch(request)

    limit = 32 * 2**20
    async with serve(Front, durable_objects={"ROOMS": Room}, persist=False, echo_log=False) as srv:
        keep = await within(ws_connect(srv.ws_url, proxy=None, compression=None), "first socket")
        big = await within(ws_connect(srv.ws_url, proxy=None, compression=None, max_size=None), "second socket")
        try:
            await big.send(bytes(limit + 1))
        except ConnectionClosed:
            pass
        await within(big.wait_closed(), "the 1009 close")
        await keep.send("after")
        await within(got_message.wait(), "the next message")
        await keep.close()
    assert big.close_code == 1009
    assert seen[0] == ("error", 1, 2, "Error", "WebSocket protocol error; protocolError.statusCode = 1009; "
                       f"protocolError.description = Message is too large: {limit + 1} > {limit}")
    assert seen[1] == ("message", 2, "after")

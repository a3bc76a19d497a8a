"""ctx.acceptWebSocket & co.: limits and exact error texts (spec §7.2)."""

from __future__ import annotations

import asyncio
import datetime

import pytest

from wsguide import DurableObject, Response, WebSocketPair, WebSocketRequestResponsePair
from wsguide.core.messages import Disconnect, Failure
from wsguide.core.errors import JsError
from wsguide.core.errors import JsError as Error
from wsguide.core.errors import JsRangeError as RangeError
from wsguide.core.websocket import WebSocket

from ._helpers import bare_ctx, connect, make_ns, within


class Plain(DurableObject):
    pass


@pytest.fixture
def ctx():
    return bare_ctx(make_ns(Plain))


def test_accept_web_socket_after_accept(ctx):
    client, server = WebSocketPair()
    server.accept()
    with pytest.raises(Error) as e:
        ctx.acceptWebSocket(server)
    assert str(e.value) == (
        "Cannot call `acceptWebSocket()` if the WebSocket was already accepted via `accept()`"
    )


def test_accept_web_socket_when_pair_is_accepted(ctx):
    client, server = WebSocketPair()
    client.accept()
    with pytest.raises(Error) as e:
        ctx.acceptWebSocket(server)
    assert str(e.value) == (
        "Cannot call `acceptWebSocket()` on this WebSocket because its pair has already been "
        "accepted or used in a Response."
    )


def test_accept_web_socket_without_a_pair(ctx):
    lone = WebSocket.awaiting()  # like a socket from fetch(): no peer end
    with pytest.raises(Error, match="its pair has already been accepted or used in a Response"):
        ctx.acceptWebSocket(lone)


def test_accept_web_socket_twice(ctx):
    client, server = WebSocketPair()
    ctx.acceptWebSocket(server)
    with pytest.raises(Error, match="already accepted via `accept\\(\\)`"):
        ctx.acceptWebSocket(server)
    with pytest.raises(TypeError) as e:
        server.accept()
    assert str(e.value) == "Can't accept() WebSocket after enabling hibernation."


def test_ten_tags_ok_eleven_distinct_fail(ctx):
    _, s = WebSocketPair()
    ctx.acceptWebSocket(s, [f"t{i}" for i in range(10)])
    assert ctx.getTags(s) == [f"t{i}" for i in range(10)]
    _, s2 = WebSocketPair()
    with pytest.raises(Error) as e:
        ctx.acceptWebSocket(s2, [f"t{i}" for i in range(11)])
    assert str(e.value) == "a Hibernatable WebSocket cannot have more than 10 tags"
    assert s2not_accepted(s2)


def s2not_accepted(ws):
    return ws.state.value == "AwaitingAcceptanceOrCoupling"


def test_eleventh_duplicate_tag_still_fails(ctx):
    # The check runs at the top of each loop turn: 10 distinct + a duplicate throws.
    _, s = WebSocketPair()
    with pytest.raises(Error, match="more than 10 tags"):
        ctx.acceptWebSocket(s, [f"t{i}" for i in range(10)] + ["t0"])


def test_duplicate_tags_are_merged(ctx):
    _, s = WebSocketPair()
    ctx.acceptWebSocket(s, ["a"] * 20 + ["b", "a"])
    assert ctx.getTags(s) == ["a", "b"]
    _, s2 = WebSocketPair()
    ctx.acceptWebSocket(s2)
    assert ctx.getTags(s2) == []


def test_tag_length_is_counted_in_utf8_bytes(ctx):
    _, ok = WebSocketPair()
    ctx.acceptWebSocket(ok, ["x" * 256, "é" * 128])
    _, s = WebSocketPair()
    long_tag = "é" * 129  # 258 bytes, 129 characters
    with pytest.raises(Error) as e:
        ctx.acceptWebSocket(s, [long_tag])
    assert str(e.value) == f'"{long_tag}" is longer than the max tag length (256 characters).'
    _, s3 = WebSocketPair()
    with pytest.raises(Error, match="max tag length"):
        ctx.acceptWebSocket(s3, ["y" * 257])


def test_socket_limit_per_object():
    ctx = bare_ctx(make_ns(Plain), max_sockets=3)
    ends = [WebSocketPair()[1] for _ in range(4)]
    for s in ends[:3]:
        ctx.acceptWebSocket(s)
    with pytest.raises(Error) as e:
        ctx.acceptWebSocket(ends[3])
    assert str(e.value) == "only 32768 websockets can be accepted on a single Durable Object instance"


def test_real_socket_limit_is_32768(ctx):
    for _ in range(32_768):
        ctx.acceptWebSocket(WebSocketPair()[1])
    with pytest.raises(Error, match="only 32768 websockets"):
        ctx.acceptWebSocket(WebSocketPair()[1])
    assert len(ctx.getWebSockets()) == 32_768


def test_get_web_sockets_order(ctx):
    a, b, c = (WebSocketPair()[1] for _ in range(3))
    ctx.acceptWebSocket(a, ["room", "x"])
    ctx.acceptWebSocket(b, ["x"])
    ctx.acceptWebSocket(c, ["room"])
    assert ctx.getWebSockets() == [c, b, a]  # newest first
    assert ctx.getWebSockets("room") == [a, c]  # acceptance order
    assert ctx.getWebSockets("x") == [a, b]
    assert ctx.getWebSockets("nope") == []


def test_get_web_sockets_empty_before_any(ctx):
    assert ctx.getWebSockets() == []


def test_get_tags_errors(ctx):
    _, s = WebSocketPair()
    with pytest.raises(Error) as e:
        ctx.getTags(s)
    assert str(e.value) == (
        "you must call 'acceptWebSocket()' before attempting to access the tags of a WebSocket."
    )
    s.accept()
    with pytest.raises(Error) as e:
        ctx.getTags(s)
    assert str(e.value) == "only hibernatable websockets can have tags."


def test_hibernatable_socket_can_send_and_close(ctx):
    client, server = WebSocketPair()
    ctx.acceptWebSocket(server)
    server.send("hi")
    server.close(1000, "bye")
    assert server.readyState == WebSocket.CLOSING


# -- attachments -------------------------------------------------------------
def test_attachment_round_trip_and_copy():
    _, s = WebSocketPair()
    assert s.deserializeAttachment() is None
    value = {"name": "ada", "tags": ["a"], "raw": b"\x00\xff", "pair": (1, 2), "n": 3.5}
    s.serializeAttachment(value)
    value["tags"].append("changed later")
    got = s.deserializeAttachment()
    assert got == {"name": "ada", "tags": ["a"], "raw": b"\x00\xff", "pair": (1, 2), "n": 3.5}
    got["name"] = "mutated copy"
    assert s.deserializeAttachment()["name"] == "ada"


def test_attachment_size_limit_exact_text():
    _, s = WebSocketPair()
    s.serializeAttachment("x" * 16_382)  # serialized as "\"xxx…\"": 16,384 bytes
    with pytest.raises(Error) as e:
        s.serializeAttachment("x" * 16_383)
    assert str(e.value) == (
        "A WebSocket 'attachment' cannot be larger than 16384 bytes.'attachment' was 16385 bytes."
    )
    assert len(s.deserializeAttachment()) == 16_382  # the old value stays


def test_attachment_rejects_uncloneable():
    from wsguide.core.errors import DataCloneError

    _, s = WebSocketPair()
    with pytest.raises(DataCloneError):
        s.serializeAttachment({"f": lambda: 1})


# -- auto-response and event timeout -------------------------------------------
def test_auto_response_size_limits(ctx):
    ok = WebSocketRequestResponsePair("q" * 2048, "r" * 2048)
    ctx.setWebSocketAutoResponse(ok)
    assert ctx.getWebSocketAutoResponse() is ok
    assert (ok.request, ok.response) == ("q" * 2048, "r" * 2048)
    assert not hasattr(ok, "getRequest") and not hasattr(ok, "getResponse")  # as in workerd
    with pytest.raises(RangeError) as e:
        ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair("é" * 1025, "pong"))
    assert str(e.value) == "Request cannot be larger than 2048 bytes. A request of size 2050 was provided."
    with pytest.raises(RangeError) as e:
        ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair("ping", "r" * 2049))
    assert str(e.value) == "Response cannot be larger than 2048 bytes. A response of size 2049 was provided."
    ctx.setWebSocketAutoResponse()
    assert ctx.getWebSocketAutoResponse() is None


def test_event_timeout_setting(ctx):
    assert ctx.getHibernatableWebSocketEventTimeout() is None
    ctx.setHibernatableWebSocketEventTimeout(5000)
    assert ctx.getHibernatableWebSocketEventTimeout() == 5000
    with pytest.raises(Error) as e:
        ctx.setHibernatableWebSocketEventTimeout(604_800_001)
    assert str(e.value) == "Event timeout should not exceed 604800000 ms."
    ctx.setHibernatableWebSocketEventTimeout(604_800_000)
    ctx.setHibernatableWebSocketEventTimeout(0)
    assert ctx.getHibernatableWebSocketEventTimeout() is None


# -- hooks, through a real object ---------------------------------------------
class Recorder(DurableObject):
    log: list = []

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.memory = "fresh"
        Recorder.log.append(("constructor",))

    async def fetch(self, request):
        client, server = WebSocketPair()
        tags = [t for t in request.url.rsplit("/", 1)[-1].split(",") if t]
        self.ctx.acceptWebSocket(server, tags)
        server.serializeAttachment({"tags": tags})
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        Recorder.log.append(("message", message))
        if message == "memory":
            ws.send(self.memory)
            self.memory = "changed"
        elif message == "whoami":
            ws.send(repr((ws.deserializeAttachment(), self.ctx.getTags(ws))))
        elif message == "close-me":
            ws.close(4000, "asked")
        else:
            ws.send(message)

    async def webSocketClose(self, ws, code, reason, wasClean):
        listed = ws in self.ctx.getWebSockets()
        Recorder.log.append(("close", code, reason, wasClean, listed))
        ws.close(code if code not in (1005, 1006) else 1000, "bye")

    async def webSocketError(self, ws, error):
        Recorder.log.append(("error", str(error)))

    def barrier(self):
        """An RPC: when it returns, every event queued before it has been handled."""
        return "ok"


@pytest.fixture
def rec():
    Recorder.log = []
    return make_ns(Recorder)


async def test_message_hook_gets_str_and_bytes_never_blob(rec):
    c = await connect(rec.getByName("r"))
    c.send("text")
    c.send(b"\x01\x02")
    assert await c.message() == "text"
    assert await c.message() == b"\x01\x02"
    assert Recorder.log[1:] == [("message", "text"), ("message", b"\x01\x02")]
    assert type(Recorder.log[2][1]) is bytes


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
    ctx = rec.instance("a").ctx
    ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair("ping", "pong"))
    server_end = rec.sockets("a")[0]
    assert ctx.getWebSocketAutoResponseTimestamp(server_end) is None
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
    ts = rec.instance("a").ctx.getWebSocketAutoResponseTimestamp(server_end)
    assert isinstance(ts, datetime.datetime) and ts >= before
    rec.instance("a").ctx.setWebSocketAutoResponse()
    assert rec.instance("a").ctx.getWebSocketAutoResponseTimestamp(server_end) == ts


async def test_auto_response_not_sent_after_own_close(rec):
    stub = rec.getByName("b")
    c = await connect(stub)
    ctx = rec.instance("b").ctx
    ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair("ping", "pong"))
    server_end = rec.sockets("b")[0]
    server_end.close(1000, "done")
    c.send("ping")
    assert await c.next("the close") == ("close", 1000, "done", True)
    assert c.items.empty()


async def test_disconnect_is_1006_not_clean(rec):
    c = await connect(rec.getByName("d"))
    server_end = rec.sockets("d")[0]
    # The client end vanishes: the server end sees a disconnect.
    server_end.receive(Disconnect())
    assert await within(rec.getByName("d").barrier(), "the close hook") == "ok"
    assert rec.sockets("d") == []
    assert Recorder.log[-1] == (
        "close", 1006, "WebSocket disconnected without sending Close frame.", False, True
    )


async def test_error_hook(rec):
    c = await connect(rec.getByName("e"))
    server_end = rec.sockets("e")[0]
    server_end.receive(Failure(JsError("boom")))
    assert await within(rec.getByName("e").barrier(), "the error hook") == "ok"
    assert rec.sockets("e") == []
    assert Recorder.log[-1] == ("error", "boom")


async def test_message_over_the_limit_gives_webSocketError_at_readyState_2_then_a_new_instance():
    # workerd (findings F4, golden durable-object-hibernation): webSocketError with readyState 2,
    # no webSocketClose, and the next event runs on a freshly constructed object.
    from websockets.asyncio.client import connect as ws_connect
    from websockets.exceptions import ConnectionClosed

    from wsguide import WorkerEntrypoint, serve

    seen: list[tuple] = []
    got_message = asyncio.Event()

    class Room(DurableObject):
        built = 0

        def __init__(self, ctx, env):
            super().__init__(ctx, env)
            Room.built += 1
            self.n = Room.built

        async def fetch(self, request):
            client, server = WebSocketPair()
            self.ctx.acceptWebSocket(server)
            return Response(None, status=101, web_socket=client)

        def webSocketMessage(self, ws, message):
            seen.append(("message", self.n, message))
            got_message.set()

        def webSocketError(self, ws, error):
            seen.append(("error", self.n, ws.readyState, f"{error.name}: {error}"))

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
    assert seen[0] == ("error", 1, 2, "Error: WebSocket protocol error; protocolError.statusCode = 1009; "
                       f"protocolError.description = Message is too large: {limit + 1} > {limit}")
    assert seen[1] == ("message", 2, "after")

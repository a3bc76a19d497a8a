"""serve(): a 101 couples the returned end to the network connection.

The Workers are Python Workers (``wsguide.workers``, ``wsguide.js``, ``wsguide.ffi``); the
clients are `websockets` or a :class:`RawPeer` that reads exact frames.
"""

from __future__ import annotations

import asyncio
import base64
import os

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from wsguide import serve
from wsguide.ffi import create_proxy
from wsguide.js import WebSocketPair
from wsguide.workers import Response, WorkerEntrypoint

from .helpers import RawPeer, bounded
from .workers import Echo, Raising, Recording


@pytest.fixture
def rec():
    Recording.reset()
    return Recording


async def test_echo_text_to_a_websockets_client():
    async with serve(Echo) as srv, connect(srv.ws_url, proxy=None) as ws:
        await ws.send("hello")
        assert await bounded(ws.recv(), "the echo") == "hello"


async def test_echo_binary_to_a_websockets_client():
    async with serve(Echo) as srv, connect(srv.ws_url, proxy=None) as ws:
        await ws.send(b"\x00\x01\xfe")
        assert await bounded(ws.recv(), "the echo") == b"\x00\x01\xfe"


async def test_messages_keep_their_order():
    async with serve(Echo) as srv, connect(srv.ws_url, proxy=None) as ws:
        for i in range(200):
            await ws.send(str(i))
        got = [await bounded(ws.recv(), f"echo {i}") for i in range(200)]
    assert got == [str(i) for i in range(200)]


async def test_426_reaches_a_websockets_client_as_invalid_status():
    class Refuse(WorkerEntrypoint):
        async def fetch(self, request):
            return Response("Expected Upgrade: websocket", status=426)

    async with serve(Refuse) as srv:
        with pytest.raises(InvalidStatus) as info:
            async with connect(srv.ws_url, proxy=None):
                pass
    assert info.value.response.status_code == 426
    assert bytes(info.value.response.body) == b"Expected Upgrade: websocket"


async def test_guide_check_refuses_upgrade_header_spelled_WebSocket():
    # HTTP tokens are case-insensitive, but the guide's check compares exactly.
    async with serve(Echo) as srv:
        peer = await RawPeer.connect(srv.port, extra_headers={})
        assert peer.status == 101
        peer.close_transport()

        reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            f"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await bounded(reader.readuntil(b"\r\n\r\n"), "the response")
        writer.close()
    assert head.startswith(b"HTTP/1.1 426")


async def test_client_close_code_and_reason_reach_the_worker(rec):
    async with serve(rec) as srv:
        async with connect(srv.ws_url, proxy=None) as ws:
            await ws.close(4000, "bye")
        seen = await rec.wait(lambda s: any(e[0] == "close" for e in s), "a close event")
    close = [e for e in seen if e[0] == "close"][0]
    assert close[2:5] == (4000, "bye", True)


async def test_worker_close_code_and_reason_reach_the_client(rec):
    async with serve(rec) as srv, connect(srv.ws_url, proxy=None) as ws:
        (await rec.socket()).close(4001, "server says bye")
        with pytest.raises(ConnectionClosed) as info:
            await bounded(ws.recv(), "the close")
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (4001, "server says bye")


async def test_worker_close_without_code_is_seen_as_1005(rec):
    async with serve(rec) as srv, connect(srv.ws_url, proxy=None) as ws:
        (await rec.socket()).close()
        with pytest.raises(ConnectionClosed) as info:
            await bounded(ws.recv(), "the close")
    assert info.value.rcvd.code == 1005


async def test_worker_close_code_websockets_would_refuse_still_goes_out(rec):
    # workerd's close() accepts 1000–4999 minus four codes, e.g. 2000; it is sent as is.
    async with serve(rec) as srv:
        peer = await RawPeer.connect(srv.port)
        (await rec.socket()).close(2000, "odd")
        opcode, _rsv1, payload = await peer.read_frame()
        peer.close_transport()
    assert opcode == 0x8
    assert payload == b"\x07\xd0odd"


async def test_client_vanishing_is_1006_not_clean(rec):
    async with serve(rec) as srv:
        peer = await RawPeer.connect(srv.port)
        await rec.socket()
        peer.close_transport()
        seen = await rec.wait(lambda s: any(e[0] == "close" for e in s), "a close event")
    close = [e for e in seen if e[0] == "close"][0]
    assert close[2:5] == (1006, "WebSocket disconnected without sending Close frame.", False)


async def test_auto_reply_makes_ready_state_closed_inside_the_close_listener(rec):
    async with serve(rec) as srv:
        async with connect(srv.ws_url, proxy=None) as ws:
            await ws.close(1000, "done")
        seen = await rec.wait(lambda s: any(e[0] == "close" for e in s), "a close event")
    assert [e for e in seen if e[0] == "close"][0][6] == 3


async def test_allow_half_open_leaves_ready_state_closing_in_the_listener(rec):
    rec.allow_half_open = True
    async with serve(rec) as srv:
        ws = await connect(srv.ws_url, proxy=None)
        closing = asyncio.ensure_future(ws.close(1000, "done"))
        seen = await rec.wait(lambda s: any(e[0] == "close" for e in s), "a close event")
        rec.sockets[0].close(4002, "server done")  # the Worker answers when it wants
        await bounded(closing, "the closing handshake")
    assert [e for e in seen if e[0] == "close"][0][6] == 2


async def test_with_allow_half_open_the_client_gets_the_workers_own_close(rec):
    rec.allow_half_open = True
    async with serve(rec) as srv:
        ws = await connect(srv.ws_url, proxy=None)
        closing = asyncio.ensure_future(ws.close(1000, "done"))
        await rec.wait(lambda s: any(e[0] == "close" for e in s), "a close event")
        rec.sockets[0].close(4002, "server done")
        await bounded(closing, "the closing handshake")
    assert (ws.close_code, ws.close_reason) == (4002, "server done")


async def test_the_automatic_reply_echoes_the_clients_code_after_pending_messages(rec):
    async with serve(rec) as srv:
        ws = await connect(srv.ws_url, proxy=None)
        await ws.send("one")
        await ws.close(4000, "bye")
        seen = await rec.wait(lambda s: any(e[0] == "close" for e in s), "a close event")
    assert [e[0] for e in seen][:2] == ["message", "close"]
    assert (ws.close_code, ws.close_reason) == (4000, "bye")


async def test_frames_sent_before_accept_wait_and_arrive_after():
    accepted = asyncio.Event()
    returned = asyncio.Event()
    got: list[str] = []
    holder: list = []

    class Late(WorkerEntrypoint):
        async def fetch(self, request):
            client, server = WebSocketPair.new().object_values()
            holder.append(server)

            def on_message(event):
                got.append(event.data)
                if len(got) == 3:
                    accepted.set()

            server.addEventListener("message", create_proxy(on_message))
            returned.set()
            return Response(None, status=101, web_socket=client)

    async with serve(Late) as srv, connect(srv.ws_url, proxy=None) as ws:
        for m in ("a", "b", "c"):
            await ws.send(m)
        await bounded(returned.wait(), "the Worker's socket")
        assert got == []  # nobody reads until accept()
        holder[0].accept()
        await bounded(accepted.wait(), "the three early messages")
    assert got == ["a", "b", "c"]


async def test_subprotocol_comes_from_the_workers_response(rec):
    rec.protocol = "b"
    async with serve(rec) as srv, connect(srv.ws_url, proxy=None, subprotocols=["a", "b"]) as ws:
        assert ws.subprotocol == "b"


async def test_subprotocol_is_never_auto_selected(rec):
    async with serve(rec) as srv, connect(srv.ws_url, proxy=None, subprotocols=["a", "b"]) as ws:
        assert ws.subprotocol is None
        assert ws.response.headers.get("Sec-WebSocket-Protocol") is None


async def test_message_over_32_mib_gives_error_event_then_close_1009(rec):
    limit = 32 * 1024 * 1024
    async with serve(rec) as srv:
        peer = await RawPeer.connect(srv.port)
        await rec.socket()
        peer.send_frame(0x2, b"\x00" * (limit + 1))
        opcode, _rsv1, payload = await peer.read_frame()
        peer.send_frame(0x8, payload[:2])  # answer the Close, as a real client does
        peer.close_transport()
        seen = await rec.wait(lambda s: any(e[0] == "error" for e in s), "an error event")
    assert opcode == 0x8
    assert int.from_bytes(payload[:2], "big") == 1009
    error = [e for e in seen if e[0] == "error"][0]
    assert error[5] == (
        "Uncaught Error: WebSocket protocol error; protocolError.statusCode = 1009; "
        f"protocolError.description = Message is too large: {limit + 1} > {limit}"
    )
    assert error[6] == 3  # readyState after an error


async def test_message_of_exactly_32_mib_is_delivered(rec):
    limit = 32 * 1024 * 1024
    async with serve(rec) as srv:
        peer = await RawPeer.connect(srv.port)
        peer.send_frame(0x2, b"\x01" * limit)
        seen = await rec.wait(lambda s: any(e[0] == "message" for e in s), "the big message")
        peer.close_transport()
    assert seen[0][0] == "message"


async def test_raising_listener_drops_that_connection_and_others_keep_working():
    # On Python Workers the exception is reported as uncaught and the connection is dropped
    # without a Close frame (deviations row 5, golden listener_raises in tests/pyodide_workerd);
    # wsguide used to close it with 1011, which workerd never sends here.
    async with serve(Raising, echo_log=False) as srv:
        async with connect(srv.ws_url, proxy=None) as bystander, connect(srv.ws_url, proxy=None) as victim:
            await victim.send("boom")
            with pytest.raises(ConnectionClosed) as info:
                await bounded(victim.recv(), "the connection to drop")
            await bystander.send("still here")
            assert await bounded(bystander.recv(), "the bystander's reply") == "ok:still here"
    assert info.value.rcvd is None  # no Close frame came: the client sees 1006
    assert victim.close_code == 1006
    assert any("RuntimeError: listener bug" in t for t in srv.log.texts("error"))


async def test_closing_the_server_closes_open_sockets_with_1001():
    async with serve(Echo) as srv:
        ws = await connect(srv.ws_url, proxy=None)
    with pytest.raises(ConnectionClosed) as info:
        await bounded(ws.recv(), "the close")
    assert info.value.rcvd.code == 1001


async def test_returning_an_accepted_end_sends_101_then_drops_the_connection():
    class Wrong(WorkerEntrypoint):
        async def fetch(self, request):
            client, server = WebSocketPair.new().object_values()
            client.accept()
            return Response(None, status=101, web_socket=client)

    async with serve(Wrong, echo_log=False) as srv:
        peer = await RawPeer.connect(srv.port)
        rest = await bounded(peer.reader.read(), "the connection to drop")
    assert peer.status == 101
    assert rest == b""  # no Close frame: the TCP connection just ends
    assert str(srv.errors[0]) == "Can't return WebSocket in a Response after calling accept()."


async def test_101_has_no_date_or_server_header():
    async with serve(Echo) as srv:
        peer = await RawPeer.connect(srv.port)
        peer.close_transport()
    assert "date" not in peer.headers
    assert "server" not in peer.headers


async def test_too_big_close_reason_is_workerds_text(rec):
    limit = 32 * 1024 * 1024
    async with serve(rec) as srv:
        peer = await RawPeer.connect(srv.port)
        peer.send_frame(0x2, b"\x00" * (limit + 1))
        opcode, _rsv1, payload = await peer.read_frame()
        peer.close_transport()
    assert opcode == 0x8
    assert payload[2:].decode() == f"Message is too large: {limit + 1} > {limit}"


async def test_reason_over_123_bytes_goes_on_the_wire_when_the_limit_is_off():
    class LongReason(WorkerEntrypoint):
        async def fetch(self, request):
            client, server = WebSocketPair.new().object_values()
            server.accept()
            server.close(1000, "x" * 124)
            return Response(None, status=101, web_socket=client)

    # workerd sends the 126-byte Close payload as is (golden close-invalid-codes--no-reason-limit).
    async with serve(LongReason, compatibility_flags=["no_websocket_close_reason_byte_limit"]) as srv:
        peer = await RawPeer.connect(srv.port)
        opcode, _rsv1, payload = await bounded(peer.read_frame(), "the Close frame")
        peer.close_transport()
    assert opcode == 0x8
    assert payload == (1000).to_bytes(2, "big") + b"x" * 124


async def test_allowed_origins_refuse_a_page_from_elsewhere():
    async with serve(Echo, allowed_origins=["http://class.example:8787"]) as srv:
        with pytest.raises(InvalidStatus) as info:
            async with connect(srv.ws_url, proxy=None, origin="http://evil.example"):
                pass
        async with connect(srv.ws_url, proxy=None, origin="http://class.example:8787") as ws:
            await ws.send("allowed")
            assert await bounded(ws.recv(), "the echo") == "allowed"
    assert info.value.response.status_code == 403


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 200_000])
async def test_echo_keeps_every_frame_length_intact(size):
    payload = bytes(range(256)) * (size // 256 + 1)
    async with serve(Echo) as srv, connect(srv.ws_url, proxy=None, compression=None, max_size=None) as ws:
        await ws.send(payload[:size])
        assert await bounded(ws.recv(), "the echo") == payload[:size]
        await ws.send("t" * size)
        assert await bounded(ws.recv(), "the text echo") == "t" * size


async def test_one_message_sent_to_many_members_arrives_intact_at_each():
    members: list = []  # test plumbing: a deployed room keeps its members in a Durable Object
    full = asyncio.Event()

    class Room(WorkerEntrypoint):
        async def fetch(self, request):
            client, server = WebSocketPair.new().object_values()
            server.accept()
            members.append(server)
            if len(members) == 4:
                full.set()

            def broadcast(event):
                for peer in members:
                    peer.send(event.data)  # the same str object to every member

            server.addEventListener("message", create_proxy(broadcast))
            return Response(None, status=101, web_socket=client)

    async with serve(Room) as srv:
        clients = [await connect(srv.ws_url, proxy=None, compression=None) for _ in range(3)]
        deflate = await connect(srv.ws_url, proxy=None)  # this one compresses: no shared frame
        await bounded(full.wait(), "four members")
        await clients[0].send("hello room")
        got = [await bounded(c.recv(), "the broadcast") for c in [*clients, deflate]]
        for c in [*clients, deflate]:
            await c.close()
    assert got == ["hello room"] * 4

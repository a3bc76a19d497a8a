"""The WebSocket leg on a real socket: closing, limits, a vanished handshake, bounded memory.

A :class:`RawPeer` writes exact frames and reads exact frames, so these tests see the wire.
The Workers are Python Workers (``wsguide.workers``, ``wsguide.js``, ``wsguide.ffi``).
"""

from __future__ import annotations

import asyncio
import gc
import base64
import os
import struct
import zlib

import pytest

from wsguide import serve
from wsguide.ffi import create_proxy, to_js
from wsguide.js import WebSocketPair
from wsguide.workers import Response, WorkerEntrypoint

from .helpers import Limits, RawPeer, bounded, open_http, read_answer, request_bytes
from .workers import Recording, Slow

LIMIT = 32 * 1024 * 1024
OP_TEXT, OP_BINARY, OP_CONT, OP_CLOSE, OP_PING = 0x1, 0x2, 0x0, 0x8, 0x9
GONE = (1006, "WebSocket disconnected without sending Close frame.", False)
HANDSHAKE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
             "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode()}


@pytest.fixture
def rec():
    Recording.reset()
    return Recording


# ------------------------------------------------------------------ the closing handshake
async def test_frames_after_the_peers_close_are_discarded(rec):
    # Autobahn 7.1.3 (a ping after the Close) and 7.1.4 (a message after the Close).
    async with serve(rec) as srv:
        peer = await RawPeer.connect(srv.port)
        await rec.socket()
        peer.send_frame(OP_CLOSE, struct.pack("!H", 1000) + b"bye")
        peer.send_frame(OP_PING, b"are you there")
        peer.send_frame(OP_TEXT, b"too late")
        opcode, _, payload = await peer.read_frame()
        rest = await bounded(peer.reader.read(), "the server to end the connection")
        peer.close_transport()
    assert (opcode, payload) == (OP_CLOSE, struct.pack("!H", 1000) + b"bye")  # the Worker's auto-reply
    assert rest == b""  # no Pong, no echo, nothing after the Close
    assert [e[0] for e in rec.seen] == ["close"]


async def test_the_worker_may_still_send_after_the_peers_close_under_allow_half_open(rec):
    rec.allow_half_open = True
    async with serve(rec) as srv:
        peer = await RawPeer.connect(srv.port)
        server = await rec.socket()
        peer.send_frame(OP_CLOSE, struct.pack("!H", 4000) + b"client done")
        await rec.wait(lambda s: any(e[0] == "close" for e in s), "the peer's close")
        server.send("a last word")
        server.close(4001, "server done")
        frames = [await peer.read_frame(), await peer.read_frame()]
        peer.close_transport()
    assert frames == [(OP_TEXT, False, b"a last word"), (OP_CLOSE, False, struct.pack("!H", 4001) + b"server done")]


async def test_an_empty_close_from_the_worker_is_an_empty_close_frame(rec):
    async with serve(rec) as srv:
        peer = await RawPeer.connect(srv.port)
        (await rec.socket()).close()
        frame = await peer.read_frame()
        peer.close_transport()
    assert frame == (OP_CLOSE, False, b"")


# ------------------------------------------------------------------ workerd's 1009 reasons
async def test_a_fragmented_message_over_the_limit_reports_the_frame_and_the_room_left(rec):
    # kj checks each frame against what the message still has room for (http.c++, receive()).
    first = 20 * 1024 * 1024
    async with serve(rec) as srv:
        peer = await RawPeer.connect(srv.port)
        await rec.socket()
        peer.send_frame(OP_BINARY, b"\x00" * first, fin=False)
        peer.send_frame(OP_CONT, b"\x00" * first)
        opcode, _, payload = await peer.read_frame()
        peer.close_transport()
    assert opcode == OP_CLOSE
    assert payload == struct.pack("!H", 1009) + f"Message is too large: {first} > {LIMIT - first}".encode()


async def test_a_compressed_message_that_inflates_over_the_limit_says_so(rec):
    # kj's decompressor reports "Message is too large" without numbers (ZlibContext::processLoop).
    deflater = zlib.compressobj(wbits=-15)
    data = deflater.compress(b"\x00" * (LIMIT + 1)) + deflater.flush(zlib.Z_SYNC_FLUSH)
    async with serve(rec) as srv:
        peer = await RawPeer.connect(srv.port, extra_headers={"Sec-WebSocket-Extensions": "permessage-deflate"})
        await rec.socket()
        peer.send_frame(OP_BINARY, data[:-4], rsv1=True)
        opcode, _, payload = await peer.read_frame()
        peer.close_transport()
        seen = await rec.wait(lambda s: any(e[0] == "error" for e in s), "the error event")
    assert (opcode, payload) == (OP_CLOSE, struct.pack("!H", 1009) + b"Message is too large")
    assert [e for e in seen if e[0] == "error"][0][5] == (
        "Uncaught Error: WebSocket protocol error; protocolError.statusCode = 1009; "
        "protocolError.description = Message is too large"
    )


async def test_invalid_utf8_fails_with_1007_and_an_error_event(rec):
    async with serve(rec) as srv:
        peer = await RawPeer.connect(srv.port)
        await rec.socket()
        peer.send_frame(OP_TEXT, b"ok \xff not utf-8")
        opcode, _, payload = await peer.read_frame()
        peer.close_transport()
        seen = await rec.wait(lambda s: any(e[0] == "error" for e in s), "the error event")
    assert opcode == OP_CLOSE and payload[:2] == struct.pack("!H", 1007)
    assert "protocolError.statusCode = 1007" in [e for e in seen if e[0] == "error"][0][5]


async def test_a_close_read_together_with_invalid_utf8_gets_only_the_1007(rec):
    # Both frames come in one read. websockets parses the Close and answers it, but the connection
    # failed first: the one Close on the wire is the 1007, not websockets' answer.
    bad = struct.pack("!BB", 0x80 | OP_TEXT, 0x80 | 2) + bytes(4) + b"\xff\xfe"  # a zero mask
    close = struct.pack("!BB", 0x80 | OP_CLOSE, 0x80 | 5) + bytes(4) + struct.pack("!H", 1000) + b"bye"
    async with serve(rec) as srv:
        peer = await RawPeer.connect(srv.port)
        await rec.socket()
        peer.writer.write(bad + close)
        opcode, _, payload = await peer.read_frame()
        rest = await bounded(peer.reader.read(), "the server to end the connection")
        peer.close_transport()
    assert (opcode, payload[:2]) == (OP_CLOSE, struct.pack("!H", 1007))
    assert rest == b""


# ------------------------------------------------------------------ a 101 that never arrives
async def test_a_failed_handshake_after_the_101_is_kjs_400_and_the_socket_sees_1006(rec):
    async with serve(rec, echo_log=False) as srv:
        reader, writer = await open_http(srv.port)
        writer.write(request_bytes("GET", "/", {"Upgrade": "websocket", "Connection": "Upgrade",
                                                "Sec-WebSocket-Version": "13"}))
        answer = await read_answer(reader)
        writer.close()
        seen = await rec.wait(lambda s: any(e[0] == "close" for e in s), "the socket's close event")
    assert (answer.status, answer.body) == (400, b"ERROR: Missing Sec-WebSocket-Key")
    assert [e[2:5] for e in seen if e[0] == "close"] == [GONE]
    assert "Missing Sec-WebSocket-Key" in srv.log.texts("warn")[0]


async def test_a_client_that_leaves_before_the_101_leaves_no_open_socket():
    got: list = []
    closed = asyncio.Event()
    Slow.reset()

    class LateUpgrade(WorkerEntrypoint):
        async def fetch(self, request):
            client, server = WebSocketPair.new().object_values()
            server.accept()

            def on_close(event):
                got.append((event.code, event.reason, event.wasClean))
                closed.set()

            server.addEventListener("close", create_proxy(on_close))
            Slow.started.set()
            await Slow.release.wait()
            return Response(None, status=101, web_socket=client)

    async with serve(LateUpgrade, echo_log=False) as srv:
        noticed = asyncio.Event()
        srv.log.watch(lambda line: noticed.set() if line.level == "warn" else None)
        reader, writer = await open_http(srv.port)
        writer.write(request_bytes("GET", "/", HANDSHAKE))
        await bounded(Slow.started.wait(), "the Worker's fetch")
        writer.transport.abort()  # the client gives up before the 101
        await bounded(noticed.wait(), "the server to notice")
        Slow.release.set()
        await bounded(closed.wait(), "the socket's close event")
    assert got == [GONE]


# ------------------------------------------------------------------ bounded memory
async def test_a_peer_that_does_not_read_is_dropped_with_an_error_in_the_log():
    closes: list = []
    dropped = asyncio.Event()

    class Flood(WorkerEntrypoint):
        async def fetch(self, request):
            client, server = WebSocketPair.new().object_values()
            server.accept()

            def on_close(event):
                closes.append((event.code, event.wasClean))
                dropped.set()

            def flood(event):
                for _ in range(400):
                    server.send(to_js(b"x" * 65536))  # 25 MiB, far more than the peer reads

            server.addEventListener("close", create_proxy(on_close))
            server.addEventListener("message", create_proxy(flood))
            return Response(None, status=101, web_socket=client)

    async with serve(Flood, echo_log=False, limits=Limits(unsent=1024 * 1024)) as srv:
        peer = await RawPeer.connect(srv.port)  # reads nothing from now on
        peer.send_frame(OP_TEXT, b"go")
        await bounded(dropped.wait(), "the socket to be dropped")
        peer.close_transport()
    assert closes == [(1006, False)]
    [line] = srv.log.texts("error")
    assert line.startswith("A WebSocket peer stopped reading: ")
    assert "over the limit of 1,048,576" in line


async def test_nothing_is_read_before_the_socket_is_accepted():
    holder: list = []

    class Never(WorkerEntrypoint):
        async def fetch(self, request):
            client, server = WebSocketPair.new().object_values()
            holder.append(server)  # kept so that the socket lives on, never accepted
            return Response(None, status=101, web_socket=client)

    async with serve(Never) as srv:
        peer = await RawPeer.connect(srv.port)  # the 101 came: the Worker's fetch has returned
        assert len(holder) == 1
        [leg] = list(srv._legs)
        for _ in range(200):
            peer.send_frame(OP_TEXT, b"x" * 1024)
        await peer.writer.drain()
        reading = leg.transport.is_reading()
        held, parsed = bytes(leg._held), list(leg._inbox)
        peer.close_transport()
    # The frames wait in the network (the kernel's buffers), not in the server.
    assert (reading, held, parsed) == (False, b"", [])


# ------------------------------------------------------------------ a finished connection is freed
def _alive(kind: type) -> int:
    return sum(1 for o in gc.get_objects() if type(o) is kind)


@pytest.fixture
def no_cyclic_gc():
    """Only reference counting frees objects in the test: what waits for a full collection stays."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def _compressed_exchanges(srv, rec, count: int) -> None:
    for index in range(count):
        peer = await RawPeer.connect(srv.port, extra_headers={"Sec-WebSocket-Extensions": "permessage-deflate"})
        assert peer.headers["sec-websocket-extensions"].startswith("permessage-deflate")
        deflate = zlib.compressobj(wbits=-15)
        data = deflate.compress(b"squeeze me " * 20) + deflate.flush(zlib.Z_SYNC_FLUSH)
        peer.send_frame(OP_TEXT, data[:-4], rsv1=True)
        peer.send_frame(OP_CLOSE, struct.pack("!H", 1000))
        await bounded(peer.reader.read(), "the server to end the connection")
        peer.close_transport()
        await rec.wait(lambda s: sum(e[0] == "close" for e in s) > index, f"close #{index}")


async def test_a_finished_connection_lets_go_of_its_zlib_streams_at_once(rec, no_cyclic_gc):
    # websockets' PerMessageDeflate holds ~200 KiB of zlib state; its protocol object sits in a
    # reference cycle, so without the release the state would wait for a full collection.
    from websockets.extensions.permessage_deflate import PerMessageDeflate

    before = _alive(PerMessageDeflate)
    async with serve(rec) as srv:
        await _compressed_exchanges(srv, rec, 3)
    held = _alive(PerMessageDeflate) - before  # the connections are over; the Worker holds its sockets
    assert len(rec.sockets) == 3
    assert [e[1] for e in rec.seen if e[0] == "message"] == ["squeeze me " * 20] * 3
    assert held == 0


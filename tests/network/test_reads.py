"""Reads go into one buffer per thread (``wsguide.net.reads``): what each connection got is its own.

The buffer is shared by every connection of a thread, so each read must be copied out
before the next one. These tests send different bytes on several real sockets at once and
check that each protocol received exactly its own, in order.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from pathlib import Path

import websockets

from wsguide import serve
from wsguide.ffi import create_proxy
from wsguide.js import WebSocket
from wsguide.net.http1 import HttpConnection
from wsguide.net.leg import WebSocketLeg
from wsguide.net.reads import READ_SIZE, SharedReadBuffer

from wsguide.workers import Response, WorkerEntrypoint

from .helpers import bounded

#: A self-signed certificate for 127.0.0.1 (valid until 2126) and its key, for tests only.
LOCALHOST_PEM = Path(__file__).with_name("localhost.pem")


class Collecting(SharedReadBuffer):
    """Keeps every ``data_received`` chunk, and the buffers it was handed."""

    def __init__(self, done: asyncio.Event, expected: int) -> None:
        self.chunks: list[bytes] = []
        self.buffers: set[int] = set()
        self._done, self._expected = done, expected

    def get_buffer(self, sizehint: int) -> memoryview:
        buffer = super().get_buffer(sizehint)
        self.buffers.add(id(buffer.obj))
        return buffer

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        if sum(map(len, self.chunks)) >= self._expected:
            self._done.set()


async def test_each_connection_gets_its_own_bytes_though_they_share_the_buffer():
    payloads = [bytes([n]) * 300_000 + b"end %d" % n for n in range(4)]  # more than one read each
    done = [asyncio.Event() for _ in payloads]
    protocols: list[Collecting] = []

    def factory() -> Collecting:
        protocol = Collecting(done[len(protocols)], len(payloads[len(protocols)]))
        protocols.append(protocol)
        return protocol

    server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    writers = []
    for payload in payloads:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writers.append(writer)
    for offset in range(0, 300_010, 50_000):  # interleaved: the reads of all four alternate
        for writer, payload in zip(writers, payloads):
            writer.write(payload[offset : offset + 50_000])
        await asyncio.gather(*(w.drain() for w in writers))
    for event in done:
        await bounded(event.wait(), "every byte to arrive")
    for writer in writers:
        writer.close()
    server.close()
    await server.wait_closed()
    assert sorted(b"".join(p.chunks) for p in protocols) == sorted(payloads)
    assert len({buffer for p in protocols for buffer in p.buffers}) == 1  # one buffer for all of them
    assert all(type(chunk) is bytes for p in protocols for chunk in p.chunks)


def test_a_read_asks_for_asyncios_own_read_size():
    assert len(SharedReadBuffer().get_buffer(-1)) == READ_SIZE == 256 * 1024


def test_each_thread_has_its_own_buffer():
    seen: list[object] = []  # the buffers themselves: an id could be reused once a thread's is freed

    def take() -> None:
        seen.append(SharedReadBuffer().get_buffer(-1).obj)

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    take()
    assert len({id(buffer) for buffer in seen}) == 3


def test_the_servers_connections_read_into_the_shared_buffer():
    assert issubclass(HttpConnection, SharedReadBuffer)
    assert issubclass(WebSocketLeg, SharedReadBuffer)


async def test_a_wss_socket_reads_through_tls_into_the_shared_buffer(monkeypatch):
    # asyncio's TLS layer feeds a BufferedProtocol through get_buffer too: a message larger
    # than one read, and one after it, arrive whole and in order.
    monkeypatch.setenv("SSL_CERT_FILE", str(LOCALHOST_PEM))  # the client trusts the test certificate
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(LOCALHOST_PEM)
    got: list[str] = []
    both = asyncio.Event()  # both messages came back, or the socket closed

    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    class Client(WorkerEntrypoint):
        async def fetch(self, request):
            ws = WebSocket.new(f"wss://127.0.0.1:{port}/")

            def on_open(event):
                ws.send("x" * 300_000)
                ws.send("after it")

            def on_message(event):
                got.append(event.data)
                if len(got) == 2:
                    both.set()

            def on_close(event):  # before both came back: the TLS handshake failed, or the echo server left
                if not both.is_set():
                    got.append(f"closed: {event.code} {event.reason}")
                    both.set()

            ws.addEventListener("open", create_proxy(on_open))
            ws.addEventListener("message", create_proxy(on_message))
            ws.addEventListener("close", create_proxy(on_close))
            await both.wait()
            return Response("done")

    async with websockets.serve(echo, "127.0.0.1", 0, ssl=tls, max_size=2**25) as tls_server:
        port = tls_server.sockets[0].getsockname()[1]
        async with serve(Client, port=0, echo_log=False) as srv:
            reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
            writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            answer = await bounded(reader.read(), "the Worker's response")
            writer.close()
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"done")
    assert got == ["x" * 300_000, "after it"]

"""Reads go into one buffer per thread (``wsguide.net.reads``): what each connection got is its own.

The buffer is shared by every connection of a thread, so each read must be copied out
before the next one. These tests send different bytes on several real sockets at once and
check that each protocol received exactly its own, in order.
"""

from __future__ import annotations

import asyncio
import threading

from wsguide.net.http1 import HttpConnection
from wsguide.net.leg import WebSocketLeg
from wsguide.net.reads import READ_SIZE, SharedReadBuffer

from .helpers import bounded


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

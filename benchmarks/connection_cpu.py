#!/usr/bin/env python3
"""CPU per connection of the server's own code: one connect-storm connection's whole life, no sockets.

    .venv/bin/python benchmarks/connection_cpu.py [--count 5000]

Drives the server's real protocols (the HTTP connection on h11, the Worker of
``servers/wsguide_server.py`` in the Python Workers dialect, the 101, the WebSocket
leg, the peer's Close and the Worker's automatic reply) through a transport that
only records what is written. Without the kernel and the load client, the figure
is steadier than the connect storm of ``run.py`` on a shared machine; it is the
storm's own code path. Prints the minimum, quartile and median of the CPU time per
connection over batches of 500.

``--messages``: the echo's code path instead. One connection is upgraded, then 64-byte
binary frames are fed to its WebSocket leg; each goes through the Worker's listener
(``server.send(event.data)``) to one write. Prints the CPU time per message.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE / "servers")]

from wsguide import serve  # noqa: E402
from wsguide_server import Bench, BenchRoom  # noqa: E402

REQ = (b"GET /echo HTTP/1.1\r\nHost: 127.0.0.1:8799\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
#: The client's Close 1000, masked with 01 02 03 04.
CLOSE = b"\x88\x82\x01\x02\x03\x04" + bytes(c ^ m for c, m in zip(b"\x03\xe8", b"\x01\x02"))


class RecordingTransport(asyncio.Transport):
    """Keeps what the server writes; closing calls the protocol's connection_lost soon, as asyncio does."""

    def __init__(self, loop: asyncio.AbstractEventLoop, protocol: asyncio.Protocol) -> None:
        super().__init__()
        self._loop, self._protocol = loop, protocol
        self._closing = False
        self._reading = True
        self.out: list[bytes] = []
        self.wrote = asyncio.Event()

    def set_protocol(self, protocol): self._protocol = protocol  # noqa: E704
    def get_protocol(self): return self._protocol  # noqa: E704
    def is_closing(self): return self._closing  # noqa: E704
    def abort(self): self.close()  # noqa: E704
    def can_write_eof(self): return True  # noqa: E704
    def write_eof(self): pass  # noqa: E704
    def set_write_buffer_limits(self, high=None, low=None): pass  # noqa: E704
    def get_write_buffer_size(self): return 0  # noqa: E704
    def is_reading(self): return self._reading  # noqa: E704
    def pause_reading(self): self._reading = False  # noqa: E704
    def resume_reading(self): self._reading = True  # noqa: E704

    def write(self, data) -> None:
        self.out.append(bytes(data))
        self.wrote.set()

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._loop.call_soon(self._protocol.connection_lost, None)

    def get_extra_info(self, name, default=None):
        return ("127.0.0.1", 1) if name == "peername" else default

    async def written(self, count: int) -> bytes:
        """The ``count``-th write, once it has happened."""
        while len(self.out) < count:
            self.wrote.clear()
            await self.wrote.wait()
        return self.out[count - 1]


async def start():
    """The benchmark server (the Worker of servers/wsguide_server.py), without compression."""
    return await serve(Bench, port=0, compatibility_flags=["no_web_socket_compression"], echo_log=False,
                       durable_objects={"ROOMS": BenchRoom}, persist=False)


async def upgraded(srv, loop: asyncio.AbstractEventLoop) -> RecordingTransport:
    """A new connection, upgraded: its protocol is the WebSocket leg once this returns."""
    http = srv._connection()
    transport = RecordingTransport(loop, http)
    http.connection_made(transport)
    http.data_received(REQ)
    assert (await transport.written(1)).startswith(b"HTTP/1.1 101")
    return transport


async def one(srv, loop: asyncio.AbstractEventLoop) -> None:
    """One connection: upgrade, the peer's Close, the Worker's reply, the end of the connection."""
    transport = await upgraded(srv, loop)
    transport.get_protocol().data_received(CLOSE)
    assert (await transport.written(2))[:1] == b"\x88"
    transport.get_protocol().eof_received()
    transport.close()
    lost = loop.create_future()
    loop.call_soon(lost.set_result, None)  # after connection_lost, queued by close()
    await lost


async def main(count: int) -> None:
    srv = await start()
    loop = asyncio.get_running_loop()
    per = []
    async with asyncio.timeout(600):  # a bound on the whole run, not a deadline per connection
        for _ in range(500):  # warm up
            await one(srv, loop)
        for _ in range(max(1, count // 500)):
            t0 = time.process_time()
            for _ in range(500):
                await one(srv, loop)
            per.append((time.process_time() - t0) / 500 * 1e6)
    per.sort()
    print(f"CPU per connection (us): min {per[0]:.1f}  p25 {per[len(per) // 4]:.1f}  median {per[len(per) // 2]:.1f}")
    await srv.close()


def client_frame(payload: bytes) -> bytes:
    """A binary frame as a client sends it (masked with 01 02 03 04), payload under 126 bytes."""
    mask = b"\x01\x02\x03\x04"
    return bytes([0x82, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def messages(count: int) -> None:
    srv = await start()
    transport = await upgraded(srv, asyncio.get_running_loop())
    leg = transport.get_protocol()
    frame = client_frame(b"x" * 64)
    for _ in range(2000):  # warm up
        leg.data_received(frame)
    t0 = time.process_time()
    for _ in range(count):
        leg.data_received(frame)  # one connection open, nothing held (net/outbox.py): one write per frame
    per = (time.process_time() - t0) / count * 1e6
    assert len(transport.out) == 1 + 2000 + count, "every message was echoed"
    print(f"CPU per echoed message (us): {per:.2f}")
    leg.data_received(CLOSE)  # end it as one() does, so the server's close has nothing to wait for
    leg.eof_received()
    transport.close()
    await srv.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=5000)
    p.add_argument("--messages", action="store_true", help="the echo's path: CPU per message on one connection")
    a = p.parse_args()
    asyncio.run(messages(a.count * 10) if a.messages else main(a.count))

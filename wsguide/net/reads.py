"""Reading from sockets into one buffer per thread, not into a new one per read.

asyncio's socket transport reads with ``sock.recv(256 KiB)`` for a plain
:class:`asyncio.Protocol`: every read allocates 256 KiB and shrinks it to what
came. An allocation that large is above glibc's ``mmap`` threshold, so on Linux
one echoed message cost three more system calls (``mmap``, ``mremap``,
``munmap``) and a page fault, in raw ``websockets`` as well (``strace -c``,
benchmarks/RESULTS.md).

A :class:`asyncio.BufferedProtocol` gives the transport the buffer to read into
(``recv_into``). :class:`SharedReadBuffer` hands out one 256 KiB buffer per
thread: an event loop runs in one thread, and the transport calls
``buffer_updated`` right after the read, before any other read on that loop, so
the bytes are copied out (only as many as came) before the buffer is used again.
The protocols keep their ``data_received(data)``: ``buffer_updated`` calls it
with those bytes.
"""

from __future__ import annotations

import asyncio
import threading

__all__ = ["READ_SIZE", "SharedReadBuffer"]

#: Bytes asked for per read: asyncio's own read size for a plain Protocol.
READ_SIZE = 256 * 1024

_local = threading.local()


def _view() -> memoryview:
    try:
        return _local.view  # type: ignore[no-any-return]
    except AttributeError:
        view = _local.view = memoryview(bytearray(READ_SIZE))
        return view


class SharedReadBuffer(asyncio.BufferedProtocol):
    """A protocol whose reads go into its thread's buffer, then to ``data_received`` as bytes."""

    def get_buffer(self, sizehint: int) -> memoryview:
        return _view()

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(bytes(_local.view[:nbytes]))

    def data_received(self, data: bytes) -> None:
        raise NotImplementedError

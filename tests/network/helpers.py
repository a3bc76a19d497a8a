"""Shared helpers for loopback tests: bounded waits, an event recorder and raw peers.

The few wsguide internals these tests need are imported here, and only here, so that a
change of layout in wsguide touches one file.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from typing import Any

from wsguide.ffi import create_proxy

# -- wsguide internals the tests use (not part of the dialect a Worker is written in) -------
from wsguide.http import Response as RawResponse  # the runtime's JavaScript Response (pyodide=False)
from wsguide.net import Limits  # the server's sizes and timeouts (serve(..., limits=...))
from wsguide.sdk.http import AbortError  # pyodide.http.AbortError: what a failed fetch() raises

#: Every wait in these tests is bounded by this many seconds (scaled on slow machines).
TIMEOUT = 5.0 * float(os.environ.get("WSGUIDE_TIMEOUT_FACTOR", "1"))


class Recorder:
    """Collects the events of a WebSocket (a ``JsProxy``, as Python Workers see one) and lets a
    test wait for them. Its listener is a ``create_proxy``, as any listener must be."""

    def __init__(self, ws: Any = None, types=("open", "message", "close", "error")) -> None:
        self.events: list[Any] = []
        self._changed = asyncio.Event()
        self.listener = create_proxy(self.record)
        if ws is not None:
            self.attach(ws, types)

    def attach(self, ws: Any, types=("open", "message", "close", "error")) -> None:
        for t in types:
            ws.addEventListener(t, self.listener)

    def record(self, event: Any) -> None:
        self.events.append(event)
        self._changed.set()

    async def wait_for(self, type: str, count: int = 1, what: str = "") -> list[Any]:
        """Wait until `count` events of `type` arrived; fail clearly after TIMEOUT."""
        try:
            async with asyncio.timeout(TIMEOUT):
                while True:
                    found = [e for e in self.events if e.type == type]
                    if len(found) >= count:
                        return found
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            got = ", ".join(repr(e) for e in self.events) or "nothing"
            raise AssertionError(
                f"waited {TIMEOUT}s for {count} {type!r} event(s){' ' + what if what else ''}; got {got}"
            ) from None

    def types(self) -> list[str]:
        return [e.type for e in self.events]


async def bounded(awaitable: Any, what: str) -> Any:
    try:
        async with asyncio.timeout(TIMEOUT):
            return await awaitable
    except TimeoutError:
        raise AssertionError(f"timed out after {TIMEOUT}s waiting for {what}") from None


class RawPeer:
    """A minimal WebSocket client over a raw TCP stream, to look at real frames."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.status = 0
        self.headers: dict[str, str] = {}

    @classmethod
    async def connect(cls, port: int, path: str = "/", extra_headers: dict[str, str] | None = None) -> "RawPeer":
        reader, writer = await bounded(asyncio.open_connection("127.0.0.1", port), "TCP connect")
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        for name, value in (extra_headers or {}).items():
            lines.append(f"{name}: {value}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        peer = cls(reader, writer)
        head = await bounded(reader.readuntil(b"\r\n\r\n"), "the handshake response")
        status_line, *header_lines = head.decode().split("\r\n")
        peer.status = int(status_line.split()[1])
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                peer.headers[name.strip().lower()] = value.strip()
        return peer

    def send_frame(self, opcode: int, payload: bytes, *, fin: bool = True, rsv1: bool = False) -> None:
        first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", first, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", first, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", first, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if n < 4096 else _mask_fast(payload, mask)
        self.writer.write(head + mask + masked)

    async def read_frame(self) -> tuple[int, bool, bytes]:
        """(opcode, rsv1, payload) of the next frame from the server (unmasked)."""
        b0, b1 = await bounded(self.reader.readexactly(2), "a frame header")
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", await bounded(self.reader.readexactly(2), "a length"))
        elif n == 127:
            (n,) = struct.unpack("!Q", await bounded(self.reader.readexactly(8), "a length"))
        payload = await bounded(self.reader.readexactly(n), "a frame payload")
        return b0 & 0x0F, bool(b0 & 0x40), payload

    def close_transport(self) -> None:
        self.writer.transport.abort()


def _mask_fast(payload: bytes, mask: bytes) -> bytes:
    n = len(payload)
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


# ----------------------------------------------------------------------------- raw HTTP/1.1
class Answer:
    """One HTTP response as it came off the wire."""

    def __init__(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.reason = reason
        self.header_list = headers
        self.headers = {name.lower(): value for name, value in headers}
        self.body = body

    def __repr__(self) -> str:
        return f"<Answer {self.status} {self.reason} {self.headers} {self.body[:60]!r}>"


async def read_answer(reader: asyncio.StreamReader, *, method: str = "GET") -> Answer:
    """Read one response (status, headers, and the body its framing says), bounded by TIMEOUT."""
    head = await bounded(reader.readuntil(b"\r\n\r\n"), "a response head")
    status_line, *lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    _version, status, *reason = status_line.split(" ", 2)
    headers = [(n.strip(), v.strip()) for n, v in (line.split(":", 1) for line in lines)]
    lower = {n.lower(): v for n, v in headers}
    code = int(status)
    body = b""
    if method == "HEAD" or code in (100, 101, 204, 304):
        pass
    elif "content-length" in lower:
        body = await bounded(reader.readexactly(int(lower["content-length"])), "the body")
    elif lower.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await bounded(reader.readline(), "a chunk size")).split(b";")[0], 16)
            if size == 0:
                await bounded(reader.readline(), "the end of the chunks")
                break
            body += await bounded(reader.readexactly(size), "a chunk")
            await bounded(reader.readline(), "a chunk's end")
    else:
        body = await bounded(reader.read(), "a body that ends with the connection")
    return Answer(code, reason[0] if reason else "", headers, body)


async def open_http(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await bounded(asyncio.open_connection("127.0.0.1", port), "TCP connect")


def request_bytes(method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"",
                  version: str = "HTTP/1.1") -> bytes:
    lines = [f"{method} {path} {version}"]
    all_headers = {"Host": "127.0.0.1", **(headers or {})}
    if body and "Content-Length" not in all_headers and "Transfer-Encoding" not in all_headers:
        all_headers["Content-Length"] = str(len(body))
    lines += [f"{k}: {v}" for k, v in all_headers.items() if v is not None]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def connection_ends(reader: asyncio.StreamReader, what: str) -> bytes:
    """Read until the server closes the connection; returns what came before."""
    return await bounded(reader.read(), what)

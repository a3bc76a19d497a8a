"""See the conversation on the wire: a loopback relay that parses what crosses it.

:class:`WireTap` sits between a client and a server on 127.0.0.1. It passes
every byte on unchanged and parses each direction: the HTTP handshake, then
every WebSocket frame. Client-to-server frames are masked (RFC 6455 requires
it) and are unmasked for display; compressed frames (RSV1 set, permessage-deflate)
are inflated so they can be read. The trace prints as deterministic text (no
random keys, ports or times) and as a Mermaid sequence diagram.

wsguide only: a teaching aid, not part of the Workers API.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..net.server import Server
from .text import indent as _indent
from .text import short as _short
from .waits import Changes, fmt_seconds, scaled

__all__ = ["WireEntry", "WireTap", "wire_tap"]


# ---------------------------------------------------------------------------
# The wire: a loopback relay that records the handshake and every frame
# ---------------------------------------------------------------------------
OPCODES = {0x0: "CONT", 0x1: "TEXT", 0x2: "BINARY", 0x8: "CLOSE", 0x9: "PING", 0xA: "PONG"}

#: Handshake headers shown by default; the random ones are shown as placeholders.
ESSENTIAL_HEADERS = (
    "upgrade",
    "connection",
    "sec-websocket-version",
    "sec-websocket-key",
    "sec-websocket-accept",
    "sec-websocket-extensions",
    "sec-websocket-protocol",
    "content-type",
)
RANDOM_HEADERS = {
    "sec-websocket-key": "<16 random bytes, base64>",
    "sec-websocket-accept": "<derived from the key>",
}


@dataclass
class WireEntry:
    """One thing seen on the wire: an HTTP head or a WebSocket frame."""

    direction: str  # "c2s" or "s2c"
    kind: str  # "http" or "frame"
    summary: str  # one line, for the diagram
    details: list[str] = field(default_factory=list)
    opcode: int | None = None
    payload: bytes = b""  # unmasked, still compressed if rsv1
    message: bytes | None = None  # inflated when compressed
    rsv1: bool = False
    fin: bool = True
    masked: bool = False
    wire_size: int = 0  # bytes of the whole frame on the wire


@dataclass
class _Head:
    start: str
    headers: list[tuple[str, str]]

    def get(self, name: str) -> str | None:
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None


class _Direction:
    """Parses one direction of a relayed connection."""

    def __init__(self, tap: WireTap, direction: str, peer: _Direction | None = None) -> None:
        self.tap = tap
        self.direction = direction
        self.buf = bytearray()
        self.state = "head"
        self.body_left = 0
        self.inflater: Any = None
        self.reset_each_message = False
        self.fragments: list[bytes] = []
        self.fragment_rsv1 = False
        self.head: _Head | None = None
        self.other: _Direction | None = peer

    def feed(self, data: bytes) -> None:
        self.buf += data
        while True:
            if self.state == "head":
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                raw = bytes(self.buf[:end]).decode("latin-1")
                del self.buf[: end + 4]
                self._on_head(raw)
            elif self.state == "body":
                if not self.buf:
                    return
                take = min(self.body_left, len(self.buf)) if self.body_left else len(self.buf)
                body = bytes(self.buf[:take])
                del self.buf[:take]
                self.body_left -= take
                self.tap._add(
                    WireEntry(self.direction, "http", f"body {_short(body.decode('utf-8', 'replace'), 40)}",
                              [f"body: {body.decode('utf-8', 'replace')!r}"])
                )
                if self.body_left <= 0:
                    self.state = "done"
            elif self.state == "frames":
                if not self._frame():
                    return
            else:
                return

    def _on_head(self, raw: str) -> None:
        lines = raw.split("\r\n")
        headers = []
        for line in lines[1:]:
            if ":" in line:
                n, v = line.split(":", 1)
                headers.append((n.strip(), v.strip()))
        head = _Head(lines[0], headers)
        self.head = head
        shown = []
        for n, v in headers:
            key = n.lower()
            if self.tap.all_headers or key in ESSENTIAL_HEADERS:
                shown.append(f"{n}: {RANDOM_HEADERS.get(key, v)}")
        start = lines[0]
        if self.direction == "c2s":
            method_path = " ".join(start.split(" ")[:2])
            upgrade = head.get("Upgrade")
            summary = f"{method_path}" + (f" (Upgrade: {upgrade})" if upgrade else " (no Upgrade header)")
            self.state = "frames" if upgrade else "done"
        else:
            status = start.split(" ", 1)[1] if " " in start else start
            summary = status
            if start.split(" ")[1:2] == ["101"]:
                self.state = "frames"
                self._setup_inflaters(head.get("Sec-WebSocket-Extensions") or "")
                # the client's direction switches to frames too (it already did if it asked)
            else:
                length = int(head.get("Content-Length") or 0)
                self.body_left = length
                self.state = "body" if length else "done"
        self.tap._add(WireEntry(self.direction, "http", summary, [start, *shown]))

    def _setup_inflaters(self, extensions: str) -> None:
        if "permessage-deflate" not in extensions:
            return
        self.tap.extensions = extensions
        params = {p.strip().split("=")[0] for p in extensions.split(";")}
        for d in (self, self.other):
            if d is None:
                continue
            d.inflater = zlib.decompressobj(-15)
        self.reset_each_message = "server_no_context_takeover" in params
        if self.other is not None:
            self.other.reset_each_message = "client_no_context_takeover" in params

    def _frame(self) -> bool:
        buf = self.buf
        if len(buf) < 2:
            return False
        b0, b1 = buf[0], buf[1]
        fin, rsv1, opcode = bool(b0 & 0x80), bool(b0 & 0x40), b0 & 0x0F
        masked, length = bool(b1 & 0x80), b1 & 0x7F
        pos = 2
        if length == 126:
            if len(buf) < 4:
                return False
            (length,) = struct.unpack("!H", buf[2:4])
            pos = 4
        elif length == 127:
            if len(buf) < 10:
                return False
            (length,) = struct.unpack("!Q", buf[2:10])
            pos = 10
        key = b""
        if masked:
            if len(buf) < pos + 4:
                return False
            key = bytes(buf[pos : pos + 4])
            pos += 4
        if len(buf) < pos + length:
            return False
        payload = bytes(buf[pos : pos + length])
        if masked:
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        del buf[: pos + length]
        entry = WireEntry(self.direction, "frame", "", opcode=opcode, payload=payload, rsv1=rsv1,
                          fin=fin, masked=masked, wire_size=pos + length)
        self._describe(entry)
        self.tap._add(entry)
        return True

    def _inflate(self, data: bytes) -> bytes | None:
        if self.inflater is None:
            return None
        try:
            out = self.inflater.decompress(data + b"\x00\x00\xff\xff")
        except zlib.error:
            return None
        if self.reset_each_message:
            self.inflater = zlib.decompressobj(-15)
        return out

    def _describe(self, e: WireEntry) -> None:
        name = OPCODES.get(e.opcode or 0, f"opcode {e.opcode:#x}")
        data = e.payload
        if e.opcode in (0x1, 0x2, 0x0):
            if e.opcode != 0x0:
                self.fragments = []
                self.fragment_rsv1 = e.rsv1
            self.fragments.append(data)
            if e.fin and self.fragment_rsv1:
                e.message = self._inflate(b"".join(self.fragments))
                if e.message is not None:
                    data = e.message
        if e.opcode == 0x1:
            shown = _short(data.decode("utf-8", "replace"), 40)
        elif e.opcode == 0x8:
            if len(data) >= 2:
                (code,) = struct.unpack("!H", data[:2])
                reason = data[2:].decode("utf-8", "replace")
                shown = f"code {code}" + (f" reason {reason!r}" if reason else "")
            else:
                shown = "(no code)"
        else:
            shown = _short(data, 40)
        flags = []
        if e.rsv1:
            flags.append(f"RSV1: {len(e.payload)} B compressed, {len(data)} B inflated")
        if not e.fin:
            flags.append("FIN=0, more frames follow")
        e.summary = f"{name} {shown}"
        detail = f"{name:<6} {shown}"
        extra = [f"{e.wire_size} B on the wire", "masked" if e.masked else "unmasked", *flags]
        e.details = [detail + "  [" + ", ".join(extra) + "]"]


class WireTap:
    """A loopback relay between a client and a server that records what crosses it.

    Connect your client to ``tap.url`` / ``tap.ws_url`` instead of the
    server's; the bytes are passed on unchanged, and each direction is parsed:
    the HTTP handshake, then every WebSocket frame. Frames from the client are
    masked (RFC 6455 requires it) and are unmasked for display; compressed
    frames (RSV1 set) are inflated so you can read them.

    Use it as ``async with wire_tap(srv) as tap:`` then ``tap.show()`` and
    ``tap.diagram()``.
    """

    def __init__(self, target: Server | str, *, client: str = "client", server: str = "Worker",
                 all_headers: bool = False) -> None:
        if isinstance(target, Server):
            self.target_host, self.target_port = "127.0.0.1", target.port
        else:
            from urllib.parse import urlsplit

            parts = urlsplit(target)
            self.target_host, self.target_port = parts.hostname or "127.0.0.1", parts.port or 80
        self.client_name = client
        self.server_name = server
        self.all_headers = all_headers
        self.entries: list[WireEntry] = []
        self.extensions: str | None = None
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._changes = Changes()
        self.connections = 0

    # -- lifecycle ----------------------------------------------------------------
    async def start(self) -> WireTap:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    @property
    def port(self) -> int:
        assert self._server is not None, "start the tap first: async with wire_tap(srv) as tap"
        return self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def close(self, timeout: float = 5) -> None:
        """Stop relaying and drop any connection still open.

        Call ``await tap.wait_closed()`` first when you want the closing
        handshake in the trace.
        """
        if self._server is None:
            return
        self._server.close()
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=scaled(timeout))
        self._server = None

    async def __aenter__(self) -> WireTap:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    # -- relaying -----------------------------------------------------------------
    async def _handle(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            sreader, swriter = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            cwriter.close()
            self._tasks.discard(task)
            return
        c2s = _Direction(self, "c2s")
        s2c = _Direction(self, "s2c", c2s)
        c2s.other = s2c
        try:
            await asyncio.gather(self._pump(creader, swriter, c2s), self._pump(sreader, cwriter, s2c))
        finally:
            for w in (cwriter, swriter):
                w.close()
            self._tasks.discard(task)
            self._notify()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, parser: _Direction) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                parser.feed(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if writer.can_write_eof() and not writer.is_closing():
                try:
                    writer.write_eof()
                except OSError:
                    pass

    def _add(self, entry: WireEntry) -> None:
        self.entries.append(entry)
        self._notify()

    def _notify(self) -> None:
        self._changes.notify()

    # -- waiting -----------------------------------------------------------------
    async def wait_until(self, predicate: Callable[[WireTap], bool], timeout: float = 5, what: str = "") -> None:
        await self._changes.until(
            lambda: predicate(self),
            timeout,
            lambda limit: f"waited {fmt_seconds(limit)} for {what or 'traffic'} on the wire tap.\n"
            f"Seen so far:\n{_indent(self.text())}",
        )

    async def wait_for_frames(self, n: int, timeout: float = 5) -> None:
        """Wait until ``n`` WebSocket frames (both directions together) went through."""
        await self.wait_until(lambda t: len(t.frames()) >= n, timeout, f"{n} frames")

    async def wait_closed(self, timeout: float = 5) -> None:
        """Wait until both Close frames went through (or every connection ended)."""
        def done(t: WireTap) -> bool:
            closes = {e.direction for e in t.frames() if e.opcode == 0x8}
            return len(closes) == 2 or (t.connections > 0 and not t._tasks)

        await self.wait_until(done, timeout, "the closing handshake")

    # -- reading ------------------------------------------------------------------
    def snapshot(self) -> WireTap:
        """A copy of what was seen so far (show or draw it later; the tap goes on)."""
        copy = WireTap(f"http://{self.target_host}:{self.target_port}", client=self.client_name,
                       server=self.server_name, all_headers=self.all_headers)
        copy.entries = list(self.entries)
        copy.extensions = self.extensions
        return copy

    def frames(self, direction: str | None = None) -> list[WireEntry]:
        return [e for e in self.entries if e.kind == "frame" and (direction is None or e.direction == direction)]

    def _arrow(self, direction: str) -> str:
        a, b = self.client_name, self.server_name
        return f"{a} → {b}" if direction == "c2s" else f"{b} → {a}"

    def text(self) -> str:
        out = []
        width = max(len(self._arrow("c2s")), len(self._arrow("s2c")))
        for e in self.entries:
            arrow = self._arrow(e.direction).ljust(width)
            first, *rest = e.details or [e.summary]
            out.append(f"{arrow}  {first}")
            out.extend(" " * (width + 2) + line for line in rest)
        return "\n".join(out) or "(nothing crossed the wire yet)"

    def show(self) -> None:
        """Print the handshake and the frames, one per line, in the order they passed."""
        print(self.text())

    def mermaid(self) -> str:
        """The conversation as a Mermaid sequence diagram (text)."""
        lines = [
            "sequenceDiagram",
            f"    participant C as {self.client_name}",
            f"    participant S as {self.server_name}",
        ]
        for e in self.entries:
            arrow = "C->>S" if e.direction == "c2s" else "S-->>C"
            label = e.summary
            if e.kind == "frame" and e.rsv1:
                label += " (compressed)"
            lines.append(f"    {arrow}: {_mermaid_text(label)}")
        return "\n".join(lines)

    def diagram(self) -> None:
        """Draw the sequence diagram (JupyterLab renders ``text/vnd.mermaid``)."""
        from IPython.display import display

        text = self.mermaid()
        display({"text/vnd.mermaid": text, "text/plain": text}, raw=True)


def _mermaid_text(text: str) -> str:
    # ';' ends a statement and '#' starts an entity in Mermaid; keep labels plain.
    return text.replace(";", ",").replace("#", "no. ").replace("\n", " ")


def wire_tap(target: Server | str, **options: Any) -> WireTap:
    """A :class:`WireTap` in front of ``target`` (a running server or its URL)."""
    return WireTap(target, **options)

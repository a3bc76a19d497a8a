"""The network leg of a WebSocket: a ``websockets`` connection as a Transport.

:class:`NetworkTransport` turns a ``websockets`` connection (server or client
side) into what :mod:`wsguide.core.websocket` expects of a
:class:`~wsguide.core.websocket.Transport`: ordered, non-blocking output, and a
reader that starts only when the socket is accepted. It also writes the few
things workerd puts on the wire differently from ``websockets``: any close
code ``close()`` accepted, and the 1009 reason text.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import re
import struct
from collections.abc import Callable
from typing import Any

from websockets.asyncio.connection import broadcast
from websockets.exceptions import ConnectionClosed
from websockets.exceptions import ProtocolError as RefusedByWebsockets
from websockets.frames import CLOSE, Close, Frame
from websockets.protocol import CLIENT, CLOSING, OPEN, SERVER

from ..core.errors import ProtocolError, js_error_string
from ..core.log import WorkerLog
from ..core.messages import Close as CloseItem
from ..core.messages import Disconnect, Failure, Item, Message

__all__ = ["NetworkTransport", "send_close_frame", "use_workerd_close_reasons"]

logger = logging.getLogger("wsguide")

_last_data: str | bytes | None = None
_last_frame: bytes = b""


def _server_frame(data: str | bytes) -> bytes:
    """The unmasked, uncompressed frame for one message (cached for the last one)."""
    global _last_data, _last_frame
    if data is _last_data:
        return _last_frame
    if isinstance(data, str):
        first, payload = 0x81, data.encode()
    else:
        first, payload = 0x82, bytes(data)
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", first, n)
    elif n < 65536:
        head = struct.pack("!BBH", first, 126, n)
    else:
        head = struct.pack("!BBQ", first, 127, n)
    _last_data, _last_frame = data, head + payload
    return _last_frame


def _too_big(conn: Any, limit: int) -> ProtocolError:
    exc = getattr(conn.protocol, "parser_exc", None)
    size = getattr(exc, "size", None)
    current = getattr(exc, "current_size", None) or 0
    total = (size or 0) + current
    return _protocol_error(conn, 1009, f"Message is too large: {total} > {limit}")


def send_close_frame(conn: Any, code: int | None, reason: str) -> None:
    """Queue a Close frame with exactly this code, even one websockets would refuse.

    workerd sends any code its close() accepted (e.g. 2000); websockets' own
    ``close()`` only sends codes RFC 6455 registers, so we write the frame here.
    """
    protocol = conn.protocol
    if protocol.state is not OPEN:
        return
    if code is None:
        protocol.send_close()
    else:
        try:
            protocol.send_close(code, reason)
        except RefusedByWebsockets:
            payload = struct.pack("!H", code) + reason.encode("utf-8")
            if len(payload) <= 125:
                protocol.send_frame(Frame(CLOSE, payload))
            else:
                # no_websocket_close_reason_byte_limit: workerd puts the oversized Close
                # frame on the wire as is (findings F11); websockets would refuse to.
                protocol.writes.append(_raw_close_frame(payload, mask=protocol.side is CLIENT))
            protocol.close_sent = Close(code, reason)
            protocol.state = CLOSING
    conn.send_data()


def _raw_close_frame(payload: bytes, *, mask: bool) -> bytes:
    """A Close frame serialized without websockets' checks (control frames <= 125 bytes)."""
    n = len(payload)
    bit = 0x80 if mask else 0
    head = bytes([0x88, bit | 126]) + struct.pack("!H", n) if n < 65536 else bytes([0x88, bit | 127]) + struct.pack("!Q", n)
    if mask:
        key = os.urandom(4)
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        head += key
    return head + payload


class NetworkTransport:
    """A ``websockets`` connection as a :class:`~wsguide.websocket.Transport`."""

    def __init__(self, conn: Any, *, limit: int, log: WorkerLog | None = None) -> None:
        self.conn = conn
        self.limit = limit
        self.log = log
        self.protocol: str | None = None
        self.extensions: str | None = None
        self.reader: asyncio.Task[None] | None = None
        self.closer: asyncio.Task[None] | None = None
        self.finished = asyncio.get_running_loop().create_future()
        self.closed_by_us = False
        # Server side without extensions (no permessage-deflate): frames need no
        # masking and no compression state, so send_message() may write them directly.
        self.plain_server = conn.protocol.side is SERVER and not conn.protocol.extensions
        self.too_big_reported = False
        # A Close frame received and not answered yet (see _hold_close_replies).
        self.held: Any = None
        self.held_delivered = False
        self._in_recv = False
        self._waking = False
        self._hold_close_replies()

    # -- the closing handshake, answered by the Worker ---------------------------
    def _hold_close_replies(self) -> None:
        """Let the Worker, not websockets, answer the peer's Close frame.

        ``websockets`` answers a Close frame the moment it parses it. On Workers
        the answer is the Worker's: the automatic reply (same code and reason),
        or whatever ``close()`` the Worker calls later (``allowHalfOpen``, the
        manual-reply flag, ``webSocketClose`` in a Durable Object), and until
        then the Worker may still send. So we keep the frame (``held``), deliver
        it as a ``close`` item after the messages before it, and hand it to
        ``websockets`` only once our own Close is on its way.
        """
        protocol = self.conn.protocol
        parse_close = protocol.recv_frame
        self._websockets_recv_frame = parse_close

        def recv_frame(frame: Any) -> None:
            if (
                frame.opcode is CLOSE
                and protocol.state is OPEN
                and protocol.current_size is None
                and self.held is None
            ):
                Close.parse(frame.data)  # an invalid Close still fails the connection (1002)
                self.held = frame
                protocol.events.append(frame)  # in order, after the messages before it
                return
            parse_close(frame)

        protocol.recv_frame = recv_frame
        process_event = self.conn.process_event

        def on_event(event: Any) -> None:
            process_event(event)
            if event is self.held:
                self._close_arrived()

        self.conn.process_event = on_event
        websockets_close = self.conn.close

        async def close(code: int = 1000, reason: str = "") -> None:
            # websockets closing by itself (the server stopping) while we hold a
            # Close frame: answer it with this Close so the handshake completes.
            if self.held is not None and self.conn.protocol.state is OPEN:
                self._send_close(code, reason)
                await self.conn.wait_closed()
                return
            await websockets_close(code, reason)

        self.conn.close = close

    def _close_arrived(self) -> None:
        # Every message before the Close is queued now. If the reader is idle
        # waiting for more, wake it so it reports the Close.
        if self.reader is None or self.held_delivered:
            return  # not accepted yet: the reader finds it when it starts
        if self._in_recv and not len(self.conn.recv_messages.frames):
            self._waking = True
            self.reader.cancel()

    def _release_held(self) -> None:
        """Our Close is sent: let websockets finish the handshake with the held frame."""
        protocol = self.conn.protocol
        if self.held is not None and protocol.state is CLOSING and protocol.close_rcvd is None:
            self._websockets_recv_frame(self.held)
            self.conn.send_data()

    def _send_close(self, code: int | None, reason: str) -> None:
        conn = self.conn
        if conn.protocol.state is not OPEN:
            return
        self.closed_by_us = True
        send_close_frame(conn, code, reason)
        self._release_held()
        # Let websockets finish the handshake and the TCP close in the background.
        self.closer = asyncio.ensure_future(conn.wait_closed())

    def abort(self) -> None:
        """Drop the TCP connection at once, without a Close frame."""
        self.conn.transport.abort()

    def shutdown(self) -> None:
        """The server is stopping: answer a held Close now (1001, going away)."""
        if self.held is not None:
            self._send_close(1001, "")

    # -- output ---------------------------------------------------------------
    def send_message(self, data: str | bytes) -> None:
        """Write one message now, without waiting: Workers has no bufferedAmount either."""
        conn = self.conn
        protocol = conn.protocol
        if protocol.state is not OPEN or conn.send_in_progress is not None:
            if protocol.state is OPEN:
                broadcast((conn,), data)  # let websockets say why it cannot
            return
        if self.plain_server and not protocol.debug and not protocol.writes:
            # An uncompressed server frame is the same bytes for every member of a
            # room: build it once per message and write it as is. This is exactly
            # what protocol.send_text()/send_binary() + send_data() would write.
            conn.transport.write(_server_frame(data))
            return
        # What websockets.broadcast() does for one connection, minus its loop and checks.
        if isinstance(data, str):
            protocol.send_text(data.encode())
        else:
            protocol.send_binary(data)
        conn.send_data()

    def send(self, item: Item) -> None:
        if isinstance(item, Message):
            self.send_message(item.data)
        elif isinstance(item, CloseItem):
            self._send_close(item.code, item.reason)
        elif isinstance(item, Disconnect):
            self.abort()
        elif isinstance(item, Failure):
            # The other side of a spliced connection failed: fail this one too.
            self.fail(1011, "")

    def fail(self, code: int, reason: str) -> None:
        conn = self.conn
        if conn.protocol.state is OPEN:
            send_close_frame(conn, code, reason)
            self._release_held()
            self.closer = asyncio.ensure_future(conn.wait_closed())

    # -- input ----------------------------------------------------------------
    def start_reading(self, receiver: Callable[[Item], None]) -> None:
        if self.reader is not None:
            return
        # Run in the reader's context (the Worker's log and compat), not websockets' callback's.
        context = contextvars.copy_context()
        self.conn.protocol.wsguide_on_too_big = lambda reason: context.run(self._too_big, receiver, reason)
        self.reader = asyncio.ensure_future(self._read(receiver))

    def _too_big(self, receiver: Callable[[Item], None], reason: str) -> None:
        if self.too_big_reported or self.closed_by_us:
            return
        if len(getattr(getattr(self.conn, "recv_messages", None), "frames", ())):
            return  # messages still wait for the reader: it reports the error after them
        self.too_big_reported = True
        receiver(Failure(_protocol_error(self.conn, 1009, reason)))

    async def _read(self, receiver: Callable[[Item], None]) -> None:
        conn = self.conn
        try:
            frames = conn.recv_messages.frames
            while True:
                if self.held is not None and not len(frames):
                    break  # every message before the peer's Close is delivered
                self._in_recv = True
                try:
                    data = await conn.recv()
                except ConnectionClosed:
                    break
                except asyncio.CancelledError:
                    if not self._waking:
                        raise
                    self._waking = False  # woken by _close_arrived(), not stopped
                    asyncio.current_task().uncancel()  # type: ignore[union-attr]
                    continue
                finally:
                    self._in_recv = False
                receiver(Message(data))
                if getattr(conn, "paused", False):
                    # Our own writes to this peer are backing up (an echo to a slow
                    # reader): stop reading until they drain, as websockets' send() would.
                    await conn.drain()
            if self.held is not None and not self.held_delivered:
                self.held_delivered = True
                close = Close.parse(self.held.data)
                receiver(CloseItem(close.code if self.held.data else None, close.reason))
                return
            # Why the loop ended: a Close frame, an error, or a vanished peer.
            rcvd = conn.protocol.close_rcvd
            sent = conn.protocol.close_sent
            if sent is not None and sent.code == 1009 and not self.closed_by_us:
                if self.too_big_reported:
                    return
                self.too_big_reported = True
                receiver(Failure(_too_big(conn, self.limit)))
            elif rcvd is not None:
                code = None if rcvd.code == 1005 else rcvd.code
                receiver(CloseItem(code, rcvd.reason))
            elif sent is not None and not self.closed_by_us and sent.code in (1002, 1007):
                receiver(Failure(_protocol_error(conn, sent.code, sent.reason)))
            else:
                receiver(Disconnect())
        except Exception as exc:  # a bug in a listener is reported by EventTarget; this is ours
            logger.exception("wsguide: reading a WebSocket failed")
            self.fail(1011, "")
            if self.log is not None:
                self.log.write("error", f"WebSocket read loop failed: {js_error_string(exc)}")
        finally:
            if not self.finished.done():
                self.finished.set_result(None)


def _protocol_error(conn: Any, code: int, description: str) -> ProtocolError:
    """The error of the ``error`` event (workerd: ``Error: WebSocket protocol error; …``)."""
    err = ProtocolError(code, description)
    err.__cause__ = getattr(conn.protocol, "parser_exc", None)
    return err


_TOO_BIG_RE = re.compile(r"frame (?:with (\d+) bytes )?(?:after reading (\d+) bytes )?exceeds limit of (\d+) bytes")


def use_workerd_close_reasons(protocol: Any) -> None:
    """Make ``websockets`` send workerd's Close reason for an oversized message.

    workerd closes with 1009 ``Message is too large: <size> > <limit>``;
    ``websockets`` writes its own wording, so we rewrite it on the way out.
    """
    fail = protocol.fail

    def workerd_fail(code: int, reason: str = "") -> None:
        if code == 1009:
            m = _TOO_BIG_RE.search(reason)
            if m:
                size, current, limit = (int(x) if x else 0 for x in m.groups())
                reason = f"Message is too large: {size + current} > {limit}"
        fail(code, reason)
        notify = getattr(protocol, "wsguide_on_too_big", None)
        if code == 1009 and notify is not None:
            # workerd reports the error as soon as the frame header is read, not when the
            # TCP connection ends (golden durable-object-hibernation: before alice's 1006).
            asyncio.get_running_loop().call_soon(notify, reason)

    protocol.fail = workerd_fail

"""The WebSocket leg: one connection's bytes, driven through ``websockets``' sans-I/O protocol.

A :class:`WebSocketLeg` is the asyncio protocol of a TCP connection once it
carries WebSocket frames: the server's side of an upgraded request, and the
client's side of an outbound ``fetch()`` upgrade or ``WebSocket(url)`` (one
implementation for both). It is also the core's
:class:`~wsguide.core.connections.Transport`.

The leg feeds what it reads to a ``websockets`` protocol (``receive_data``,
``receive_eof``), turns the frames that protocol parses (``events_received``)
into the core's items, and writes what the protocol asks to write
(``data_to_send``). Where workerd differs from ``websockets`` the difference is
the leg's own decision about what goes on the wire, never a change to the
protocol object:

* **The Worker answers the peer's Close.** The protocol answers a Close the
  moment it parses it; that answer is not written. The Close reaches the
  Worker in order after the messages before it, and the Worker's own Close
  (the automatic reply, a later ``close()`` under ``allowHalfOpen`` or the
  manual-reply flag, ``webSocketClose``) is what goes out — with any code
  workerd's ``close()`` accepts. Frames after the peer's Close are discarded
  (the protocol does that).
* **workerd's 1009 reason.** A message over the limit closes the connection
  with workerd's text, ``Message is too large: N > M`` (the frame's length and
  what the message still had room for, as kj checks at the frame header), or
  ``Message is too large`` for a compressed message that inflates past the
  limit (capnproto ``kj/compat/http.c++``, ``WebSocketImpl::receive`` and
  ``ZlibContext::processLoop``).
* **Writes held together.** While a Durable Object works through its queue,
  what its sockets send is held and written in one piece per connection when
  its step ends (:mod:`wsguide.net.outbox`): a broadcast of several messages
  costs each member one system call, not one per message. While more than one
  WebSocket is open, what a Worker sends in answer to a read is held to the end
  of the loop's turn, so the answers to one turn's reads leave together. Order
  is kept, and a frame of :data:`WRITE_AT_ONCE` bytes or more is written at once.
* **Bounded memory.** Nothing is read before the socket is accepted; while a
  message waits in a Durable Object's queue, reading stops (the core returns a
  ``Pending``, done when the object starts on it), so the queue holds at most one
  message of a socket beyond the one being handled (workerd's hibernatable read
  loop receives the next message only once the event ran,
  ``LegacyHibernationManagerImpl::readLoop``). A peer that does not read is
  dropped with an error in the Worker log once :data:`UNSENT_LIMIT` bytes wait
  to be sent. When the connection is gone and the Worker has its last item, the
  leg lets go of the socket and of the zlib streams of permessage-deflate
  (:mod:`wsguide.net.deflate`), so a finished connection is freed at once, not at
  CPython's next full garbage collection.
"""

from __future__ import annotations

import asyncio
import codecs
import contextvars
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from websockets.exceptions import PayloadTooBig
from websockets.exceptions import ProtocolError as RefusedByWebsockets
from websockets.frames import Close, Frame, Opcode
from websockets.protocol import CLIENT, OPEN, Protocol

from ..core.connections import Pending
from ..core.errors import ProtocolError
from ..core.log import WorkerLog
from ..core.messages import Close as CloseItem
from ..core.messages import Disconnect, Failure, Item, Message
from .deadlines import Deadline, deadlines_for
from .deflate import release_extensions
from .frames import close_frame, is_close, server_frame
from .outbox import Outbox, outbox_for
from .reads import SharedReadBuffer

__all__ = ["CLOSE_TIMEOUT", "UNSENT_LIMIT", "WRITE_AT_ONCE", "WebSocketLeg", "too_big_reason"]

logger = logging.getLogger("wsguide")

#: workerd's receive limit is 32 MiB (``WEBSOCKET_MAX_MESSAGE_SIZE``); it queues what a
#: Worker sends without a bound (``LegacyWebSocketAdapter::send`` inserts into
#: ``outgoingMessages``, web-socket.c++). So the bound on a peer's unsent bytes is
#: 2 × the message limit: one full message in flight and one more.
UNSENT_LIMIT = 2 * 32 * 1024 * 1024

#: A frame this large is written at once, never held and joined with others (joining would
#: copy it, and one system call per such frame costs little).
WRITE_AT_ONCE = 16 * 1024

#: Seconds to wait for the TCP connection to end after both Close frames (as websockets).
CLOSE_TIMEOUT = 10.0

_TEXT, _BINARY, _CONT, _CLOSE = Opcode.TEXT, Opcode.BINARY, Opcode.CONT, Opcode.CLOSE


def too_big_reason(exc: PayloadTooBig) -> str:
    """workerd's Close reason for a message over the limit (see the module docstring)."""
    if exc.size is None:  # a compressed message that inflates past the limit
        return "Message is too large"
    room = exc.max_size - (exc.current_size or 0)
    return f"Message is too large: {exc.size} > {room}"


class WebSocketLeg(SharedReadBuffer):
    """One WebSocket connection: bytes ⇄ a ``websockets`` protocol ⇄ the core's items."""

    def __init__(
        self,
        protocol: Protocol,
        *,
        log: WorkerLog | None = None,
        unsent_limit: int = UNSENT_LIMIT,
        on_lost: Callable[[WebSocketLeg], None] | None = None,
    ) -> None:
        self.protocol = protocol
        self.client = protocol.side is CLIENT
        self.log = log
        self.unsent_limit = unsent_limit
        self._on_lost = on_lost
        self.transport: asyncio.Transport | None = None
        self._extensions = list(protocol.extensions)
        # An uncompressed server frame needs no mask and no compression state.
        self._plain = not self.client and not self._extensions
        self._receiver: Callable[[Item], Pending | None] | None = None
        self._context: contextvars.Context | None = None
        self._held = bytearray()  # bytes read before the Worker accepted the socket
        self._inbox: deque[Item] = deque()  # parsed, not yet taken by the Worker
        self._waiting = False  # an item waits in a Durable Object's queue
        self._paused = False
        self._fragments: list[bytes] = []
        self._fragment_text = False
        self._decoder: Any = None
        self._close_received = False
        self._close_sent = False
        self._failed = False
        self._eof_owed = False  # the protocol asked for EOF before our Close went out
        self._lost = False
        self._ended = False  # the peer is gone: no item after the one that said so
        self._closer: Deadline | None = None
        self._handshake: asyncio.Future[Any] | None = None
        self._finished = False  # lost, and its last item delivered: the receiver was let go
        # What was written while the outbox was held, sent in one go (see wsguide.net.outbox).
        self._unsent: list[bytes] | None = None
        self._outbox: Outbox | None = None

    @property
    def negotiated_extensions(self) -> str | None:
        """The extensions this connection's handshake agreed on (``"permessage-deflate"``), or None."""
        return ", ".join(ext.name for ext in self.protocol.extensions) or None

    # ------------------------------------------------------------ connection
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.attach(transport)  # type: ignore[arg-type]

    def attach(self, transport: asyncio.Transport) -> None:
        """Take over ``transport`` (the client side then sends its handshake request)."""
        self.transport = transport
        self._outbox = outbox = outbox_for(asyncio.get_running_loop())
        outbox.opened()
        transport.set_write_buffer_limits(high=self.unsent_limit)
        if self._handshake is not None:
            for data in self.protocol.data_to_send():
                self._write(data)

    def begin(self, leftover: bytes = b"") -> None:
        """Server side, once the Worker's end is coupled: read, or wait for ``accept()``.

        ``leftover``: bytes the HTTP side read past the handshake (frames a client sent early).
        """
        transport = self.transport
        assert transport is not None
        if self._receiver is None:
            # Nobody reads before accept(): frames wait in the network (start_reading resumes).
            self._paused = False
            self._pause()
        elif not transport.is_reading():
            transport.resume_reading()  # the HTTP side may have paused it (pipelined bytes)
        if leftover:
            self.data_received(leftover)

    def start_handshake(self, request: Any) -> asyncio.Future[Any]:
        """Client side: send ``request`` (``protocol.send_request``) once connected; the
        future gets the server's response, or the handshake's exception."""
        self.protocol.send_request(request)  # type: ignore[attr-defined]
        self._handshake = asyncio.get_running_loop().create_future()
        return self._handshake

    def pause_writing(self) -> None:
        # Called by asyncio when the unsent bytes pass unsent_limit (set_write_buffer_limits).
        asyncio.get_running_loop().call_soon(self._too_much_unsent)

    def resume_writing(self) -> None:
        pass

    def _too_much_unsent(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        unsent = transport.get_write_buffer_size()
        if unsent <= self.unsent_limit:
            return
        text = (
            f"A WebSocket peer stopped reading: {unsent:,} bytes wait to be sent to it, over the "
            f"limit of {self.unsent_limit:,}. The connection was dropped so the server's memory "
            "stays bounded; the socket sees a 1006 close."
        )
        if self.log is not None:
            self.log.write("error", text)
        logger.warning("wsguide: %s", text)
        transport.abort()

    def eof_received(self) -> bool:
        if self._receiver is not None:
            self._run(self._feed_eof)
        return False  # let asyncio close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._unsent = None
        if self._outbox is not None:
            self._outbox.closed()
        if self._closer is not None:
            self._closer.cancel()
        handshake = self._handshake
        if handshake is not None and not handshake.done():
            handshake.set_exception(ConnectionError("the connection closed during the WebSocket handshake"))
        if self._receiver is not None:
            # Everything read has been parsed: nothing more is compressed or decompressed.
            release_extensions(self._extensions)
            self._run(self._peer_gone)
        if self._on_lost is not None:
            self._on_lost(self)

    # ----------------------------------------------------------------- input
    def start_reading(self, receiver: Callable[[Item], Pending | None]) -> None:
        """The Worker accepted the socket: deliver what the peer sends (core Transport)."""
        if self._receiver is not None or self._finished:
            return
        self._receiver = receiver
        # Items reach the Worker in the context the socket was accepted in (its isolate).
        self._context = contextvars.copy_context()
        self._run(self._start)

    def _run(self, fn: Callable[..., None], *args: Any) -> None:
        context = self._context
        if context is None:
            fn(*args)
        else:
            context.run(fn, *args)

    def _start(self) -> None:
        held = bytes(self._held)
        self._held.clear()
        if held:
            self._feed(held)
        if self._lost:
            self._peer_gone()
        self._deliver()

    def data_received(self, data: bytes) -> None:
        if self._receiver is None and (self._handshake is None or self._handshake.done()):
            # Not accepted yet: keep the bytes (at most one read) and stop reading.
            self._held += data
            self._pause()
            return
        self._outbox.reading()  # type: ignore[union-attr]  (set with the transport)
        self._run(self._feed, data)

    def _feed(self, data: bytes) -> None:
        protocol = self.protocol
        if self._ended:
            return
        protocol.receive_data(data)
        self._process(protocol.events_received())

    def _feed_eof(self) -> None:
        if not self._ended:
            self.protocol.receive_eof()
            self._write_protocol_output(False)

    def _process(self, events: list[Any]) -> None:
        # A Close among these events means the protocol has just answered it.
        peer_closed = False
        failed_before = self._failed
        for index, event in enumerate(events):
            if not isinstance(event, Frame):
                self._handshake_done(event)
                continue
            op = event.opcode
            if op is _TEXT or op is _BINARY or op is _CONT:
                if not self._data_frame(event):
                    # The connection failed (invalid UTF-8). A Close parsed after this frame
                    # was answered all the same.
                    rest = events[index + 1 :]
                    peer_closed = peer_closed or any(isinstance(e, Frame) and e.opcode is _CLOSE for e in rest)
                    break
            elif op is _CLOSE:
                peer_closed = True
                self._close_received = True
                close = Close.parse(event.data)
                self._inbox.append(CloseItem(close.code if event.data else None, close.reason))
        self._write_protocol_output(peer_closed)
        if not failed_before and not self._failed:
            self._check_failure()
        self._deliver()

    def _data_frame(self, frame: Frame) -> bool:
        """Assemble messages from data frames; False if the connection failed."""
        op = frame.opcode
        data = frame.data
        try:
            if op is not _CONT:
                if frame.fin:
                    self._inbox.append(Message(bytes(data).decode() if op is _TEXT else bytes(data)))
                    return True
                self._fragment_text = op is _TEXT
                self._fragments = []
                # Decode text as it comes, so invalid UTF-8 fails fast (Autobahn 6.4).
                self._decoder = codecs.getincrementaldecoder("utf-8")() if self._fragment_text else None
            if self._decoder is not None:
                self._decoder.decode(data, final=frame.fin)
            self._fragments.append(bytes(data))
            if frame.fin:
                joined = b"".join(self._fragments)
                self._fragments = []
                self._inbox.append(Message(joined.decode() if self._fragment_text else joined))
        except UnicodeDecodeError as exc:
            self._fail(1007, f"{exc.reason} at position {exc.start}")
            return False
        return True

    def _check_failure(self) -> None:
        """Did the protocol fail the connection while parsing (1002, 1007, 1009)?"""
        exc = self.protocol.parser_exc
        if exc is None:
            return
        self._failed = True
        self._close_sent = True
        if isinstance(exc, PayloadTooBig):
            self._inbox.append(Failure(ProtocolError(1009, too_big_reason(exc))))
        elif isinstance(exc, (RefusedByWebsockets, UnicodeDecodeError)) and self.protocol.close_sent is not None:
            sent = self.protocol.close_sent
            self._inbox.append(Failure(ProtocolError(sent.code, sent.reason)))
        else:  # an internal error of the parser (1011): the connection just ends
            self._inbox.append(Disconnect())

    def _fail(self, code: int, reason: str) -> None:
        self._failed = True
        self._close_sent = True
        if self.protocol.state is OPEN:
            self.protocol.fail(code, reason)
        else:  # the protocol already answered a Close in this read: write ours
            self._write(close_frame(code, reason, mask=self.client))
        self._inbox.append(Failure(ProtocolError(code, reason)))

    def _peer_gone(self) -> None:
        if not self._close_received and not self._failed and not self._ended:
            self._inbox.append(Disconnect())
        self._deliver()

    def _deliver(self) -> None:
        """Hand parsed items to the Worker, in order, one waiting at a time."""
        receiver = self._receiver
        if receiver is None:
            return
        inbox = self._inbox
        while inbox and not self._waiting:
            item = inbox.popleft()
            if type(item) is Disconnect or type(item) is Failure:
                self._ended = True
            pending = receiver(item)
            if pending is not None:
                self._waiting = True
                pending.add_done_callback(self._taken)
        if inbox or self._waiting:
            self._pause()
        elif self._lost:
            self._finish()
        elif self._paused:
            self._paused = False
            if self.transport is not None and not self._lost:
                self.transport.resume_reading()

    def _finish(self) -> None:
        """The connection is gone and the Worker has its last item: let go of the socket.

        The receiver is the socket's bound ``receive`` and the socket holds this leg as
        its transport: a reference cycle. Left in place, the leg, its ``websockets``
        protocol and that protocol's zlib streams (about 200 KiB per connection with
        permessage-deflate) would wait for CPython's full garbage collection, which a
        server with many long-lived objects runs rarely; meanwhile the heap grows
        (benchmarks/RESULTS.md, "Soak"). Breaking the cycle here frees them as soon as
        the socket is dropped.
        """
        self._finished = True
        self._receiver = None
        self._context = None
        release_extensions(self._extensions)  # bytes held before accept() are parsed by now

    def _taken(self, _: Any) -> None:
        self._waiting = False
        self._run(self._deliver)

    def _pause(self) -> None:
        if not self._paused and self.transport is not None and not self._lost:
            self._paused = True
            self.transport.pause_reading()

    def _handshake_done(self, response: Any) -> None:
        handshake = self._handshake
        if handshake is None or handshake.done():
            return
        exc = self.protocol.handshake_exc
        if exc is not None:
            handshake.set_exception(exc)
            return
        self._extensions = list(self.protocol.extensions)
        handshake.set_result(response)

    # ---------------------------------------------------------------- output
    def _write(self, data: bytes) -> None:
        """Write ``data`` now, or queue it while the loop's outbox is held (:mod:`wsguide.net.outbox`).

        A large frame is never queued: what was queued before it goes first, then the frame.
        """
        unsent = self._unsent
        large = len(data) >= WRITE_AT_ONCE
        if unsent is not None:
            if not large:
                unsent.append(data)
                return
            self.flush()
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if large or not self._outbox.holding:  # type: ignore[union-attr]  (set with the transport)
            transport.write(data)
            return
        self._unsent = [data]
        self._outbox.add(self)  # type: ignore[union-attr]

    def flush(self) -> None:
        """Hand what was held to the transport, in one piece."""
        unsent = self._unsent
        if unsent is None:
            return
        self._unsent = None
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.write(unsent[0] if len(unsent) == 1 else b"".join(unsent))

    def _write_eof(self) -> None:
        self.flush()
        transport = self.transport
        if transport is not None and not transport.is_closing() and transport.can_write_eof():
            try:
                transport.write_eof()
            except OSError:  # the peer is already gone
                transport.abort()

    def _write_protocol_output(self, peer_closed: bool) -> None:
        """Write what the protocol wants written, except its answer to the peer's Close."""
        for data in self.protocol.data_to_send():
            if not data:  # end of stream: only once our own Close is out
                if self._close_sent:
                    self._write_eof()
                else:
                    self._eof_owed = True
            elif is_close(data):
                if peer_closed:
                    continue  # the Worker answers the peer's Close, not websockets
                exc = self.protocol.parser_exc
                if isinstance(exc, PayloadTooBig):
                    data = close_frame(1009, too_big_reason(exc), mask=self.client)
                self._close_sent = True
                self._write(data)
            else:
                self._write(data)

    def send(self, item: Item) -> None:
        """What the Worker's socket sends (core Transport)."""
        if type(item) is Message:
            self.send_message(item.data)
        elif type(item) is CloseItem:
            self.close(item.code, item.reason)
        elif type(item) is Disconnect:
            self.abort()
        elif type(item) is Failure:
            self.close(1011, "")  # the other side of a spliced connection failed

    def send_message(self, data: str | bytes) -> None:
        """Write one message without waiting (Workers has no ``bufferedAmount``)."""
        if self._close_sent or self._lost:
            return
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if self._plain:
            self._write(server_frame(data))
            return
        if isinstance(data, str):
            frame = Frame(_TEXT, data.encode())
        else:
            frame = Frame(_BINARY, data)
        self._write(frame.serialize(mask=self.client, extensions=self._extensions))

    def close(self, code: int | None, reason: str = "") -> None:
        """Send the Worker's Close frame (once), then end the TCP connection in turn."""
        if self._close_sent or self._lost:
            return
        self._close_sent = True
        protocol = self.protocol
        sent = False
        if protocol.state is OPEN and (code is None or len(reason.encode()) <= 123):
            try:
                protocol.send_close(code, reason) if code is not None else protocol.send_close()
                sent = True
            except RefusedByWebsockets:
                pass  # a code workerd sends and websockets refuses (e.g. 2000): ours below
        if sent:
            self._write_protocol_output(False)
        else:
            self._write(close_frame(code, reason, mask=self.client))
        if self._eof_owed:
            self._write_eof()
        self._closer = deadlines_for(asyncio.get_running_loop(), CLOSE_TIMEOUT).arm(self.abort)

    def abort(self) -> None:
        """Drop the TCP connection at once, without a Close frame."""
        if self.transport is not None:
            self.flush()  # what was sent before still goes out first, as before the abort
            self.transport.abort()

    def shutdown(self) -> None:
        """The server is stopping: close with 1001 (going away) unless a Close went out.

        A socket the Worker never accepted is dropped: nobody would read the answer.
        """
        if self._receiver is None:
            self.abort()
        else:
            self.close(1001, "")

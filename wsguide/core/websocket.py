"""The Workers ``WebSocket``: a state machine with no network.

This is a literal model of workerd's ``LegacyWebSocketAdapter``
(``spec/workers-websocket-semantics.md`` §1–§3). Its state moves only through
the table in :mod:`wsguide.core.states`; besides the state a socket keeps
workerd's flags: ``closed_outgoing`` (we sent Close), ``closed_incoming`` (a
Close came, or the peer vanished), ``outgoing_aborted`` (nothing can be sent
any more) and the first error. ``readyState`` is computed from them exactly
as workerd does.

How messages move
-----------------
Each socket has an *outbox*, a FIFO of what it sent (:class:`Message`,
:class:`Close`). The outbox drains into a *sink*: the peer end once the peer is
accepted, or a :class:`Transport` (the network) once the runtime connects one.
Until then messages wait, in order, and are never lost. Delivery to a peer end
happens on a later turn of the isolate's scheduler, never inside ``send()``.

Input enters through :meth:`WebSocket.receive`, one record of
:mod:`wsguide.core.messages` at a time, in order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from . import isolate as _isolate
from . import texts
from .clonesize import structured_clone_size
from .codec import decode_value, encode_value
from .closing import validate_close
from .connections import Pending, Transport, Vanished
from .errors import JsError, JsTypeError
from .events import CloseEvent, ErrorEvent, Event, EventTarget, MessageEvent, add_handler_properties
from .isolate import Isolate, emit
from .jsapi import JS_NULL, JsInterface, JsNull
from .messages import Close, Closed, Disconnect, Failure, Item, Message, Opened
from .states import Input, SocketState, next_state
from .urls import validate_protocols, validate_ws_url
from .values import Blob, js_string

__all__ = ["HibernationOwner", "Pending", "Transport", "WebSocket"]


class HibernationOwner(Protocol):
    """A Durable Object that owns a hibernatable socket: it gets the socket's input."""

    def on_socket_input(self, ws: WebSocket, item: Message | Closed | Failure) -> Pending | None: ...


class WebSocket(EventTarget):
    """A WebSocket as Workers gives it to your code.

    You meet three kinds: the two ends of a ``WebSocketPair``, a socket from
    ``fetch(url, headers={"Upgrade": "websocket"})``, and an outbound
    connection made with ``WebSocket(url)``. All share this class and its rules.
    """

    __js__ = JsInterface(
        "WebSocket",
        methods=("accept", "send", "close", "addEventListener", "removeEventListener", "dispatchEvent",
                 "serializeAttachment", "deserializeAttachment"),
        properties=("readyState", "url", "protocol", "extensions", "binaryType",
                    "onopen", "onmessage", "onclose", "onerror",
                    "CONNECTING", "OPEN", "CLOSING", "CLOSED",
                    "READY_STATE_CONNECTING", "READY_STATE_OPEN", "READY_STATE_CLOSING", "READY_STATE_CLOSED"),
        settable=("binaryType", "onopen", "onmessage", "onclose", "onerror"),
        statics=("CONNECTING", "OPEN", "CLOSING", "CLOSED",
                 "READY_STATE_CONNECTING", "READY_STATE_OPEN", "READY_STATE_CLOSING", "READY_STATE_CLOSED"),
    )

    CONNECTING = READY_STATE_CONNECTING = 0
    OPEN = READY_STATE_OPEN = 1
    CLOSING = READY_STATE_CLOSING = 2
    CLOSED = READY_STATE_CLOSED = 3

    def __init__(self, url: str, protocols: str | list[str] | tuple[str, ...] | None = None) -> None:
        """Open an outbound WebSocket to ``url`` (``ws://`` or ``wss://``).

        Returns at once in ``CONNECTING``; ``open`` fires when the handshake
        is done (the socket is accepted for you), then ``message`` events. On
        failure: an ``error`` event, then ``close`` with code 1006.
        """
        validate_ws_url(url)
        self._setup(_isolate.current(), SocketState.CONNECTING)
        self.url = url
        #: The subprotocols offered in the handshake (wsguide only).
        self.offered_protocols = validate_protocols(protocols)
        self._cancel_connect = self._isolate.network.connect_websocket(self)

    @classmethod
    def awaiting(cls, isolate: Isolate | None = None) -> WebSocket:
        """A fresh socket waiting for ``accept()`` or a Response (pair ends, ``fetch()`` sockets)."""
        ws = cls.__new__(cls)
        ws._setup(isolate if isolate is not None else _isolate.current(), SocketState.AWAITING)
        return ws

    # What a new socket starts with, kept on the class: a socket is made for every
    # connection, and _setup then only sets what differs between sockets.
    _closed_outgoing = False
    _closed_incoming = False
    _outgoing_aborted = False
    _error: JsError | None = None
    _peer: WebSocket | None = None
    _transport: Transport | None = None
    _attachment: bytes | None = None
    _received_data = False
    _disconnected = False
    _cancel_connect: Callable[[], None] | None = None
    #: The peer end that gets "Network connection lost." once this end is released (F1).
    _error_on_release: WebSocket | None = None
    _owner: HibernationOwner | None = None
    url: str | JsNull = JS_NULL  # a pair end has no URL: null, as in workerd
    protocol: str | None = ""
    extensions: str | None = ""

    def _setup(self, isolate: Isolate, state: SocketState) -> None:
        EventTarget.__init__(self, isolate)
        compat = isolate.compat
        self._compat = compat
        self._state = state
        self._allow_half_open = not compat.web_socket_auto_reply_to_close
        self._from_constructor = state is SocketState.CONNECTING
        self._outbox: deque[Message | Close | Disconnect] = deque()
        self._binary_type = compat.default_binary_type
        self.offered_protocols: list[str] = []

    # ------------------------------------------------------------------ state
    @property
    def readyState(self) -> int:
        """0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED — computed as in workerd.

        Note the surprise: an end you returned in a Response stays ``OPEN``
        forever, because from your code's point of view it is inert.
        """
        hibernatable = self._state is SocketState.HIBERNATABLE
        if (self._closed_incoming and self._closed_outgoing) or (self._error is not None and not hibernatable):
            return 3
        if self._closed_incoming or self._closed_outgoing:
            return 2
        if self._state is SocketState.CONNECTING:
            return 0
        return 1

    @property
    def binaryType(self) -> str:
        """``"blob"`` or ``"arraybuffer"``: how binary messages arrive. Other values are ignored."""
        return self._binary_type

    @binaryType.setter
    def binaryType(self, value: str) -> None:
        if value in ("blob", "arraybuffer"):
            self._binary_type = value

    @property
    def isolate(self) -> Isolate:
        """wsguide only: the isolate (compatibility settings, log, scheduler) this socket follows."""
        return self._isolate

    @property
    def state(self) -> SocketState:
        """wsguide only: workerd's internal state, for teaching."""
        return self._state

    @property
    def peer(self) -> WebSocket | None:
        """wsguide only: the other end of this socket's pair, while they are still joined."""
        return self._peer

    @property
    def closed_outgoing(self) -> bool:
        """wsguide only: whether this end has sent (or queued) its Close frame."""
        return self._closed_outgoing

    @property
    def outgoing_aborted(self) -> bool:
        """wsguide only: whether nothing can be sent any more (the peer vanished, or an error)."""
        return self._outgoing_aborted

    def _move(self, event: Input) -> None:
        self._state = next_state(self._state, event)

    # ---------------------------------------------------------------- accept
    def accept(self, options: dict[str, Any] | None = None, *, allowHalfOpen: bool | None = None) -> None:
        """Start handling this socket in your code: events begin to arrive.

        ``allowHalfOpen=True`` turns off the automatic reply to a received
        Close frame (you then call ``close()`` yourself). Accepting twice is
        allowed and does nothing.
        """
        was = self._state
        self._move(Input.ACCEPT)
        if was is SocketState.ACCEPTED:
            return
        if options is not None and allowHalfOpen is None:
            allowHalfOpen = options.get("allowHalfOpen")
        if allowHalfOpen is not None:
            self._allow_half_open = bool(allowHalfOpen)
        self._start_flowing()

    def accept_hibernatable(self, owner: HibernationOwner) -> None:
        """``ctx.acceptWebSocket(ws)``: ``owner`` gets this socket's input instead of listeners."""
        self._move(Input.ACCEPT_HIBERNATABLE)
        self._owner = owner
        self._start_flowing()

    def _start_flowing(self) -> None:
        if self._transport is not None:
            self._transport.start_reading(self.receive)
        if self._peer is not None:
            self._peer._pump()  # the peer may have messages waiting for us

    def release_owner(self) -> None:
        """The owning Durable Object let go of this socket (its close was handled, or it broke)."""
        self._owner = None

    # ------------------------------------------------------------------ send
    def send(self, message: str | bytes | bytearray | memoryview | Any) -> None:
        """Send a text (``str``) or binary (bytes-like) message.

        Other values are turned into text as JavaScript would (a ``Blob``
        becomes ``"[object Blob]"``) — almost never what you want, so
        wsguide also warns in the Worker's log.
        """
        if self._closed_outgoing:
            raise JsTypeError(texts.SEND_AFTER_CLOSE)
        state = self._state
        if self._outgoing_aborted or state is SocketState.RELEASED:
            return
        if state is not SocketState.ACCEPTED and state is not SocketState.HIBERNATABLE:
            raise JsTypeError(texts.SEND_BEFORE_ACCEPT)
        if isinstance(message, str) or isinstance(message, bytes):
            data: str | bytes = message
        elif isinstance(message, (bytearray, memoryview)):
            data = bytes(message)  # copied now: later changes to the buffer don't matter
        else:
            data = js_string(message)
            emit("warn", _coercion_hint(message, data))
        transport = self._transport
        if transport is not None and not self._outbox:
            transport.send(Message(data))  # nothing queued ahead of it: straight to the network
            return
        self._outbox.append(Message(data))
        self._pump()

    def send_auto_response(self, text: str) -> None:
        """Answer with ``setWebSocketAutoResponse``'s response (not once this end closed)."""
        if not self._closed_outgoing and not self._outgoing_aborted:
            self._outbox.append(Message(text))
            self._pump()

    # ----------------------------------------------------------------- close
    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Start the closing handshake.

        Without ``code`` an empty Close frame is sent: the peer sees 1005.
        ``code`` must be 1000–4999 except 1004, 1005, 1006 and 1015; ``reason``
        at most 123 UTF-8 bytes and only together with a code.
        """
        reason = validate_close(self._compat, code, reason)
        state = self._state
        if state is SocketState.CONNECTING:
            self._move(Input.CLOSE_WHILE_CONNECTING)
            if self._cancel_connect is not None:
                self._cancel_connect()
            return
        if self._closed_outgoing or state is SocketState.RELEASED:
            return
        if self._outgoing_aborted:
            # The peer is gone: nothing is sent, but this side now counts as
            # closed (workerd: readyState 2 after close() following a 1006).
            self._closed_outgoing = True
            return
        if state is SocketState.AWAITING:
            raise JsTypeError(texts.SEND_BEFORE_ACCEPT)
        replying = self._closed_incoming
        self._closed_outgoing = True
        self._outbox.append(Close(code, reason or ""))
        self._pump()
        if replying:
            self._after_close_reply()
        self._release_when_done()

    def _after_close_reply(self) -> None:
        # workerd (observed, docs/findings.md F1): an end that received data and
        # then answered the peer's Close gets an `error` event "Network
        # connection lost." on a later turn, after its `close` event.
        if self._received_data and self._state is SocketState.ACCEPTED:
            if self._peer is not None:
                # Between the two ends of a pair it comes once the peer (which sent the
                # Close) has been released, a few turns later (buffer-before-accept golden).
                self._peer._error_on_release = self
            else:
                self._isolate.scheduler.call_soon(self._fail, JsError(texts.NETWORK_LOST))

    def _release_when_done(self) -> None:
        """Both directions closed: workerd releases the native socket (spec §1.2).

        It happens when the outgoing pump finishes, i.e. on a later turn, never
        inside the close listener; afterwards ``accept()`` raises the "already
        used in a response" TypeError. Hibernatable sockets stay with their owner.
        """
        if (self._closed_incoming or self._disconnected) and self._state is SocketState.ACCEPTED:
            self._isolate.scheduler.call_soon(self._release_if_idle)

    def _release_if_idle(self) -> None:
        if (
            self._state is SocketState.ACCEPTED
            and (self._closed_incoming or self._disconnected)
            and (self._closed_outgoing or self._outgoing_aborted)
            and not self._outbox
        ):
            self._move(Input.FINISHED)
            target = self._error_on_release
            if target is not None:
                self._error_on_release = None
                self._isolate.scheduler.call_soon(target._fail, JsError(texts.NETWORK_LOST))

    def drop(self) -> None:
        """Drop the connection without a Close frame (a Durable Object that broke or aborted)."""
        if self._outgoing_aborted and self._closed_incoming:
            return
        self._closed_incoming = True
        self._outbox.append(Disconnect())
        self._pump()
        self._outgoing_aborted = True

    # ------------------------------------------------------ outgoing plumbing
    def _sink(self) -> Callable[[Any], None] | None:
        if self._transport is not None:
            return self._transport.send
        peer = self._peer
        if peer is not None and peer._state in (SocketState.ACCEPTED, SocketState.HIBERNATABLE):
            return peer._receive_later
        return None  # peer not accepted yet (or gone): keep the outbox

    def _pump(self) -> None:
        sink = self._sink()
        if sink is None:
            return
        outbox = self._outbox
        while outbox:
            sink(outbox.popleft())

    def _receive_later(self, item: Item) -> None:
        self._isolate.scheduler.call_soon(self.receive, item)

    # ------------------------------------------------------ incoming plumbing
    def receive(self, item: Item) -> Pending | None:
        """Handle one incoming item, from the peer end or the network, in order.

        Returns what the owning Durable Object returns for a message that waits in
        its queue (see :class:`Transport`), else ``None``.
        """
        if self._state is SocketState.RELEASED or self._error is not None:
            return None
        if isinstance(item, Message):
            return self._receive_message(item)
        elif isinstance(item, Close):
            self._receive_close(item)
        elif isinstance(item, Disconnect):
            self._receive_disconnect()
        elif isinstance(item, Failure):
            self._fail(item.error)
        elif isinstance(item, Opened):
            self.dispatchEvent(Event("open"))
        return None

    def _receive_message(self, item: Message) -> Pending | None:
        if self._closed_incoming:
            return None
        owner = self._owner
        if owner is not None:
            return owner.on_socket_input(self, item)
        self._received_data = True
        data = item.data
        if isinstance(data, bytes) and self._binary_type == "blob":
            data = Blob(data)
        self.dispatchEvent(MessageEvent("message", data=data))
        return None

    def _receive_close(self, item: Close) -> None:
        if self._closed_incoming:
            return
        self._closed_incoming = True
        code = item.code if item.code is not None else 1005
        owner = self._owner
        if (
            owner is None
            and self._compat.web_socket_auto_reply_to_close
            and not self._allow_half_open
            and not self._closed_outgoing
            and not self._outgoing_aborted
        ):
            # Automatic close reply: echo code and reason, *before* the close
            # event, so readyState is already CLOSED inside the listener.
            self._closed_outgoing = True
            self._outbox.append(Close(item.code, item.reason))
            self._pump()
            self._after_close_reply()
        if owner is not None:
            owner.on_socket_input(self, Closed(code, item.reason, True))
        else:
            self.dispatchEvent(CloseEvent("close", code=code, reason=item.reason, wasClean=True))
        self._release_when_done()

    def _receive_disconnect(self) -> None:
        if self._closed_incoming or self._outgoing_aborted:
            return
        self._outgoing_aborted = True
        self._disconnected = True
        owner = self._owner
        if owner is not None:
            self._closed_incoming = True
            owner.on_socket_input(self, Closed(1006, texts.CLOSED_NO_FRAME_REASON, False))
        else:
            # workerd (observed, findings F2): the close listener sees readyState 1;
            # only the hibernation hook sees 2.
            self.dispatchEvent(CloseEvent("close", code=1006, reason=texts.CLOSED_NO_FRAME_REASON, wasClean=False))
        self._release_when_done()

    def _fail(self, error: JsError) -> None:
        if self._error is not None:
            return  # only the first error is reported
        self._error = error
        self._outgoing_aborted = True
        failure = Failure(error)
        owner = self._owner
        if owner is not None:
            # Hibernatable (golden durable-object-hibernation): webSocketError sees readyState
            # 2 — our Close went out, the peer's never came.
            self._closed_outgoing = True
            owner.on_socket_input(self, failure)
        else:
            self.dispatchEvent(ErrorEvent("error", message=failure.message, error=error))

    def _listener_failed(self, exc: BaseException) -> None:
        # The Worker's code let an error escape a listener: workerd logs it as uncaught
        # and drops the connection without a Close frame (the client sees 1006; golden
        # listener_raises in tests/pyodide_workerd). Everyone else is unaffected.
        super()._listener_failed(exc)
        transport = self._transport
        if transport is not None and not self._outgoing_aborted:
            self._outgoing_aborted = True
            self._closed_incoming = True
            transport.send(Disconnect())

    # ---------------------------------------- the network side (wsguide.net)
    def check_returnable(self) -> None:
        """Raise the runtime's TypeError if this socket cannot go in a Response."""
        if self._from_constructor:
            raise JsTypeError(texts.RETURN_NEW_WEBSOCKET)
        next_state(self._state, Input.COUPLE)

    def couple(self, transport: Transport) -> None:
        """Hand this end to the network: it becomes inert (``RELEASED``).

        Its peer now talks to ``transport``: what the peer sends goes out on
        the wire, and what the wire brings is delivered to the peer.
        """
        self.check_returnable()
        self._move(Input.COUPLE)
        peer = self._peer
        if peer is not None:
            peer._transport = transport
            peer._peer = None
            self._peer = None
            if peer._state in (SocketState.ACCEPTED, SocketState.HIBERNATABLE):
                transport.start_reading(peer.receive)
            peer._pump()
        elif self._transport is not None:
            # A socket from fetch() returned as-is: splice the two networks together.
            origin = self._transport
            self._transport = None
            transport.start_reading(origin.send)
            origin.start_reading(transport.send)

    def abandon(self) -> None:
        """The runtime could not hand this returned end to a client: it is released.

        The handshake failed after the Worker's 101 (no ``Sec-WebSocket-Key``), or
        the client left before the 101 reached it. The peer end then sees what a
        vanished client is, :class:`Disconnect` (1006, not clean; a Durable
        Object's ``webSocketClose`` runs and the socket leaves ``getWebSockets()``).
        """
        self.couple(Vanished(self._isolate))

    def attach(self, transport: Transport) -> None:
        """A ``fetch()`` upgrade's socket: its network is ``transport``, read once accepted."""
        self._transport = transport

    def connection_opened(self, transport: Transport, protocol: str | None, extensions: str | None) -> None:
        """The handshake of ``WebSocket(url)`` completed: ``open``, then messages."""
        self._move(Input.CONNECTED)
        self._transport = transport
        # Once connected: the server's header, or null when it sent none (as workerd).
        self.protocol = JS_NULL if protocol is None else protocol
        self.extensions = JS_NULL if extensions is None else extensions
        self.receive(Opened())  # `open` comes first, then the reader starts
        transport.start_reading(self.receive)

    def connection_failed(self, error: JsError) -> None:
        """The handshake of ``WebSocket(url)`` failed (or ``close()`` cancelled it)."""
        self._move(Input.CONNECT_FAILED)
        self._closed_incoming = True
        self._outgoing_aborted = True
        self._error = error
        self.dispatchEvent(ErrorEvent("error", message=Failure(error).message, error=error))
        self.dispatchEvent(CloseEvent("close", code=1006, reason=texts.CONNECT_FAILED_REASON, wasClean=False))

    @property
    def on_network(self) -> bool:
        """wsguide only: a network connection (not the other end of a pair) is behind this socket."""
        return self._transport is not None and hasattr(self._transport, "negotiated_extensions")

    @property
    def negotiated_extensions(self) -> str | None:
        """wsguide only: the extensions the network connection under this socket agreed on
        (``"permessage-deflate"``), whatever ``extensions`` says; None off the network."""
        return getattr(self._transport, "negotiated_extensions", None)

    # ---------------------------------------------- attachments (Durable Objects)
    def serializeAttachment(self, value: Any) -> None:
        """Keep a small value with this socket; it survives hibernation (≤ 16 KiB)."""
        data = encode_value(value)  # refuses what structured clone cannot copy (DataCloneError)
        size = structured_clone_size(value)  # the limit counts V8's bytes, not wsguide's encoding
        if size > texts.MAX_ATTACHMENT_BYTES:
            raise JsError(texts.ATTACHMENT_TOO_BIG.format(size=size))
        self._attachment = data

    def deserializeAttachment(self) -> Any:
        """A copy of the value given to ``serializeAttachment()``, or ``null`` if none was."""
        if self._attachment is None:
            return JS_NULL
        return decode_value(self._attachment)

    def __repr__(self) -> str:
        names = {0: "CONNECTING", 1: "OPEN", 2: "CLOSING", 3: "CLOSED"}
        extra = f" url={self.url!r}" if self.url else ""
        return f"<WebSocket {names[self.readyState]} ({self._state.value}){extra}>"


add_handler_properties(WebSocket, ("open", "message", "close", "error"))


def _coercion_hint(message: Any, sent: str) -> str:
    """wsguide's hint when send() turned a value into text (as JavaScript's String() does)."""
    if isinstance(message, Blob):
        fix = 'read the bytes first (data = await event.data.arrayBuffer()), or set ws.binaryType = "arraybuffer"'
        kind = "a Blob"
    else:
        python = getattr(message, "obj", message)  # a Python object that crossed as a PyProxy
        kind = f"a Python {type(python).__name__}"
        binary = isinstance(python, (bytes, bytearray, memoryview))
        fix = "send binary data as to_js(data)" if binary else "turn it into text yourself (json.dumps(...))"
    return f"[wsguide hint] send() was given {kind}, so it sent the text {sent!r}: {fix}."


def join(a: WebSocket, b: WebSocket) -> None:
    """Make ``a`` and ``b`` the two ends of one pair."""
    a._peer, b._peer = b, a

"""The WebSocket Hibernation API: ``ctx`` (``DurableObjectState``), its limits and texts.

Everything a Durable Object calls on ``self.ctx`` lives here —
``acceptWebSocket(ws, tags)``, ``getWebSockets(tag)``, ``getTags``,
``setWebSocketAutoResponse``, the event timeout, ``blockConcurrencyWhile``,
``waitUntil``, ``abort`` — with the runtime's limits and exact error texts
(``spec/workers-websocket-semantics.md`` §7.2), plus the attachment codec that
``WebSocket.serializeAttachment`` uses. The machinery that runs objects (queue,
instances, hibernation timer) is in :mod:`wsguide.durable`.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as _dt
import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .errors import Error, RangeError
from .storage import DurableObjectStorage, decode_value, encode_value
from .websocket import SocketState, WebSocket

if TYPE_CHECKING:
    from .durable import DurableObjectId, _Host

__all__ = [
    "DurableObjectState",
    "WebSocketRequestResponsePair",
    "deserialize_attachment",
    "serialize_attachment",
]

# Limits and exact texts (spec §7.2).
MAX_TAGS = 10
MAX_TAG_BYTES = 256
MAX_SOCKETS = 32_768
MAX_ATTACHMENT_BYTES = 16_384
MAX_AUTO_RESPONSE_BYTES = 2048
MAX_EVENT_TIMEOUT_MS = 604_800_000
DEFAULT_HIBERNATE_AFTER = 10.0

MSG_ALREADY_ACCEPTED = (
    "Cannot call `acceptWebSocket()` if the WebSocket was already accepted via `accept()`"
)
MSG_PAIR_USED = (
    "Cannot call `acceptWebSocket()` on this WebSocket because its pair has already been "
    "accepted or used in a Response."
)
MSG_INCOMPATIBLE = "Tried to make an api::WebSocket hibernatable when it was in an incompatible state."
MSG_TOO_MANY_TAGS = "a Hibernatable WebSocket cannot have more than 10 tags"
MSG_TAG_TOO_LONG = '"{tag}" is longer than the max tag length (256 characters).'
MSG_TOO_MANY_SOCKETS = "only 32768 websockets can be accepted on a single Durable Object instance"
MSG_TAGS_NOT_ACCEPTED = (
    "you must call 'acceptWebSocket()' before attempting to access the tags of a WebSocket."
)
MSG_TAGS_NOT_HIBERNATABLE = "only hibernatable websockets can have tags."
MSG_ATTACHMENT_TOO_BIG = (
    "A WebSocket 'attachment' cannot be larger than 16384 bytes.'attachment' was {size} bytes."
)
MSG_AUTO_REQUEST_TOO_BIG = (
    "Request cannot be larger than 2048 bytes. A request of size {size} was provided."
)
MSG_AUTO_RESPONSE_TOO_BIG = (
    "Response cannot be larger than 2048 bytes. A response of size {size} was provided."
)
MSG_EVENT_TIMEOUT = "Event timeout should not exceed 604800000 ms."
MSG_EVENT_TIMEOUT_EXCEEDED = "Actor exceeded event execution time and was disconnected."
MSG_ABORT = "Application called abort() to reset Durable Object."


# ---------------------------------------------------------------------------
# Attachments (called lazily by WebSocket.serializeAttachment)
# ---------------------------------------------------------------------------
def serialize_attachment(value: Any) -> bytes:
    """Serialize an attachment; its serialized form must fit in 16,384 bytes."""
    data = encode_value(value)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise Error(MSG_ATTACHMENT_TOO_BIG.format(size=len(data)))
    return data


def deserialize_attachment(data: bytes) -> Any:
    value = decode_value(data)
    if type(value) is dict:  # TEMPORARY SHIM until the boundary work: .to_py() as on Workers
        from .ffi import _JsObjectShim

        return _JsObjectShim(value)
    return value


# ---------------------------------------------------------------------------
# Public small types
# ---------------------------------------------------------------------------
class WebSocketRequestResponsePair:
    """``WebSocketRequestResponsePair("ping", "pong")`` for ``ctx.setWebSocketAutoResponse``.

    Read it back with the ``request`` and ``response`` properties. (Cloudflare's docs
    mention ``getRequest()``/``getResponse()`` methods; workerd has none, so neither
    has wsguide.)
    """

    __slots__ = ("_request", "_response")

    def __init__(self, request: str, response: str) -> None:
        self._request = str(request)
        self._response = str(response)

    @classmethod
    def new(cls, request: str, response: str) -> WebSocketRequestResponsePair:
        """Same as the constructor: mirrors ``WebSocketRequestResponsePair.new(...)`` in Pyodide."""
        return cls(request, response)

    @property
    def request(self) -> str:
        return self._request

    @property
    def response(self) -> str:
        return self._response

    def __repr__(self) -> str:
        return f"WebSocketRequestResponsePair({self._request!r}, {self._response!r})"


# Which objects' input gates the running code is inside (detects re-entrant calls).
_inside: contextvars.ContextVar[frozenset[Any]] = contextvars.ContextVar("wsguide_do_gate", default=frozenset())


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


# ---------------------------------------------------------------------------
# ctx
# ---------------------------------------------------------------------------
class DurableObjectState:
    """``self.ctx`` of a Durable Object: its id, storage and the Hibernation API."""

    def __init__(self, host: _Host) -> None:
        self._host = host
        self.id: DurableObjectId = host.id
        self.storage: DurableObjectStorage = host.storage

    # -- hibernation API -------------------------------------------------------
    def acceptWebSocket(self, ws: WebSocket, tags: list[str] | tuple[str, ...] | None = None) -> None:
        """Accept ``ws`` for this object: its events go to ``webSocketMessage``/``Close``/``Error``.

        The socket survives hibernation. At most 10 tags of at most 256 bytes each.
        """
        if not isinstance(ws, WebSocket):
            raise TypeError(f"acceptWebSocket() needs a WebSocket, got {type(ws).__name__}.")
        if ws._state is SocketState.ACCEPTED:
            raise Error(MSG_ALREADY_ACCEPTED)
        peer = ws._peer
        if peer is None or peer._state is not SocketState.AWAITING:
            raise Error(MSG_PAIR_USED)
        distinct: list[str] = []
        for tag in tags or ():
            if len(distinct) >= MAX_TAGS:
                raise Error(MSG_TOO_MANY_TAGS)
            tag = str(tag)
            if len(tag.encode("utf-8")) > MAX_TAG_BYTES:
                raise Error(MSG_TAG_TOO_LONG.format(tag=tag))
            if tag not in distinct:
                distinct.append(tag)
        host = self._host
        if len(host.sockets) >= host.max_sockets:
            raise Error(MSG_TOO_MANY_SOCKETS)
        if ws._state is not SocketState.AWAITING:
            raise TypeError(MSG_INCOMPATIBLE)
        host.adopt(ws, tuple(distinct))

    def getWebSockets(self, tag: str | None = None) -> list[WebSocket]:
        """Hibernatable sockets: all (newest first), or those with ``tag`` (in acceptance order)."""
        host = self._host
        if tag is None:
            return list(reversed(host.sockets))
        return list(host.by_tag.get(tag, ()))

    def getTags(self, ws: WebSocket) -> list[str]:
        tags = getattr(ws, "_hib_tags", None)
        if tags is None or not ws._hibernatable:
            if ws._state is SocketState.ACCEPTED:
                raise Error(MSG_TAGS_NOT_HIBERNATABLE)
            raise Error(MSG_TAGS_NOT_ACCEPTED)
        return list(tags)

    def setWebSocketAutoResponse(self, pair: WebSocketRequestResponsePair | None = None) -> None:
        """Answer a text message equal to ``pair.request`` with ``pair.response``, without waking the object."""
        if pair is None:
            self._host.auto_response = None
            return
        size = len(pair.request.encode("utf-8"))
        if size > MAX_AUTO_RESPONSE_BYTES:
            raise RangeError(MSG_AUTO_REQUEST_TOO_BIG.format(size=size))
        size = len(pair.response.encode("utf-8"))
        if size > MAX_AUTO_RESPONSE_BYTES:
            raise RangeError(MSG_AUTO_RESPONSE_TOO_BIG.format(size=size))
        self._host.auto_response = pair

    def getWebSocketAutoResponse(self) -> WebSocketRequestResponsePair | None:
        return self._host.auto_response

    def getWebSocketAutoResponseTimestamp(self, ws: WebSocket) -> _dt.datetime | None:
        """When ``ws`` last got an automatic response (a UTC datetime), or ``None``."""
        return getattr(ws, "_auto_ts", None)

    def setHibernatableWebSocketEventTimeout(self, timeoutMs: int | None = None) -> None:
        if timeoutMs is not None and timeoutMs > MAX_EVENT_TIMEOUT_MS:
            raise Error(MSG_EVENT_TIMEOUT)
        self._host.event_timeout = timeoutMs or None

    def getHibernatableWebSocketEventTimeout(self) -> int | None:
        return self._host.event_timeout

    # -- concurrency and lifetime ----------------------------------------------
    def blockConcurrencyWhile(self, callback: Callable[[], Any]) -> asyncio.Future[Any]:
        """Run ``callback()`` (sync or async) with no other event delivered meanwhile.

        Called in the constructor (where you cannot ``await``), the first event
        waits until it has finished.
        """
        host = self._host
        if host in _inside.get():
            fut = asyncio.ensure_future(_maybe_await(callback()))
            host.blockers.append(fut)
            return fut
        return asyncio.ensure_future(host.call("block", callback))

    def waitUntil(self, awaitable: Awaitable[Any]) -> None:
        """Keep the object awake until ``awaitable`` finishes."""
        task = asyncio.ensure_future(awaitable)
        self._host.tasks.add(task)
        task.add_done_callback(self._host.tasks.discard)

    def abort(self, reason: str | None = None) -> None:
        """Reset the object: drop the instance, disconnect its sockets, raise ``Error``."""
        exc = Error(reason if reason is not None else MSG_ABORT)
        self._host.break_(exc)
        raise exc

    accept_web_socket = acceptWebSocket
    get_web_sockets = getWebSockets
    get_tags = getTags
    set_web_socket_auto_response = setWebSocketAutoResponse
    get_web_socket_auto_response = getWebSocketAutoResponse
    get_web_socket_auto_response_timestamp = getWebSocketAutoResponseTimestamp
    set_hibernatable_web_socket_event_timeout = setHibernatableWebSocketEventTimeout
    get_hibernatable_web_socket_event_timeout = getHibernatableWebSocketEventTimeout
    block_concurrency_while = blockConcurrencyWhile
    wait_until = waitUntil

    def __repr__(self) -> str:
        return f"<DurableObjectState {self.id!r}>"

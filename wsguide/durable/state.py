"""``ctx`` of a Durable Object (``DurableObjectState``): the WebSocket Hibernation API and its limits.

Everything a Durable Object calls on ``self.ctx`` lives here —
``acceptWebSocket(ws, tags)``, ``getWebSockets(tag)``, ``getTags``,
``setWebSocketAutoResponse``, the event timeout, ``blockConcurrencyWhile``,
``waitUntil``, ``abort`` — with the runtime's limits and exact error texts
(``spec/workers-websocket-semantics.md`` §7.2). What runs objects (their event
queue, instances, hibernation timer) is :mod:`wsguide.durable.host`, which
gives ``ctx`` the small :class:`ObjectHost` interface below.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ..core.errors import JsError, JsRangeError, JsTypeError
from ..core.jsapi import JS_NULL, JsInterface, JsNull
from ..core.states import SocketState
from ..core.websocket import WebSocket
from ..core.pair import WebSocketRequestResponsePair
from .storage import DurableObjectStorage

__all__ = ["DurableObjectState", "ObjectHost", "WebSocketRequestResponsePair"]

# Limits and exact texts (spec §7.2).
MAX_TAGS = 10
MAX_TAG_BYTES = 256
MAX_SOCKETS = 32_768
MAX_AUTO_RESPONSE_BYTES = 2048
MAX_EVENT_TIMEOUT_MS = 604_800_000

MSG_ALREADY_ACCEPTED = (
    "Cannot call `acceptWebSocket()` if the WebSocket was already accepted via `accept()`"
)
MSG_PAIR_USED = (
    "Cannot call `acceptWebSocket()` on this WebSocket because its pair has already been "
    "accepted or used in a Response."
)
MSG_TOO_MANY_TAGS = "a Hibernatable WebSocket cannot have more than 10 tags"
MSG_TAG_TOO_LONG = '"{tag}" is longer than the max tag length (256 characters).'
MSG_TOO_MANY_SOCKETS = "only 32768 websockets can be accepted on a single Durable Object instance"
MSG_TAGS_NOT_ACCEPTED = (
    "you must call 'acceptWebSocket()' before attempting to access the tags of a WebSocket."
)
MSG_TAGS_NOT_HIBERNATABLE = "only hibernatable websockets can have tags."
MSG_AUTO_REQUEST_TOO_BIG = (
    "Request cannot be larger than 2048 bytes. A request of size {size} was provided."
)
MSG_AUTO_RESPONSE_TOO_BIG = (
    "Response cannot be larger than 2048 bytes. A response of size {size} was provided."
)
MSG_EVENT_TIMEOUT = "Event timeout should not exceed 604800000 ms."
MSG_EVENT_TIMEOUT_EXCEEDED = "Actor exceeded event execution time and was disconnected."
MSG_ABORT = "Application called abort() to reset Durable Object."
#: jsg's text when an argument has the wrong JavaScript type (golden accept_tags_python_list).
MSG_NOT_OF_TYPE = "Failed to execute 'acceptWebSocket' on 'DurableObjectState': parameter {n} is not of type '{type}'."


class ObjectHost(Protocol):
    """What ``ctx`` needs from the machinery that runs its object."""

    id: Any
    storage: DurableObjectStorage
    auto_response: WebSocketRequestResponsePair | None
    event_timeout_ms: int | None
    #: At most this many hibernatable sockets (``MAX_SOCKETS``; tests lower it).
    max_sockets: int

    def sockets_newest_first(self) -> list[WebSocket]: ...

    def sockets_tagged(self, tag: str) -> list[WebSocket]: ...

    def socket_count(self) -> int: ...

    def tags_of(self, ws: WebSocket) -> tuple[str, ...] | None: ...

    def auto_response_time(self, ws: WebSocket) -> _dt.datetime | None: ...

    def adopt(self, ws: WebSocket, tags: tuple[str, ...]) -> None: ...

    def block(self, callback: Callable[[], Any]) -> asyncio.Future[Any]: ...

    def keep_awake(self, awaitable: Awaitable[Any]) -> None: ...

    def abort(self, error: JsError) -> None: ...


class DurableObjectState:
    """``self.ctx`` of a Durable Object: its id, storage and the Hibernation API."""

    __js__ = JsInterface(
        "DurableObjectState",
        methods=("acceptWebSocket", "getWebSockets", "getTags", "setWebSocketAutoResponse",
                 "getWebSocketAutoResponse", "getWebSocketAutoResponseTimestamp",
                 "setHibernatableWebSocketEventTimeout", "getHibernatableWebSocketEventTimeout",
                 "blockConcurrencyWhile", "waitUntil", "abort"),
        properties=("id", "storage"),
    )

    def __init__(self, host: ObjectHost) -> None:
        self._host = host
        self.id = host.id
        self.storage: DurableObjectStorage = host.storage

    # -- hibernation API -------------------------------------------------------
    def acceptWebSocket(self, ws: WebSocket, tags: list[str] | tuple[str, ...] | None = None) -> None:
        """Accept ``ws`` for this object: its events go to ``webSocketMessage``/``Close``/``Error``.

        The socket survives hibernation. At most 10 tags of at most 256 bytes each.
        """
        if not isinstance(ws, WebSocket):
            raise JsTypeError(MSG_NOT_OF_TYPE.format(n=1, type="WebSocket"))
        if tags is not None and not isinstance(tags, (list, tuple)):
            # A Python list given from Python arrives as a PyProxy, not a JavaScript Array.
            raise JsTypeError(MSG_NOT_OF_TYPE.format(n=2, type="Array"))
        if ws.state in (SocketState.ACCEPTED, SocketState.HIBERNATABLE):
            raise JsError(MSG_ALREADY_ACCEPTED)
        peer = ws.peer
        if peer is None or peer.state is not SocketState.AWAITING:
            raise JsError(MSG_PAIR_USED)
        distinct: list[str] = []
        for tag in tags or ():
            if len(distinct) >= MAX_TAGS:
                raise JsError(MSG_TOO_MANY_TAGS)
            tag = str(tag)
            if len(tag.encode("utf-8")) > MAX_TAG_BYTES:
                raise JsError(MSG_TAG_TOO_LONG.format(tag=tag))
            if tag not in distinct:
                distinct.append(tag)
        if self._host.socket_count() >= self._host.max_sockets:
            raise JsError(MSG_TOO_MANY_SOCKETS)
        self._host.adopt(ws, tuple(distinct))

    def getWebSockets(self, tag: str | None = None) -> list[WebSocket]:
        """Hibernatable sockets: all (newest first), or those with ``tag`` (in acceptance order)."""
        if tag is None:
            return self._host.sockets_newest_first()
        return self._host.sockets_tagged(tag)

    def getTags(self, ws: WebSocket) -> list[str]:
        tags = self._host.tags_of(ws)
        if tags is None:
            if ws.state is SocketState.ACCEPTED:
                raise JsError(MSG_TAGS_NOT_HIBERNATABLE)
            raise JsError(MSG_TAGS_NOT_ACCEPTED)
        return list(tags)

    def setWebSocketAutoResponse(self, pair: WebSocketRequestResponsePair | None = None) -> None:
        """Answer a text message equal to ``pair.request`` with ``pair.response``, without waking the object."""
        if pair is None:
            self._host.auto_response = None
            return
        size = len(pair.request.encode("utf-8"))
        if size > MAX_AUTO_RESPONSE_BYTES:
            raise JsRangeError(MSG_AUTO_REQUEST_TOO_BIG.format(size=size))
        size = len(pair.response.encode("utf-8"))
        if size > MAX_AUTO_RESPONSE_BYTES:
            raise JsRangeError(MSG_AUTO_RESPONSE_TOO_BIG.format(size=size))
        self._host.auto_response = pair

    # The three getters below answer JavaScript's null (jsnull), not undefined, when nothing is
    # set: workerd returns a kj::Maybe, which jsg gives JavaScript as null (spec §7.2; the JS twin
    # of parity run durable-object-hibernation tests `=== null`).
    def getWebSocketAutoResponse(self) -> WebSocketRequestResponsePair | JsNull:
        """The pair set with ``setWebSocketAutoResponse()``, or ``null``."""
        pair = self._host.auto_response
        return JS_NULL if pair is None else pair

    def getWebSocketAutoResponseTimestamp(self, ws: WebSocket) -> _dt.datetime | JsNull:
        """When ``ws`` last got an automatic response (a UTC datetime), or ``null``."""
        when = self._host.auto_response_time(ws)
        return JS_NULL if when is None else when

    def setHibernatableWebSocketEventTimeout(self, timeoutMs: int | None = None) -> None:
        if timeoutMs is not None and timeoutMs > MAX_EVENT_TIMEOUT_MS:
            raise JsError(MSG_EVENT_TIMEOUT)
        self._host.event_timeout_ms = timeoutMs or None

    def getHibernatableWebSocketEventTimeout(self) -> int | JsNull:
        """The limit set with ``setHibernatableWebSocketEventTimeout()`` (ms), or ``null``."""
        ms = self._host.event_timeout_ms
        return JS_NULL if ms is None else ms

    # -- concurrency and lifetime ----------------------------------------------
    def blockConcurrencyWhile(self, callback: Callable[[], Any]) -> asyncio.Future[Any]:
        """Run ``callback()`` (sync or async) with no other event delivered meanwhile.

        Called in the constructor (where you cannot ``await``), the first event
        waits until it has finished.
        """
        return self._host.block(getattr(callback, "obj", callback))  # the Python callable behind a PyProxy

    def waitUntil(self, awaitable: Awaitable[Any]) -> None:
        """Keep the object awake until ``awaitable`` finishes."""
        self._host.keep_awake(getattr(awaitable, "obj", awaitable))

    def abort(self, reason: str | None = None) -> None:
        """Reset the object: drop the instance, disconnect its sockets, raise ``Error``."""
        error = JsError(reason if reason is not None else MSG_ABORT)
        self._host.abort(error)
        raise error

    def __repr__(self) -> str:
        return f"<DurableObjectState {self.id!r}>"

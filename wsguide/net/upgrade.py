"""The server's side of the WebSocket handshake: from the Worker's 101 Response to a leg.

When a Worker returns ``Response(None, status=101, web_socket=client)``,
:func:`answer_upgrade` checks the client's handshake with ``websockets``'
:class:`~websockets.server.ServerProtocol` (``accept``: the key, the version,
the extensions offered) and builds the 101 that goes on the wire, the way
workerd writes it:

* ``Connection``, ``Upgrade``, ``Sec-WebSocket-Accept``, the negotiated
  ``Sec-WebSocket-Extensions`` (``permessage-deflate; client_max_window_bits=15``
  when the compatibility settings allow it and the Worker did not answer with
  an empty ``Sec-WebSocket-Extensions``, findings F6), then the Worker's own
  headers (its ``Sec-WebSocket-Protocol`` included: a subprotocol is never
  picked for it); no ``Date`` (findings F11);
* a handshake the client got wrong is answered as kj answers it — ``400 Bad
  Request``, ``ERROR: Missing Sec-WebSocket-Key`` — and the Worker's socket is
  abandoned: its peer sees the client vanish (1006), never a ghost.

The request itself was read by the HTTP side (``h11``), so the protocol is
made in state ``OPEN`` (its documented ``state`` argument): its parser expects
frames from the first byte, and ``accept`` only checks and negotiates.

The result is a :class:`~wsguide.net.http1.Switch`: the HTTP connection writes
its ``head`` and calls ``start``, which makes a
:class:`~wsguide.net.leg.WebSocketLeg` and couples the returned end to it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from websockets.datastructures import Headers as WsHeaders
from websockets.http11 import Request as WsRequest
from websockets.protocol import OPEN
from websockets.server import ServerProtocol

from ..core.compat import Compat
from ..core.websocket import WebSocket
from ..http import Response
from .deflate import ServerDeflateFactory
from .http1 import HttpReply, HttpRequest, error_reply
from .leg import WebSocketLeg

__all__ = ["Upgrade", "answer_upgrade"]

#: Headers of the 101 that the runtime writes; a Worker's values for them are ignored.
_RESERVED = frozenset(
    {"upgrade", "connection", "sec-websocket-accept", "sec-websocket-extensions", "content-length"}
)

#: The request headers ServerProtocol.accept reads (process_request and its process_* steps).
_HANDSHAKE = frozenset(
    {"connection", "upgrade", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
     "sec-websocket-protocol", "origin"}
)

_wire_logger = logging.getLogger("wsguide.wire")


class Upgrade:
    """A 101 on its way: the bytes to write and what to do once they are written."""

    def __init__(
        self,
        head: bytes,
        protocol: ServerProtocol | None,
        ws: WebSocket,
        make_leg: Callable[[ServerProtocol], WebSocketLeg],
        run: Callable[..., Any],
    ) -> None:
        self.head = head
        self._protocol = protocol
        self._ws = ws
        self._make_leg = make_leg
        self._run = run  # runs a call as the Worker's code (in its isolate)

    def start(self, transport: asyncio.Transport, leftover: bytes) -> None:
        if self._protocol is None:
            # workerd couples after the 101 is on the wire, so a socket that cannot be
            # returned (accepted already, ...) drops the connection after it (findings F9).
            transport.abort()
            return
        leg = self._make_leg(self._protocol)
        transport.set_protocol(leg)
        leg.attach(transport)
        # Couple before deciding whether to read: when the Worker has accepted already (the
        # usual case) the leg reads at once, without pausing the socket and resuming it.
        self._run(self._ws.couple, leg)
        leg.begin(leftover)

    def abandon(self) -> None:
        if self._protocol is not None:
            self._run(self._ws.abandon)


def answer_upgrade(
    request: HttpRequest,
    response: Response,
    compat: Compat,
    *,
    coupled: bool,
    make_leg: Callable[[ServerProtocol], WebSocketLeg],
    run: Callable[..., Any],
    on_refused: Callable[[str], None],
) -> Upgrade | HttpReply:
    """The 101 for ``response`` (its ``web_socket`` can be ``coupled``), or the error reply."""
    ws = response.socket
    assert ws is not None
    # Only what the handshake reads (a browser sends a dozen more: cookies, user agent, ...),
    # added one by one: Headers(list) goes through MutableMapping.update, twice the cost.
    headers = WsHeaders()
    for name, value in request.headers:
        if name.lower() in _HANDSHAKE:
            headers[name] = value
    problem = _kj_check(headers)
    extensions = response.headers.get("Sec-WebSocket-Extensions")
    wants_deflate = compat.web_socket_compression and not (extensions is not None and extensions.strip() == "")
    protocol = ServerProtocol(
        extensions=[ServerDeflateFactory(client_max_window_bits=15, compress_settings={"memLevel": 5})]
        if wants_deflate
        else None,
        max_size=compat.max_message_size,
        state=OPEN,
        logger=_wire_logger,
    )
    accepted: Any = None
    if problem is None:
        accepted = protocol.accept(WsRequest(request.target, headers, request.method, f"HTTP/{request.http_version}"))
        if accepted.status_code != 101:
            problem = str(protocol.handshake_exc or accepted.reason_phrase)
    if problem is not None or accepted is None:
        if coupled:
            run(ws.abandon)
        on_refused(problem or "")
        return error_reply(400, problem or "Bad Request")
    lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Accept: {accepted.headers['Sec-WebSocket-Accept']}",
    ]
    # get_all, not get: Mapping.get looks up through a KeyError when the header is absent.
    for negotiated in accepted.headers.get_all("Sec-WebSocket-Extensions"):
        lines.append(f"Sec-WebSocket-Extensions: {negotiated}")
    # The Worker's own headers (already checked by Headers: no line breaks).
    lines += [f"{name}: {value}" for name, value in response.headers.raw_items() if name.lower() not in _RESERVED]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
    return Upgrade(head, protocol if coupled else None, ws, make_leg, run)


def _kj_check(headers: WsHeaders) -> str | None:
    """workerd's own first checks of a handshake, with kj's texts (``acceptWebSocket``)."""
    if headers.get_all("Sec-WebSocket-Version") != ["13"]:
        return "The requested WebSocket version is not supported."
    if "Sec-WebSocket-Key" not in headers:
        return "Missing Sec-WebSocket-Key"
    return None

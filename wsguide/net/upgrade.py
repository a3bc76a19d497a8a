"""The server's side of the WebSocket handshake: from the Worker's 101 Response to a leg.

When a Worker returns ``Response(None, status=101, web_socket=client)``,
:func:`answer_upgrade` checks the client's handshake with ``websockets``'
:class:`~websockets.server.ServerProtocol` (``accept``: the key, the version,
the extensions offered) and builds the 101 that goes on the wire, the way
workerd writes it. The plain handshake nearly every client sends (one
``Connection: Upgrade``, ``Upgrade: websocket``, a 16-byte key, version 13,
nothing to negotiate) is answered without ``accept``: it would say yes and
negotiate nothing, and its ``Headers``, ``Request`` and ``Response`` were a
tenth of a connection's cost. A test checks on generated requests that the two
answers agree. The 101 has:

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
import base64
import hashlib
import logging
import re
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

#: A ``Sec-WebSocket-Key`` as clients make it: 16 bytes in base64 (RFC 6455, 4.1).
_PLAIN_KEY = re.compile(r"[A-Za-z0-9+/]{22}==")
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

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
    extensions = response.headers.get("Sec-WebSocket-Extensions")
    wants_deflate = compat.web_socket_compression and not (extensions is not None and extensions.strip() == "")
    # The plain handshake nearly every client sends: accept() would say yes and negotiate
    # nothing, so its general parsing (a Headers, a Request, a Response) is skipped.
    accept_value = _plain_accept(request, wants_deflate)
    protocol = ServerProtocol(
        extensions=[ServerDeflateFactory(client_max_window_bits=15, compress_settings={"memLevel": 5})]
        if wants_deflate and accept_value is None
        else None,
        max_size=compat.max_message_size,
        state=OPEN,
        logger=_wire_logger,
    )
    negotiated: list[str] = []
    if accept_value is None:
        checked = _checked_by_accept(request, protocol)
        if isinstance(checked, str):
            if coupled:
                run(ws.abandon)
            on_refused(checked)
            return error_reply(400, checked or "Bad Request")
        accept_value, negotiated = checked
    lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Accept: {accept_value}",
    ]
    lines += [f"Sec-WebSocket-Extensions: {value}" for value in negotiated]
    # The Worker's own headers (already checked by Headers: no line breaks).
    lines += [f"{name}: {value}" for name, value in response.headers.raw_items() if name.lower() not in _RESERVED]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
    return Upgrade(head, protocol if coupled else None, ws, make_leg, run)


def _plain_accept(request: HttpRequest, wants_deflate: bool) -> str | None:
    """``Sec-WebSocket-Accept`` for a handshake in its plain form, or None for any other.

    Plain: ``GET`` over HTTP/1.1 with one ``Connection: Upgrade``, one ``Upgrade: websocket``,
    one key of 16 bytes in base64, one ``Sec-WebSocket-Version: 13``, at most one ``Origin``, no
    ``Sec-WebSocket-Protocol``, and no extension offered when the server would negotiate one.
    ``ServerProtocol.accept`` answers such a request with a 101 that negotiates nothing (a test
    checks this on generated requests); every other request goes through it, so that what it
    accepts and the texts it refuses with stay its own.
    """
    if request.method != "GET" or request.http_version != "1.1":
        return None
    found: dict[str, str] = {}
    for name, value in request.headers:
        lowered = name.lower()
        if lowered in _HANDSHAKE:
            if lowered in found:
                return None  # a handshake header twice: accept() decides what that means
            found[lowered] = value
    key = found.get("sec-websocket-key")
    if (
        key is None
        or _PLAIN_KEY.fullmatch(key) is None
        or found.get("connection", "").lower() != "upgrade"
        or found.get("upgrade", "").lower() != "websocket"
        or found.get("sec-websocket-version") != "13"
        or "sec-websocket-protocol" in found
        or (wants_deflate and "sec-websocket-extensions" in found)
    ):
        return None
    # RFC 6455, 4.2.2: the key and the protocol's GUID, hashed with SHA-1, in base64.
    return base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()


def _checked_by_accept(request: HttpRequest, protocol: ServerProtocol) -> str | tuple[str, list[str]]:
    """kj's checks, then ``protocol.accept``: the refusal's text, or the accept value and extensions."""
    # Only what the handshake reads (a browser sends a dozen more: cookies, user agent, ...),
    # added one by one: Headers(list) goes through MutableMapping.update, twice the cost.
    headers = WsHeaders()
    for name, value in request.headers:
        if name.lower() in _HANDSHAKE:
            headers[name] = value
    problem = _kj_check(headers)
    if problem is not None:
        return problem
    accepted = protocol.accept(WsRequest(request.target, headers, request.method, f"HTTP/{request.http_version}"))
    if accepted.status_code != 101:
        return str(protocol.handshake_exc or accepted.reason_phrase)
    # get_all, not get: Mapping.get looks up through a KeyError when the header is absent.
    return accepted.headers["Sec-WebSocket-Accept"], accepted.headers.get_all("Sec-WebSocket-Extensions")


def _kj_check(headers: WsHeaders) -> str | None:
    """workerd's own first checks of a handshake, with kj's texts (``acceptWebSocket``)."""
    if headers.get_all("Sec-WebSocket-Version") != ["13"]:
        return "The requested WebSocket version is not supported."
    if "Sec-WebSocket-Key" not in headers:
        return "Missing Sec-WebSocket-Key"
    return None

"""Outbound WebSocket connections: TCP (TLS for ``wss://``), the handshake, a leg.

:func:`open_websocket` is what both of a Worker's ways out use — a ``fetch()``
with ``Upgrade: websocket`` and ``WebSocket(url)``. It connects, sends the
handshake of ``websockets``' :class:`~websockets.client.ClientProtocol`
(``connect`` / ``send_request``), and returns the
:class:`~wsguide.net.leg.WebSocketLeg` that carries the connection from then on
(the same leg as the server's side) with the server's 101 response.

Connections to loopback addresses go straight out, whatever the proxy
environment variables say (a classroom proxy must never swallow them); others
go through the ``http://`` proxy those variables name, with ``CONNECT``.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
import ssl
import urllib.parse
import urllib.request
from collections.abc import Iterable
from typing import Any

from websockets.client import ClientProtocol
from websockets.uri import parse_uri

from ..core.log import WorkerLog
from .deflate import ClientDeflateFactory
from .hosts import is_loopback
from .leg import WebSocketLeg

__all__ = ["open_websocket", "proxy_for"]

_wire_logger = logging.getLogger("wsguide.wire")

# Keep outbound legs alive until their connection ends (a paused transport is only
# weakly referenced by the event loop).
_live: set[WebSocketLeg] = set()


def proxy_for(url: str) -> str | None:
    """The proxy URL to reach ``url`` through, or None (always None for loopback)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname
    if is_loopback(host) or not host or urllib.request.proxy_bypass(host):
        return None
    proxies = urllib.request.getproxies()
    secure = parts.scheme in ("wss", "https")
    for key in (("wss", "https") if secure else ("ws", "http")):
        if proxies.get(key):
            return proxies[key]
    return None


async def open_websocket(
    url: str,
    *,
    subprotocols: Iterable[str] = (),
    offer_deflate: bool,
    headers: Iterable[tuple[str, str]] = (),
    max_size: int,
    log: WorkerLog | None = None,
) -> tuple[WebSocketLeg, Any]:
    """Connect to ``url`` (``ws://`` or ``wss://``): the leg and the server's 101 response.

    Raises ``websockets.exceptions.InvalidStatus`` (with the server's response) when
    the server answers something else, other ``InvalidHandshake`` errors, or ``OSError``.
    """
    uri = parse_uri(url)
    protocol = ClientProtocol(
        uri,
        # workerd offers a bare "permessage-deflate" (no client_max_window_bits) on fetch()
        # upgrades and new WebSocket() (tests/parity, findings F7/F11).
        extensions=[ClientDeflateFactory(client_max_window_bits=None, compress_settings={"memLevel": 5})]
        if offer_deflate
        else None,
        subprotocols=list(subprotocols) or None,
        max_size=max_size,
        logger=_wire_logger,
    )
    request = protocol.connect()
    for name, value in headers:
        request.headers[name] = value
    leg = WebSocketLeg(protocol, log=log, on_lost=_live.discard)
    handshake = leg.start_handshake(request)
    loop = asyncio.get_running_loop()
    context = ssl.create_default_context() if uri.secure else None
    proxy = proxy_for(url)
    if proxy is None:
        await loop.create_connection(lambda: leg, uri.host, uri.port, ssl=context)
    else:
        sock = await _tunnel(proxy, uri.host, uri.port)
        await loop.create_connection(lambda: leg, sock=sock, ssl=context, server_hostname=uri.host if context else None)
    _live.add(leg)
    try:
        response = await handshake
    except BaseException:
        leg.abort()
        raise
    return leg, response


async def _tunnel(proxy: str, host: str, port: int) -> socket.socket:
    """A TCP connection to ``host:port`` through an HTTP proxy (``CONNECT``)."""
    parts = urllib.parse.urlsplit(proxy)
    if parts.scheme != "http" or not parts.hostname:
        raise OSError(f"only http:// proxies are supported for WebSockets, not {proxy}")
    loop = asyncio.get_running_loop()
    family, kind, proto, _, address = (await loop.getaddrinfo(parts.hostname, parts.port or 80, type=socket.SOCK_STREAM))[0]
    sock = socket.socket(family, kind, proto)
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, address)
        lines = [f"CONNECT {host}:{port} HTTP/1.1", f"Host: {host}:{port}"]
        if parts.username is not None:
            user = urllib.parse.unquote(parts.username) + ":" + urllib.parse.unquote(parts.password or "")
            lines.append("Proxy-Authorization: Basic " + base64.b64encode(user.encode()).decode())
        await loop.sock_sendall(sock, ("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = await loop.sock_recv(sock, 4096)
            if not chunk or len(head) > 65536:
                raise OSError(f"the proxy {proxy} closed the connection during CONNECT")
            head += chunk
        status_line = head.split(b"\r\n", 1)[0]
        status = status_line.split()
        if len(status) < 2 or status[1] != b"200":
            raise OSError(f"the proxy {proxy} refused CONNECT {host}:{port}: {status_line!r}")
    except BaseException:
        sock.close()
        raise
    return sock

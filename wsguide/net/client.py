"""Outbound connections: ``fetch()`` (plain HTTP and WebSocket upgrade) and ``WebSocket(url)``.

The guide shows two ways for a Worker to open a WebSocket to a server:

* ``WebSocket("ws://…")`` — returns at once in ``CONNECTING``; ``open`` fires
  when connected (the socket is accepted for you); a failure gives ``error``
  then ``close`` 1006 ``Failed to establish websocket connection``.
  :class:`OutboundNetwork` is what the isolate calls to connect it.
* ``resp = await fetch("http://…", headers={"Upgrade": "websocket"})`` — a
  101 gives ``resp.web_socket`` (also ``resp.js_object.webSocket``), which
  you ``accept()``; a refused upgrade is an ordinary Response with the
  server's real status, headers and body, and ``web_socket`` is ``None``.

Plain HTTP goes through ``httpx``; WebSockets through :mod:`wsguide.net.connect`
(the same leg as the server's side). Connections to loopback addresses ignore
proxy environment variables (a classroom proxy must never swallow them).
"""

from __future__ import annotations

import asyncio
import urllib.parse
import weakref
from collections.abc import Callable
from typing import Any

from ..core import isolate as _isolate
from ..core import texts
from ..core.errors import JsError, JsTypeError
from ..core.isolate import emit
from ..core.states import SocketState
from ..core.websocket import WebSocket
from ..http import Headers, Request, Response
from .hosts import is_loopback

__all__ = ["FetchError", "OutboundNetwork", "fetch"]

#: Headers the runtime writes itself on an upgrade; a Worker's values are ignored.
_HANDSHAKE_HEADERS = frozenset(
    {
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "host",
        "content-length",
    }
)

async def _ws_connect(url: str, **kwargs: Any) -> Any:
    """Open an outbound WebSocket (:func:`wsguide.net.connect.open_websocket`), imported on
    first use: keeps ``import wsguide`` fast."""
    from .connect import open_websocket

    return await open_websocket(url, **kwargs)


# Keep outbound connections' tasks alive (the loop only holds weak references).
_live: set[Any] = set()


class FetchError(JsTypeError):
    """``fetch()`` could not reach the server at all (a rejected promise on Workers)."""


# ----------------------------------------------------------------------------
# fetch()
# ----------------------------------------------------------------------------
async def fetch(resource: str | Request, init: Any = None, *, timeout: float = 30.0, **options: Any) -> Response:
    """JavaScript's ``fetch(resource, init)``: an HTTP request, or a WebSocket when the
    request has ``Upgrade: websocket`` (the 101 Response's ``webSocket``).

    Use ``http://`` / ``https://`` URLs for both, as on Workers: ``ws://``
    raises ``TypeError: Fetch API cannot load: <url>``. (A Python Worker calls
    the SDK's ``workers.fetch``, which wraps this one.)
    """
    iso = _isolate.current()
    compat = iso.compat
    init = dict(getattr(init, "obj", init) or {}) | options
    redirect = init.get("redirect", "follow")
    if isinstance(resource, Request) and not init:
        request = resource
    else:
        request = Request(resource if isinstance(resource, Request) else str(resource), init)
    url = request.url
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        if compat.fetch_refuses_unknown_protocols or scheme not in ("ws", "wss"):
            raise JsTypeError(f"Fetch API cannot load: {url}")
        emit(
            "warn",
            "Worker passed an invalid URL to fetch(). URLs passed to fetch() must begin with "
            f"either 'http:' or 'https:', not '{scheme}:'. Note that fetch() treats WebSockets as "
            "a special kind of HTTP request, therefore WebSockets should use 'http:'/'https:', "
            "not 'ws:'/'wss:'.",
        )
        url = ("http" if scheme == "ws" else "https") + url[len(scheme):]
    if (request.headers.get("Upgrade") or "").lower() == "websocket":
        return await _fetch_upgrade(url, request, iso, timeout)
    return await _fetch_http(url, request, redirect, timeout)


async def _fetch_http(url: str, request: Request, redirect: str, timeout: float) -> Response:
    import httpx  # imported here: keeps `import wsguide` fast

    host = urllib.parse.urlsplit(url).hostname
    async with httpx.AsyncClient(
        trust_env=not is_loopback(host),
        follow_redirects=redirect == "follow",
        timeout=timeout,
    ) as client:
        try:
            r = await client.request(
                request.method,
                url,
                headers=request.headers.raw_items(),
                content=request.body,
            )
        except httpx.HTTPError as exc:
            raise FetchError(f"fetch failed: could not reach {url} ({exc})") from exc
    headers = Headers(r.headers.multi_items())
    status = r.status_code
    body = r.content if status not in (101, 204, 205, 304) else None
    resp = Response(body, status=status, status_text=r.reason_phrase, headers=headers)
    resp.url = str(r.url)  # type: ignore[attr-defined]
    return resp


async def _fetch_upgrade(url: str, request: Request, iso: _isolate.Isolate, timeout: float) -> Response:
    from websockets.exceptions import InvalidHandshake, InvalidStatus

    compat = iso.compat
    ws_url = "ws" + url[4:] if url.startswith("http") else url
    extra = [(n, v) for n, v in request.headers.raw_items() if n.lower() not in _HANDSHAKE_HEADERS]
    protocols = [p.strip() for p in (request.headers.get("Sec-WebSocket-Protocol") or "").split(",") if p.strip()]
    # Compression on fetch(): only what the Worker asked for (absent → no offer),
    # and never when the compatibility flag is off.
    wanted = request.headers.get("Sec-WebSocket-Extensions")
    compress = bool(compat.web_socket_compression and wanted and "permessage-deflate" in wanted)
    try:
        async with asyncio.timeout(timeout):
            leg, response = await _ws_connect(
                ws_url,
                subprotocols=protocols,
                offer_deflate=compress,
                headers=extra,
                max_size=compat.max_message_size,
                log=iso.log,
            )
    except InvalidStatus as exc:
        r = exc.response
        headers = Headers(r.headers)
        status = r.status_code
        body = bytes(r.body or b"") if status not in (204, 205, 304) else None
        if status < 200 or status > 599:
            status, body = 502, f"Bad upgrade response status {status}".encode()
        return Response(body, status=status, status_text=r.reason_phrase, headers=headers)
    except (OSError, InvalidHandshake, TimeoutError) as exc:
        raise FetchError(f"fetch failed: WebSocket upgrade to {url} failed ({exc})") from exc
    ws = WebSocket.awaiting(iso)
    # workerd (observed, findings F7): a fetched socket reports "" for protocol and
    # extensions, whatever was negotiated; the 101 Response's headers carry the real values.
    ws.attach(leg)
    # statusText is the wire's reason phrase ("Switching Protocols"), as on workerd.
    return Response(None, status=101, status_text=response.reason_phrase,
                    headers=Headers(response.headers), web_socket=ws)


# ----------------------------------------------------------------------------
# WebSocket(url)
# ----------------------------------------------------------------------------
MSG_BAD_STATUS = (
    "Failed to establish the WebSocket connection: expected server to reply with HTTP status "
    "code 101 (switching protocols), but received {status} instead."
)


class OutboundNetwork:
    """How an isolate reaches out: ``fetch()``, and ``WebSocket(url)`` as a ``websockets`` client connection."""

    async def fetch(self, resource: Any, options: dict[str, Any]) -> Response:
        return await fetch(resource, options)

    def connect_websocket(self, ws: WebSocket) -> Callable[[], None]:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "WebSocket(url) needs a running event loop: call it inside an async function "
                "(in a notebook, cells already run in one)."
            ) from None
        task = loop.create_task(_connect(ws))
        _live.add(task)
        task.add_done_callback(_live.discard)

        def cancelled(t: asyncio.Task[None]) -> None:
            if t.cancelled() and ws.readyState != WebSocket.CLOSED:
                ws.connection_failed(JsError(texts.NETWORK_LOST))

        task.add_done_callback(cancelled)
        ref = weakref.ref(task)

        def cancel() -> None:
            t = ref()
            if t is not None and not t.done():
                t.cancel()

        return cancel


async def _connect(ws: WebSocket) -> None:
    from websockets.exceptions import InvalidHandshake, InvalidStatus

    compat = ws.isolate.compat
    url = ws.url or ""
    try:
        async with asyncio.timeout(30):
            leg, response = await _ws_connect(
                url,
                subprotocols=ws.offered_protocols,
                offer_deflate=compat.web_socket_compression,
                max_size=compat.max_message_size,
                log=ws.isolate.log,
            )
    except InvalidStatus as exc:
        ws.connection_failed(JsTypeError(MSG_BAD_STATUS.format(status=exc.response.status_code)))
        return
    except (OSError, InvalidHandshake, TimeoutError) as exc:
        ws.connection_failed(JsTypeError(f"Failed to establish the WebSocket connection: {exc}"))
        return
    if ws.state is SocketState.RELEASED:  # close() raced the handshake
        leg.close(1000, "")
        ws.connection_failed(JsError(texts.NETWORK_LOST))
        return
    ws.connection_opened(
        leg,
        response.headers.get("Sec-WebSocket-Protocol"),
        response.headers.get("Sec-WebSocket-Extensions"),
    )

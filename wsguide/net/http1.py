"""The HTTP/1.1 side of the server: one TCP connection, parsed by ``h11``.

:class:`HttpConnection` is the asyncio protocol of every accepted connection.
It reads requests with ``h11`` (every method, bodies, keep-alive, pipelined
requests answered in order, ``HEAD``, ``Expect: 100-continue``, HTTP/1.0),
hands each complete request to a handler (the server, which runs the Worker),
and writes the handler's :class:`HttpReply` — with a fixed body, or a streamed
one (chunked for HTTP/1.1, close-delimited for HTTP/1.0). A :class:`Switch`
answer (a ``101``) hands the connection to the WebSocket leg.

Limits, each with its status and where the number comes from (see
``docs/deviations.md``):

* request line over :attr:`Limits.url` bytes → ``414`` (Cloudflare: "URLs have a
  limit of 16 KB");
* request headers over :attr:`Limits.headers` → ``431`` (workerd: kj's
  ``MAX_BUFFER`` of 128 KiB, "header too large."; Cloudflare: 128 KB);
* a body over :attr:`Limits.body` → ``413`` (workerd has none: kj streams
  bodies; Cloudflare's edge refuses bodies over 100 MB on the Free and Pro plans);
* bytes that are not HTTP → ``400`` with a body that says why;
* a request head not complete :attr:`Limits.header_timeout` seconds after the
  connection opened, or after the first byte of a later request → ``408``
  (kj's ``headerTimeout``, 15 s), and a kept-alive connection with no new
  request for :attr:`Limits.idle_timeout` seconds is closed (kj's
  ``pipelineTimeout``, 5 s): a slow client cannot hold a connection for ever;
* a WebSocket peer that does not read is dropped once :attr:`Limits.unsent`
  bytes wait for it (:mod:`wsguide.net.leg`).

The Worker's ``fetch`` itself has no deadline, as in workerd while the client stays.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Protocol

import h11

from .deadlines import Deadline, deadlines_for
from .reads import SharedReadBuffer

__all__ = ["HttpConnection", "HttpReply", "HttpRequest", "Limits", "Switch", "error_reply"]

logger = logging.getLogger("wsguide.net")

#: Bytes read ahead (pipelined requests) while the Worker handles the current one.
READ_AHEAD = 64 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """What one connection may cost; the defaults are workerd's and Cloudflare's."""

    url: int = 16 * 1024
    headers: int = 128 * 1024
    body: int = 100 * 1024 * 1024
    header_timeout: float = 15.0
    idle_timeout: float = 5.0
    #: A WebSocket peer's unsent bytes before it is dropped (:data:`wsguide.net.leg.UNSENT_LIMIT`).
    unsent: int = 2 * 32 * 1024 * 1024


@dataclass(slots=True)
class HttpRequest:
    """A complete request as it arrived."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    http_version: str


@dataclass(slots=True)
class HttpReply:
    """A response to write: ``body`` is bytes or an async iterable of bytes (streamed)."""

    status: int
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | AsyncIterable[bytes] | None = None
    close: bool = False  # end the connection after it (workerd does after a 500)


class Switch(Protocol):
    """A ``101``: the connection becomes a WebSocket."""

    #: The 101 response, as bytes on the wire.
    head: bytes

    def start(self, transport: asyncio.Transport, leftover: bytes) -> None:
        """The 101 is written: take over ``transport`` (``leftover``: bytes read past it)."""

    def abandon(self) -> None:
        """The 101 never reached the client (it left while the Worker ran)."""


Handler = Callable[[HttpRequest], Awaitable["HttpReply | Switch"]]


def error_reply(status: int, text: str) -> HttpReply:
    """A plain-text answer of the server itself (``ERROR: …``, as kj's HTTP server writes it)."""
    from http import HTTPStatus

    body = f"ERROR: {text}".encode()
    return HttpReply(status, HTTPStatus(status).phrase, [("Content-Type", "text/plain")], body, close=True)


class HttpConnection(SharedReadBuffer):
    """One HTTP/1.1 connection: requests in, replies out, in order."""

    def __init__(
        self,
        handler: Handler,
        *,
        limits: Limits,
        on_lost: Callable[[HttpConnection], None],
        on_client_left: Callable[[HttpRequest], None],
    ) -> None:
        self._handler = handler
        self.limits = limits
        self._on_lost = on_lost
        self._on_client_left = on_client_left
        self.transport: asyncio.Transport | None = None
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.url + limits.headers + 4096)
        self._head: h11.Request | None = None
        self._head_items: list[tuple[bytes, bytes]] = []  # the head's raw_items(), read once
        self._body = bytearray()
        self._current: HttpRequest | None = None  # being answered (the Worker runs)
        self._task: asyncio.Task[None] | None = None
        self._timer: Deadline | None = None
        self._waiting_head = True  # between requests, or reading a request head
        self._ahead = 0
        self._paused = False
        self._drained: asyncio.Future[None] | None = None
        self._closing = False
        self.lost = False
        self._peer_eof = False
        self._switched = False
        self._idle = False  # kept alive, waiting for the first byte of the next request
        self._told = False  # the server was told the client left during this request

    # ------------------------------------------------------------ connection
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        # The first request's head must be complete in time from the start (kj does the same).
        self._arm(self.limits.header_timeout, self._head_timed_out, "initial")

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._disarm()
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        self._client_leaves()
        self._on_lost(self)

    def _client_leaves(self) -> None:
        if self._current is not None and not self._switched and not self._told:
            self._told = True
            self._on_client_left(self._current)

    def eof_received(self) -> bool:
        self._peer_eof = True
        if self._current is not None:
            self._client_leaves()
            return True  # it may only have half-closed: the answer is still written
        self._h11.receive_data(b"")
        self._advance()
        return False

    def pause_writing(self) -> None:
        self._drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        self._drained = None

    def shutdown(self) -> None:
        """The server stops: close now if idle, else after the current answer."""
        self._closing = True
        if self._current is None and self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        """Drop the connection now; a Worker's fetch still running for it is cancelled."""
        if self.transport is not None:
            self.transport.abort()
        if self._task is not None and not self._task.done():
            self._task.cancel()

    # --------------------------------------------------------------- timers
    def _arm(self, delay: float, callback: Callable[[str], None], which: str) -> None:
        self._disarm()
        self._timer = deadlines_for(asyncio.get_running_loop(), delay).arm(callback, which)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_timed_out(self, which: str) -> None:
        self._timer = None
        if self._current is None and self._waiting_head:
            self._reply_error(408, f"Timed out waiting for {which} request headers.")

    def _idle_timed_out(self, _: str) -> None:
        self._timer = None
        if self._current is None and self.transport is not None:
            self.transport.close()  # kept alive, and no new request came: just close

    # ----------------------------------------------------------------- input
    def data_received(self, data: bytes) -> None:
        if self._current is not None:
            # The Worker is answering: keep what comes next (pipelined requests), bounded.
            self._h11.receive_data(data)
            self._ahead += len(data)
            if self._ahead > READ_AHEAD and not self._paused:
                self._paused = True
                self.transport.pause_reading()  # type: ignore[union-attr]
            return
        if self._idle:
            # The first byte of a new request: its head must now come in time.
            self._idle = False
            self._arm(self.limits.header_timeout, self._head_timed_out, "next")
        self._h11.receive_data(data)
        self._advance()

    def _advance(self) -> None:
        """Handle every event h11 has, until a request is complete (or more data is needed)."""
        conn = self._h11
        while self._current is None and not self.lost and not self._switched:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                self._bad_request(exc)
                return
            kind = type(event)
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if kind is h11.Request:
                if not self._on_head(event):  # type: ignore[arg-type]
                    return
            elif kind is h11.Data:
                self._body += event.data  # type: ignore[union-attr]
                if len(self._body) > self.limits.body:
                    self._too_big()
                    return
            elif kind is h11.EndOfMessage:
                self._on_complete()
            elif kind is h11.ConnectionClosed:
                if self.transport is not None:
                    self.transport.close()
                return

    def _on_head(self, head: h11.Request) -> bool:
        self._disarm()
        self._waiting_head = False
        limits = self.limits
        if len(head.target) > limits.url:
            self._reply_error(414, f"The request line is longer than {limits.url:,} bytes (the limit on URLs).")
            return False
        items = head.headers.raw_items()
        size = sum(map(len, chain.from_iterable(items))) + 4 * len(items)  # "name: value\r\n"
        if size > limits.headers:
            self._reply_error(431, f"The request headers are larger than {limits.headers:,} bytes.")
            return False
        length = _content_length(items)
        if length is not None and length > limits.body:
            self._too_big()
            return False
        self._head = head
        self._head_items = items
        self._body = bytearray()
        if self._h11.they_are_waiting_for_100_continue:
            self._write(self._h11.send(h11.InformationalResponse(status_code=100, headers=[])))
        return True

    def _on_complete(self) -> None:
        head = self._head
        assert head is not None
        self._head = None
        request = HttpRequest(
            head.method.decode("ascii"),
            head.target.decode("latin-1"),
            [(name.decode("latin-1"), value.decode("latin-1")) for name, value in self._head_items],
            bytes(self._body),
            head.http_version.decode("ascii"),
        )
        self._body = bytearray()
        self._current = request
        self._told = False
        self._ahead = 0
        self._task = asyncio.get_running_loop().create_task(self._answer(request))

    def _bad_request(self, exc: h11.RemoteProtocolError) -> None:
        status = exc.error_status_hint
        text = str(exc) or "bad request"
        if status == 431 and self._request_line_too_long():
            status, text = 414, f"The request line is longer than {self.limits.url:,} bytes (the limit on URLs)."
        elif status == 431:
            text = f"The request headers are larger than {self.limits.headers:,} bytes."
        self._reply_error(status, text)

    def _request_line_too_long(self) -> bool:
        pending = self._h11.trailing_data[0]
        end = pending.find(b"\n")
        return end == -1 or end > self.limits.url

    def _too_big(self) -> None:
        self._reply_error(
            413,
            f"The request body is larger than {self.limits.body:,} bytes (Cloudflare refuses bodies "
            "over 100 MB on the Free and Pro plans).",
        )

    def _reply_error(self, status: int, text: str) -> None:
        """Answer with one of the server's own errors, then close."""
        self._disarm()
        reply = error_reply(status, text)
        try:
            data = self._h11.send(_h11_response(reply)) or b""
            data += self._h11.send(h11.Data(data=reply.body)) or b""  # type: ignore[arg-type]
            data += self._h11.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError:
            data = b""  # a response is already under way: just close
        self._write(data)
        if self.transport is not None:
            self.transport.close()

    # ---------------------------------------------------------------- output
    def _write(self, data: bytes) -> None:
        if data and self.transport is not None and not self.lost:
            self.transport.write(data)

    async def _answer(self, request: HttpRequest) -> None:
        try:
            reply = await self._handler(request)
        except Exception:  # the handler isolates the Worker's failures; this would be ours
            logger.exception("wsguide: internal error while answering %s %s", request.method, request.target)
            reply = error_reply(500, "Internal Server Error")
        if isinstance(reply, HttpReply):
            if not self.lost:
                await self._send(reply, request)
        elif self.lost or self._peer_eof:
            reply.abandon()
        else:
            self._switch(reply)
            return
        self._current = None
        self._next_cycle()

    async def _send(self, reply: HttpReply, request: HttpRequest) -> None:
        conn = self._h11
        body = reply.body
        streamed = body is not None and not isinstance(body, (bytes, bytearray))
        headers = reply.headers
        if not streamed and reply.status not in (204, 304):
            headers = [*headers, ("Content-Length", str(len(body or b"")))]
        if reply.close or self._closing or self._peer_eof:
            headers = [*headers, ("Connection", "close")]
        head = HttpReply(reply.status, reply.reason, headers)
        try:
            data = conn.send(_h11_response(head)) or b""
        except h11.LocalProtocolError:
            # The Worker's headers cannot be sent as they are: answer 500 instead.
            data = conn.send(_h11_response(error_reply(500, "Internal Server Error"))) or b""
            body, streamed = b"ERROR: Internal Server Error", False
        if request.method == "HEAD" or reply.status in (204, 304):
            self._write(data + (conn.send(h11.EndOfMessage()) or b""))
            if streamed:
                await _close_iterator(body)
            return
        if not streamed:
            if body:
                data += conn.send(h11.Data(data=body)) or b""  # type: ignore[arg-type]
            self._write(data + (conn.send(h11.EndOfMessage()) or b""))
            return
        self._write(data)
        iterator = body.__aiter__()  # type: ignore[union-attr]
        try:
            async for chunk in iterator:
                if self.lost:
                    break
                if isinstance(chunk, str):
                    chunk = chunk.encode()
                if chunk:
                    self._write(conn.send(h11.Data(data=bytes(chunk))) or b"")
                if self._drained is not None:
                    await self._drained
            else:
                self._write(conn.send(h11.EndOfMessage()) or b"")
        finally:
            await _close_iterator(iterator)

    def _next_cycle(self) -> None:
        conn = self._h11
        transport = self.transport
        if self.lost or transport is None:
            return
        if self._closing or conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
            transport.close()
            return
        conn.start_next_cycle()
        self._waiting_head = True
        if self._paused:
            self._paused = False
            transport.resume_reading()
        if self._peer_eof:
            conn.receive_data(b"")
        if conn.trailing_data[0]:
            self._arm(self.limits.header_timeout, self._head_timed_out, "next")
        else:
            self._idle = True
            self._arm(self.limits.idle_timeout, self._idle_timed_out, "idle")
        self._advance()

    def _switch(self, switch: Switch) -> None:
        """Write the 101 and hand the connection to the WebSocket leg."""
        self._switched = True
        self._disarm()
        transport = self.transport
        assert transport is not None
        transport.write(switch.head)
        leftover = self._h11.trailing_data[0]
        self._current = None
        switch.start(transport, leftover)
        self._on_lost(self)  # from now on the connection is the leg's


def _content_length(items: list[tuple[bytes, bytes]]) -> int | None:
    # ``items``: the head's raw_items(), a plain list; iterating h11's Headers goes through
    # Sequence.__iter__, an IndexError ending it. h11 has checked the value (digits, repeats equal).
    for name, value in items:
        if name.lower() == b"content-length":
            return int(value)
    return None


def _h11_response(reply: HttpReply) -> h11.Response:
    return h11.Response(
        status_code=reply.status,
        reason=reply.reason.encode("latin-1", "replace"),
        headers=[(n.encode("latin-1"), v.encode("latin-1", "replace")) for n, v in reply.headers],
    )


async def _close_iterator(iterator: Any) -> None:
    closer = getattr(iterator, "aclose", None)
    if closer is not None:
        try:
            await closer()
        except Exception:
            pass

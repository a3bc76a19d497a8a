"""Self-checks for learners: ``check_…`` functions that answer in words.

Each returns a :class:`Check`: lines of "✔ …" for what is right and
"✘ … because … — try …" for what is not, shown as text when it is the last
expression of a cell, and an ``ok`` flag for tests. They never raise for a
learner's mistake: a wrong answer is information, not a crash.

wsguide only.
"""

from __future__ import annotations

from typing import Any

from ..core.events import CloseEvent
from ..core.states import SocketState
from ..core.websocket import WebSocket
from ..http import Request, Response
from ..net.server import Server
from ..serving import serve
from .eventlog import EventLog, next_event
from .text import short as _short
from .views import runtime_object
from .waits import WaitTimeout

__all__ = [
    "Check",
    "check_close",
    "check_compression",
    "check_echo",
    "check_fetch_upgrade",
    "check_pair",
    "check_returned_end",
    "check_upgrade_check",
]


class Check:
    """The result of a ``check_…`` function: lines of ✔ / ✘ and an overall ``ok``.

    Shown as text when it is the last expression of a cell.
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self.items: list[tuple[bool, str]] = []

    def good(self, text: str) -> None:
        self.items.append((True, text))

    def bad(self, what: str, because: str, tip: str) -> None:
        self.items.append((False, f"{what} because {because} — try {tip}"))

    def expect(self, cond: bool, good: str, what: str, because: str, tip: str) -> bool:
        if cond:
            self.good(good)
        else:
            self.bad(what, because, tip)
        return cond

    @property
    def ok(self) -> bool:
        return bool(self.items) and all(ok for ok, _ in self.items)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        lines = [f"{'✔' if ok else '✘'} {text}" for ok, text in self.items]
        verdict = "all good" if self.ok else "not yet — see the ✘ lines"
        return f"{self.title}: {verdict}\n" + "\n".join("  " + ln for ln in lines)

    __repr__ = __str__

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


def _worker_call(worker: Any):
    """A way to call a Worker's fetch directly, without a network."""
    srv = serve(worker)  # never started: only its call_worker() is used

    async def call(request: Request) -> Any:
        return await srv.call_worker(request)

    return call


async def check_upgrade_check(Worker: Any, *, mixed_case: bool = False) -> Check:
    """Does ``Worker`` refuse plain requests with 426 and let WebSocket upgrades through?

    Calls the Worker's ``fetch`` directly (no network). With ``mixed_case=True``
    it also checks that ``Upgrade: WebSocket`` (as some real clients send it)
    gets through.
    """
    c = Check(f"upgrade check of {getattr(Worker, '__name__', 'the Worker')}")
    call = _worker_call(Worker)
    plain = await call(Request("http://example.com/"))
    c.expect(
        isinstance(plain, Response) and plain.status == 426,
        "a request without Upgrade gets 426 Upgrade Required",
        "a request without an Upgrade header did not get 426",
        f"it got {_status_of(plain)}",
        'checking request.headers.get("Upgrade") and returning Response(..., status=426)',
    )
    if isinstance(plain, Response) and plain.status == 426:
        body = await plain.text()
        c.expect(
            bool(body.strip()),
            f"the 426 answer explains itself: {body!r}",
            "the 426 answer has an empty body",
            "a person reading it would not know what to send",
            'a body such as "Expected Upgrade: websocket"',
        )
    upgrade = await call(Request("http://example.com/", headers={"Upgrade": "websocket"}))
    c.expect(
        isinstance(upgrade, Response) and upgrade.status != 426,
        f"a request with Upgrade: websocket gets past the check ({_status_of(upgrade)})",
        "a request with Upgrade: websocket was refused",
        f"it got {_status_of(upgrade)}",
        'comparing the header with != "websocket" (and returning early only then)',
    )
    if mixed_case:
        mixed = await call(Request("http://example.com/", headers={"Upgrade": "WebSocket"}))
        c.expect(
            isinstance(mixed, Response) and mixed.status != 426,
            f"Upgrade: WebSocket (another spelling) gets through too ({_status_of(mixed)})",
            "Upgrade: WebSocket was refused",
            "header values like this one are case-insensitive tokens, but the check compares exact text",
            '(request.headers.get("Upgrade") or "").lower() != "websocket"',
        )
    return c


def _status_of(resp: Any) -> str:
    if isinstance(resp, Response):
        return f"status {resp.status}"
    return f"{type(resp).__name__} instead of a Response"


def check_pair(client: Any, server: Any) -> Check:
    """Are ``client`` and ``server`` the two ends of one fresh WebSocketPair?"""
    c = Check("WebSocketPair")
    client, server = runtime_object(client), runtime_object(server)
    both = isinstance(client, WebSocket) and isinstance(server, WebSocket)
    c.expect(
        both,
        "client and server are both WebSocket objects",
        "client and server are not both WebSockets",
        f"they are {type(client).__name__} and {type(server).__name__}",
        "client, server = WebSocketPair.new().object_values()",
    )
    if not both:
        return c
    c.expect(
        client is not server,
        "they are two different objects (two ends)",
        "client and server are the same object",
        "both names point at one end",
        "unpacking both ends: client, server = WebSocketPair.new().object_values()",
    )
    c.expect(
        getattr(client, "_peer", None) is server or getattr(server, "_peer", None) is client,
        "they are connected to each other",
        "these ends do not belong to the same pair",
        "they came from two different WebSocketPair() calls",
        "taking both ends from one pair",
    )
    c.expect(
        client.readyState == WebSocket.OPEN and server.readyState == WebSocket.OPEN,
        "both start OPEN (readyState 1), before anything is accepted",
        "an end is not OPEN",
        f"readyState is {client.readyState} / {server.readyState}",
        "a fresh pair (an end that was closed stays closed)",
    )
    return c


def check_returned_end(client: WebSocket) -> Check:
    """Is ``client`` the end you returned in a Response, now inert?"""
    c = Check("the returned end")
    client = runtime_object(client)
    c.expect(
        client.state is SocketState.RELEASED,
        "it is inert: the runtime took it over when the Response was sent",
        "this end is still usable",
        "it was not returned in a 101 Response (yet)",
        "returning Response(None, status=101, web_socket=client) and connecting a client",
    )
    try:
        client.send("anyone there?")
        c.good("send() on it raises nothing and does nothing")
    except Exception as exc:  # pragma: no cover - would be a library bug
        c.bad("send() on it raised", f"{type(exc).__name__}: {exc}", "reporting it: this is a bug")
    return c


def check_close(event: Any, code: int, *, reason: str | None = None, was_clean: bool | None = None) -> Check:
    """Is ``event`` a close event with ``code`` (and ``reason`` / ``wasClean``)?"""
    c = Check(f"close {code}")
    event = runtime_object(event)
    if not isinstance(event, CloseEvent):
        c.bad(
            "this is not a close event",
            f"it is {type(event).__name__}",
            "await next_event(ws, 'close') to get one",
        )
        return c
    tips = {
        1005: "closing with close() and no code: the peer then sees 1005",
        1000: "close(1000, 'done') for a normal close",
        1006: "a peer that vanishes without a Close frame gives 1006",
    }
    c.expect(
        event.code == code,
        f"code is {code}",
        f"the code is {event.code}, not {code}",
        "the other side closed differently",
        tips.get(code, f"close({code})"),
    )
    if reason is not None:
        c.expect(
            event.reason == reason,
            f"reason is {reason!r}",
            f"the reason is {event.reason!r}",
            "close() was given another reason (or none)",
            f"close({code}, {reason!r})",
        )
    if was_clean is not None:
        c.expect(
            event.wasClean == was_clean,
            f"wasClean is {was_clean}",
            f"wasClean is {event.wasClean}",
            "a Close frame arrived" if event.wasClean else "no Close frame arrived",
            "looking at who closed and how",
        )
    return c


async def check_echo(Worker: Any, *, binary: bool = True, timeout: float = 5, **serve_options: Any) -> Check:
    """Serve ``Worker``, connect, and check it echoes text (and binary) back, then closes.

    Needs no server of yours: it starts and stops its own on a free port.
    """
    c = Check(f"echo of {getattr(Worker, '__name__', 'the Worker')}")
    async with serve(Worker, echo_log=False, **serve_options) as srv:
        log = EventLog()
        ws = log.watch(WebSocket(srv.ws_url), "client")
        ws.binaryType = "arraybuffer"
        try:
            await next_event(ws, "open", timeout=timeout)
        except WaitTimeout:
            c.bad(
                "could not connect",
                _first_line(srv) or "the handshake did not complete",
                "returning Response(None, status=101, web_socket=client)",
            )
            return c
        c.good("the client connected (101 Switching Protocols)")
        ws.send("ping")
        try:
            ev = await next_event(ws, "message", timeout=timeout)
            c.expect(
                ev.data == "ping",
                "text comes back as the same text",
                "text did not come back unchanged",
                f"the answer was {_short(ev.data)}",
                "server.send(event.data) inside the message listener",
            )
        except WaitTimeout:
            c.bad("no answer to a text message", "nothing came back", "server.accept() and a message listener that sends")
            await _close_quietly(ws, timeout)
            return c
        if binary:
            ws.send(b"\x00\x01\x02")
            try:
                ev = await next_event(ws, "message", timeout=timeout)
                if ev.data == b"\x00\x01\x02":
                    c.good("binary comes back as the same bytes")
                elif ev.data == "[object Blob]":
                    c.bad(
                        "binary came back as the text '[object Blob]'",
                        "event.data is a Blob and send() turned it into text",
                        'server.binaryType = "arraybuffer" (or server.send(await event.data.arrayBuffer()))',
                    )
                else:
                    c.bad("binary did not come back unchanged", f"the answer was {_short(ev.data)}", "send(event.data) with bytes")
            except WaitTimeout:
                c.bad("no answer to a binary message", "nothing came back", "answering every message")
        await _close_quietly(ws, timeout)
    return c


def _first_line(srv: Server) -> str:
    for line in srv.log:
        return line.text.splitlines()[0]
    return ""


async def _close_quietly(ws: WebSocket, timeout: float) -> None:
    if ws.readyState == WebSocket.OPEN:
        ws.close(1000)
        try:
            await next_event(ws, "close", timeout=timeout)
        except WaitTimeout:
            pass


def check_fetch_upgrade(resp: Any) -> Check:
    """Is ``resp`` (from ``fetch(url, headers={"Upgrade": "websocket"})``) a usable socket?

    Its socket is ``resp.js_object.webSocket``; it is usable once accepted (a socket that was
    accepted and is closed now counts as accepted).
    """
    c = Check("fetch() upgrade")
    resp = runtime_object(resp)
    if not isinstance(resp, Response):
        c.bad("this is not a Response", f"it is {type(resp).__name__}", "resp = await fetch(...)")
        return c
    if not c.expect(
        resp.status == 101,
        "the server answered 101 Switching Protocols",
        f"the server answered {resp.status}",
        "it refused the upgrade",
        'headers={"Upgrade": "websocket"} on an http:// URL of a Worker that upgrades',
    ):
        return c
    ws = resp.webSocket
    if not c.expect(
        isinstance(ws, WebSocket),
        "resp.js_object.webSocket is a WebSocket",
        "resp.js_object.webSocket is missing",
        "there is no socket without a 101",
        "checking resp.js_object.webSocket before using it",
    ):
        return c
    accepted = ws.state is SocketState.ACCEPTED or (ws.state is SocketState.RELEASED and ws.readyState == WebSocket.CLOSED)
    c.expect(
        accepted,
        "it is accepted: its events arrive" if ws.readyState != WebSocket.CLOSED else "it was accepted (and is closed now)",
        "it is not accepted yet",
        "a socket from fetch() sends and delivers nothing before accept(): not even the server's "
        "Close is read, so the server cannot finish closing it",
        "ws.accept()",
    )
    return c


#: ``_negotiated()`` could not see a connection behind the socket.
_UNKNOWN = object()


def _negotiated(ws: WebSocket) -> Any:
    """What the connection behind a pair end or a fetched socket negotiated (``None`` for
    nothing), or ``_UNKNOWN`` when no network connection is behind it.

    On Workers these sockets report ``extensions`` as ``""`` whatever was negotiated (docs/
    findings.md F6, F7); wsguide models that, so the truth is read from the connection.
    """
    if not ws.on_network:
        return _UNKNOWN
    return ws.negotiated_extensions


def check_compression(subject: Any, expected: bool) -> Check:
    """Was permessage-deflate negotiated (``expected=True``) or not?

    ``subject`` is what you have in hand:

    * a ``WebSocket.new(url)`` client: its ``extensions`` (the server's answer; null for none);
    * the Response of a ``fetch()`` upgrade: its 101's ``Sec-WebSocket-Extensions`` header;
    * a socket from ``fetch()``, or a ``WebSocketPair`` end a client is connected to: on Workers
      its ``extensions`` is ``""`` whatever was negotiated, so the check reads the connection
      behind it and says so;
    * the text of a ``Sec-WebSocket-Extensions`` header (or ``None``).
    """
    c = Check("compression")
    obj = runtime_object(subject)
    tip_on = "a compatibility_date on or after 2023-08-15 without no_web_socket_compression"
    because_off = "the Worker's compatibility settings turn it off"
    tip_off = 'compatibility_flags=["no_web_socket_compression"]'
    because_on = "it is on by default since 2023-08-15"
    if isinstance(obj, Response):
        if obj.status != 101:
            c.bad(
                f"this Response is a {obj.status}, not a 101",
                "no WebSocket was opened, so nothing was negotiated",
                "the Response of a fetch() upgrade the server accepted",
            )
            return c
        value = obj.headers.get("Sec-WebSocket-Extensions")
        where = "the 101's Sec-WebSocket-Extensions"
        because_off = "fetch() offers compression only when its headers ask for it (and the compatibility settings allow it)"
        tip_on = 'headers={"Upgrade": "websocket", "Sec-WebSocket-Extensions": "permessage-deflate"}'
        because_on = "the fetch() headers asked for it"
        tip_off = "leaving Sec-WebSocket-Extensions out of the fetch() headers"
    elif isinstance(obj, WebSocket) and obj.url:  # WebSocket.new(url); other sockets have url null
        if obj.readyState == WebSocket.CONNECTING:
            c.bad(
                "this WebSocket is still connecting",
                "nothing is negotiated before the 101 arrives",
                'await next_event(ws, "open") first',
            )
            return c
        value = obj.extensions
        where = "ws.extensions"
    elif isinstance(obj, WebSocket):
        value = _negotiated(obj)
        if value is _UNKNOWN:
            c.bad(
                "this socket cannot tell",
                f"a socket from fetch() or a WebSocketPair reports extensions {obj.extensions!r} "
                "whatever was negotiated (as on Workers), and no client is connected to this one",
                "check_compression(resp, ...) with the fetch() Response, or the client's WebSocket",
            )
            return c
        c.good(
            f"ws.extensions is {obj.extensions!r} on this socket whatever was negotiated (as on Workers "
            "for a socket from fetch() or a WebSocketPair end), so this check read its connection"
        )
        where = "its connection's 101"
    elif obj is None or isinstance(obj, str):
        value = obj
        where = "the extensions"
    else:
        c.bad(
            f"a {type(obj).__name__} says nothing about compression",
            "compression is negotiated by a WebSocket handshake",
            "passing a WebSocket, the Response of a fetch() upgrade, or an extensions header value",
        )
        return c
    on = "permessage-deflate" in (value or "")
    if expected:
        c.expect(on, f"permessage-deflate was negotiated ({where}: {value})",
                 f"no compression was negotiated ({where}: {value!r})", because_off, tip_on)
    else:
        c.expect(not on, f"no compression ({where}: {value!r})",
                 f"compression was negotiated ({where}: {value})", because_on, tip_off)
    return c

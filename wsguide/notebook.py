"""Helpers for learners in notebooks: event logs, bounded waits, self-checks, wire traces.

Everything here exists because a notebook is not a terminal:

* a ``print()`` inside an event listener lands under whichever cell started
  the server (or nowhere under nbval), so listeners *record* into an
  :class:`EventLog` and the cell that waits prints it;
* a cell that awaits forever cannot be interrupted (ipykernel), so every wait
  here has a timeout, scaled by one factor (``WSGUIDE_TIMEOUT_FACTOR``, e.g. 10
  on a slow CI machine), and says what it was waiting for when it expires;
* learners want to know whether a step is right: the ``check_…`` functions
  answer with "✔ …" or "✘ … because … — try …" instead of a bare assert;
* the conversation on the wire is the lesson: :class:`WireTap` is a small
  loopback relay that parses the handshake and every frame (unmasking the
  client's frames, inflating compressed ones) and prints them as text and as
  a Mermaid sequence diagram.

Everything in this module is "wsguide only": real Workers have no such helpers.
"""

from __future__ import annotations

import asyncio
import os
import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .events import Blob, CloseEvent, ErrorEvent, Event, MessageEvent
from .http import Request, Response
from .log import WorkerLog
from .runtime import ExecutionContext, Server, running, serve, shutdown_all
from .websocket import WebSocket

__all__ = [
    "TIMEOUT_FACTOR",
    "Check",
    "EventLog",
    "WaitTimeout",
    "WireTap",
    "check_close",
    "check_compression",
    "check_echo",
    "check_fetch_upgrade",
    "check_pair",
    "check_returned_end",
    "check_upgrade_check",
    "describe",
    "next_event",
    "scaled",
    "show_log",
    "show_running",
    "stop_all",
    "wait_for_events",
    "wire_tap",
]


# ---------------------------------------------------------------------------
# Timeouts
# ---------------------------------------------------------------------------
def _timeout_factor() -> float:
    raw = os.environ.get("WSGUIDE_TIMEOUT_FACTOR", "").strip()
    try:
        value = float(raw) if raw else 1.0
    except ValueError:
        value = 1.0
    return value if value > 0 else 1.0


#: Every timeout in this module is multiplied by this (env ``WSGUIDE_TIMEOUT_FACTOR``).
TIMEOUT_FACTOR = _timeout_factor()


def scaled(seconds: float) -> float:
    """``seconds`` times :data:`TIMEOUT_FACTOR`: give slow machines more time."""
    return seconds * TIMEOUT_FACTOR


def _fmt_seconds(seconds: float) -> str:
    return f"{seconds:g} s"


class WaitTimeout(TimeoutError):
    """A bounded wait expired; the message says what was awaited and what to try."""


# ---------------------------------------------------------------------------
# Describing events in a stable, printable way
# ---------------------------------------------------------------------------
def _short(value: Any, limit: int = 60) -> str:
    if isinstance(value, str):
        text = value if len(value) <= limit else value[: limit - 3] + "..."
        return repr(text)
    if isinstance(value, (bytes, bytearray)):
        if len(value) > limit // 2:
            return f"<{len(value)} bytes>"
        return repr(bytes(value))
    if isinstance(value, Blob):
        return f"Blob(size={value.size})"
    return repr(value)


def describe(event: Event) -> str:
    """One line for an event, the same on every run (no ids, times or ports)."""
    if isinstance(event, MessageEvent):
        return f"message {_short(event.data)}"
    if isinstance(event, CloseEvent):
        return f"close code={event.code} reason={event.reason!r} wasClean={event.wasClean}"
    if isinstance(event, ErrorEvent):
        return f"error {event.message!r}"
    return event.type


@dataclass(frozen=True)
class Record:
    """One entry of an :class:`EventLog`."""

    seq: int
    source: str
    type: str
    text: str
    event: Any = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.source}: {self.text}"


class EventLog:
    """Records the events of one or more sockets, in the order they happen.

    >>> log = EventLog()
    >>> ws = log.watch(WebSocket(srv.ws_url), "client")   # doctest: +SKIP
    >>> await wait_for_events(log, 2)                     # doctest: +SKIP
    >>> print(log)                                        # doctest: +SKIP
    client: open
    client: message 'hello'

    ``print(log)`` lists events in arrival order; ``log.show(by_source=True)``
    groups them per socket (each socket's own order never varies, even when
    two sockets receive at the same moment).
    """

    TYPES = ("open", "message", "close", "error")

    def __init__(self, *sockets: WebSocket, **named: WebSocket) -> None:
        self.records: list[Record] = []
        self._sources: list[str] = []
        self._changed = asyncio.Event() if _has_loop() else None
        self._waiters: list[asyncio.Future[None]] = []
        for i, ws in enumerate(sockets):
            self.watch(ws, f"ws{i}" if len(sockets) > 1 else "ws")
        for name, ws in named.items():
            self.watch(ws, name)

    # -- recording --------------------------------------------------------------
    def watch(self, ws: WebSocket, name: str | None = None, types: Iterable[str] = TYPES) -> WebSocket:
        """Record ``ws``'s events under ``name``; returns ``ws`` so you can chain it."""
        name = name or f"ws{len(self._sources)}"
        if name not in self._sources:
            self._sources.append(name)
        for t in types:
            ws.addEventListener(t, self._listener(name))
        return ws

    def _listener(self, name: str) -> Callable[[Event], None]:
        def record(event: Event) -> None:
            self.add(name, describe(event), type=event.type, event=event)

        return record

    def add(self, source: str, text: str, *, type: str = "note", event: Any = None) -> None:
        """Add a line yourself (``log.add("me", "sent hello")``)."""
        if source not in self._sources:
            self._sources.append(source)
        self.records.append(Record(len(self.records), source, type, text, event))
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)
        self._waiters.clear()

    def clear(self) -> None:
        self.records.clear()

    # -- reading ----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self):
        return iter(self.records)

    def __getitem__(self, index: int) -> Record:
        return self.records[index]

    def of(self, source: str | None = None, type: str | None = None) -> list[Record]:
        """The records of one socket and/or one event type."""
        return [
            r
            for r in self.records
            if (source is None or r.source == source) and (type is None or r.type == type)
        ]

    def events(self, source: str | None = None, type: str | None = None) -> list[Any]:
        """The event objects themselves (``log.events("client", "message")[0].data``)."""
        return [r.event for r in self.of(source, type)]

    def lines(self, by_source: bool = False) -> list[str]:
        if not by_source:
            return [str(r) for r in self.records]
        return [str(r) for name in self._sources for r in self.records if r.source == name]

    def __str__(self) -> str:
        return "\n".join(self.lines()) or "(no events yet)"

    def __repr__(self) -> str:
        return f"<EventLog {len(self.records)} events from {', '.join(self._sources) or 'no sockets'}>"

    def show(self, by_source: bool = False) -> None:
        """Print the log (grouped per socket with ``by_source=True``)."""
        print("\n".join(self.lines(by_source)) or "(no events yet)")

    # -- waiting ------------------------------------------------------------------
    async def _changed_once(self) -> None:
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        await fut

    async def wait_until(
        self, predicate: Callable[[EventLog], bool], *, timeout: float = 5, what: str = "events"
    ) -> EventLog:
        """Wait (at most ``timeout`` s, scaled) until ``predicate(log)`` is true."""
        limit = scaled(timeout)
        try:
            async with asyncio.timeout(limit):
                while not predicate(self):
                    await self._changed_once()
        except TimeoutError:
            raise WaitTimeout(
                f"waited {_fmt_seconds(limit)} for {what}, but it did not happen.\n"
                f"Events so far:\n{_indent(str(self))}\n"
                "Check that the Worker calls accept(), that a listener is added for this "
                "event, and that the other side really sent something. (A slow machine? Set "
                "WSGUIDE_TIMEOUT_FACTOR=10.)"
            ) from None
        return self

    async def wait_for(
        self,
        n: int | None = None,
        *,
        type: str | None = None,
        source: str | None = None,
        timeout: float = 5,
    ) -> EventLog:
        """Wait until at least ``n`` matching events are recorded (``n`` defaults to 1
        when ``type``/``source`` is given, else to one more than now)."""
        if n is None:
            n = 1 if (type or source) else len(self.records) + 1
        what = f"{n} event{'s' if n != 1 else ''}"
        if type:
            what += f" of type {type!r}"
        if source:
            what += f" on {source!r}"
        return await self.wait_until(
            lambda log: len(log.of(source, type)) >= n, timeout=timeout, what=what
        )


def _has_loop() -> bool:
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        return False


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


async def wait_for_events(
    log: EventLog, n: int, timeout: float = 5, *, type: str | None = None, source: str | None = None
) -> EventLog:
    """Wait until ``log`` holds ``n`` events (of ``type`` / from ``source``), at most
    ``timeout`` seconds (times ``WSGUIDE_TIMEOUT_FACTOR``); raises :class:`WaitTimeout`."""
    return await log.wait_for(n, type=type, source=source, timeout=timeout)


async def next_event(ws: WebSocket, type: str = "message", timeout: float = 5) -> Any:
    """The next ``type`` event of ``ws`` (``message``, ``close``, ``open``, ``error``).

    The listener is removed again afterwards. A ``close`` (or ``error``) that
    arrives while you wait for a message ends the wait with a clear error.
    """
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[Any] = loop.create_future()
    seen: list[str] = []

    def on_event(event: Event) -> None:
        if fut.done():
            return
        if event.type == type:
            fut.set_result(event)
        else:
            seen.append(describe(event))
            if event.type in ("close", "error") and type in ("message", "open"):
                fut.set_exception(
                    WaitTimeout(
                        f"waited for a {type!r} event, but the socket got "
                        f"{describe(event)} first. The connection is over: look at the close "
                        "code, and at show_log(srv) for what the Worker said."
                    )
                )

    watched = {type, "close", "error"}
    for t in watched:
        ws.addEventListener(t, on_event)
    limit = scaled(timeout)
    try:
        async with asyncio.timeout(limit):
            return await fut
    except TimeoutError:
        hint = {
            "message": "Did the other side send anything? Did the Worker call accept() and add a "
            "'message' listener that answers?",
            "close": "Nobody closed the connection: call close() on one end.",
            "open": "Is the server running (await serve(...)) and is the URL right?",
        }.get(type, "")
        raise WaitTimeout(
            f"no {type!r} event within {_fmt_seconds(limit)}. {hint} (A slow machine? Set "
            "WSGUIDE_TIMEOUT_FACTOR=10.)"
        ) from None
    finally:
        for t in watched:
            ws.removeEventListener(t, on_event)


# ---------------------------------------------------------------------------
# The Worker's log, and the servers still running
# ---------------------------------------------------------------------------
def _log_lines(log: WorkerLog, full: bool) -> list[str]:
    out = []
    for line in log:
        text = str(line)
        if not full and "\n" in text:
            parts = text.splitlines()
            # First line (what happened) and last line (the exception); the traceback
            # between them names files on this machine.
            text = parts[0] + "\n    ...\n    " + parts[-1].strip() if len(parts) > 2 else text
        out.append(text)
    return out


def show_log(srv: Server | WorkerLog, *, full: bool = False, clear: bool = False) -> None:
    """Print what the Worker printed (``console.log``) and the runtime's warnings.

    Tracebacks are shortened to their first and last lines unless ``full=True``.
    ``clear=True`` empties the log afterwards, so the next call shows only new lines.
    """
    log = srv.log if isinstance(srv, Server) else srv
    lines = _log_lines(log, full)
    name = getattr(srv, "name", "") or log.name or "Worker"
    if not lines:
        print(f"({name} printed nothing)")
    else:
        print(f"--- {name} log ---")
        print("\n".join(lines))
    if clear:
        log.clear()


def show_running() -> None:
    """List the servers started by ``serve()`` that still run (no ports: they change)."""
    servers = running()
    if not servers:
        print("no wsguide servers are running")
        return
    for srv in servers:
        print(f"running: {srv.name}")


async def stop_all() -> None:
    """The panic button: stop every server started with ``serve()`` and say how many."""
    n = await shutdown_all()
    print(f"stopped {n} server{'s' if n != 1 else ''}")


# ---------------------------------------------------------------------------
# Self-checks
# ---------------------------------------------------------------------------
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


async def check_upgrade_check(Worker: Any) -> Check:
    """Does ``Worker`` refuse plain requests with 426 and let WebSocket upgrades through?

    Calls the Worker's ``fetch`` directly (no network) with three requests.
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
    return c


def _status_of(resp: Any) -> str:
    if isinstance(resp, Response):
        return f"status {resp.status}"
    return f"{type(resp).__name__} instead of a Response"


def check_pair(client: Any, server: Any) -> Check:
    """Are ``client`` and ``server`` the two ends of one fresh WebSocketPair?"""
    c = Check("WebSocketPair")
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
        "unpacking both ends: client, server = pair[0], pair[1]",
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
    c.expect(
        client.state.value == "Released",
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
                        'server.binaryType = "arraybuffer" (or send(await event.data.bytes()))',
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
    """Is ``resp`` (from ``fetch(url, headers={"Upgrade": "websocket"})``) a usable socket?"""
    c = Check("fetch() upgrade")
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
    ws = resp.web_socket
    if not c.expect(
        isinstance(ws, WebSocket),
        "resp.web_socket is a WebSocket",
        "resp.web_socket is missing",
        "there is no socket without a 101",
        "checking resp.web_socket before using it",
    ):
        return c
    c.expect(
        ws.state.value == "Accepted",
        "it is accepted: its events will arrive",
        "it is not accepted yet",
        "a socket from fetch() delivers nothing before accept()",
        "ws.accept()",
    )
    return c


def check_compression(ws_or_extensions: Any, expected: bool) -> Check:
    """Was permessage-deflate negotiated (``expected=True``) or not?"""
    ext = ws_or_extensions.extensions if isinstance(ws_or_extensions, WebSocket) else ws_or_extensions
    ext = ext or ""
    on = "permessage-deflate" in ext
    c = Check("compression")
    if expected:
        c.expect(
            on,
            f"permessage-deflate was negotiated ({ext})",
            "no compression was negotiated",
            "the Worker's compatibility settings turn it off",
            "a compatibility_date on or after 2023-08-15 without no_web_socket_compression",
        )
    else:
        c.expect(
            not on,
            "no compression: extensions is empty",
            f"compression was negotiated ({ext})",
            "it is on by default since 2023-08-15",
            'compatibility_flags=["no_web_socket_compression"]',
        )
    return c


# ---------------------------------------------------------------------------
# The wire: a loopback relay that records the handshake and every frame
# ---------------------------------------------------------------------------
OPCODES = {0x0: "CONT", 0x1: "TEXT", 0x2: "BINARY", 0x8: "CLOSE", 0x9: "PING", 0xA: "PONG"}

#: Handshake headers shown by default; the random ones are shown as placeholders.
ESSENTIAL_HEADERS = (
    "upgrade",
    "connection",
    "sec-websocket-version",
    "sec-websocket-key",
    "sec-websocket-accept",
    "sec-websocket-extensions",
    "sec-websocket-protocol",
    "content-type",
)
RANDOM_HEADERS = {
    "sec-websocket-key": "<16 random bytes, base64>",
    "sec-websocket-accept": "<derived from the key>",
}


@dataclass
class WireEntry:
    """One thing seen on the wire: an HTTP head or a WebSocket frame."""

    direction: str  # "c2s" or "s2c"
    kind: str  # "http" or "frame"
    summary: str  # one line, for the diagram
    details: list[str] = field(default_factory=list)
    opcode: int | None = None
    payload: bytes = b""  # unmasked, still compressed if rsv1
    message: bytes | None = None  # inflated when compressed
    rsv1: bool = False
    fin: bool = True
    masked: bool = False
    wire_size: int = 0  # bytes of the whole frame on the wire


@dataclass
class _Head:
    start: str
    headers: list[tuple[str, str]]

    def get(self, name: str) -> str | None:
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None


class _Direction:
    """Parses one direction of a relayed connection."""

    def __init__(self, tap: WireTap, direction: str, peer: _Direction | None = None) -> None:
        self.tap = tap
        self.direction = direction
        self.buf = bytearray()
        self.state = "head"
        self.body_left = 0
        self.inflater: Any = None
        self.reset_each_message = False
        self.fragments: list[bytes] = []
        self.fragment_rsv1 = False
        self.head: _Head | None = None
        self.other: _Direction | None = peer

    def feed(self, data: bytes) -> None:
        self.buf += data
        while True:
            if self.state == "head":
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                raw = bytes(self.buf[:end]).decode("latin-1")
                del self.buf[: end + 4]
                self._on_head(raw)
            elif self.state == "body":
                if not self.buf:
                    return
                take = min(self.body_left, len(self.buf)) if self.body_left else len(self.buf)
                body = bytes(self.buf[:take])
                del self.buf[:take]
                self.body_left -= take
                self.tap._add(
                    WireEntry(self.direction, "http", f"body {body[:40].decode('utf-8', 'replace')!r}",
                              [f"body: {body.decode('utf-8', 'replace')!r}"])
                )
                if self.body_left <= 0:
                    self.state = "done"
            elif self.state == "frames":
                if not self._frame():
                    return
            else:
                return

    def _on_head(self, raw: str) -> None:
        lines = raw.split("\r\n")
        headers = []
        for line in lines[1:]:
            if ":" in line:
                n, v = line.split(":", 1)
                headers.append((n.strip(), v.strip()))
        head = _Head(lines[0], headers)
        self.head = head
        shown = []
        for n, v in headers:
            key = n.lower()
            if self.tap.all_headers or key in ESSENTIAL_HEADERS:
                shown.append(f"{n}: {RANDOM_HEADERS.get(key, v)}")
        start = lines[0]
        if self.direction == "c2s":
            method_path = " ".join(start.split(" ")[:2])
            upgrade = head.get("Upgrade")
            summary = f"{method_path}" + (f" (Upgrade: {upgrade})" if upgrade else " (no Upgrade header)")
            self.state = "frames" if upgrade else "done"
        else:
            status = start.split(" ", 1)[1] if " " in start else start
            summary = status
            if start.split(" ")[1:2] == ["101"]:
                self.state = "frames"
                self._setup_inflaters(head.get("Sec-WebSocket-Extensions") or "")
                # the client's direction switches to frames too (it already did if it asked)
            else:
                length = int(head.get("Content-Length") or 0)
                self.body_left = length
                self.state = "body" if length else "done"
        self.tap._add(WireEntry(self.direction, "http", summary, [start, *shown]))

    def _setup_inflaters(self, extensions: str) -> None:
        if "permessage-deflate" not in extensions:
            return
        self.tap.extensions = extensions
        params = {p.strip().split("=")[0] for p in extensions.split(";")}
        for d in (self, self.other):
            if d is None:
                continue
            d.inflater = zlib.decompressobj(-15)
        self.reset_each_message = "server_no_context_takeover" in params
        if self.other is not None:
            self.other.reset_each_message = "client_no_context_takeover" in params

    def _frame(self) -> bool:
        buf = self.buf
        if len(buf) < 2:
            return False
        b0, b1 = buf[0], buf[1]
        fin, rsv1, opcode = bool(b0 & 0x80), bool(b0 & 0x40), b0 & 0x0F
        masked, length = bool(b1 & 0x80), b1 & 0x7F
        pos = 2
        if length == 126:
            if len(buf) < 4:
                return False
            (length,) = struct.unpack("!H", buf[2:4])
            pos = 4
        elif length == 127:
            if len(buf) < 10:
                return False
            (length,) = struct.unpack("!Q", buf[2:10])
            pos = 10
        key = b""
        if masked:
            if len(buf) < pos + 4:
                return False
            key = bytes(buf[pos : pos + 4])
            pos += 4
        if len(buf) < pos + length:
            return False
        payload = bytes(buf[pos : pos + length])
        if masked:
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        del buf[: pos + length]
        entry = WireEntry(self.direction, "frame", "", opcode=opcode, payload=payload, rsv1=rsv1,
                          fin=fin, masked=masked, wire_size=pos + length)
        self._describe(entry)
        self.tap._add(entry)
        return True

    def _inflate(self, data: bytes) -> bytes | None:
        if self.inflater is None:
            return None
        try:
            out = self.inflater.decompress(data + b"\x00\x00\xff\xff")
        except zlib.error:
            return None
        if self.reset_each_message:
            self.inflater = zlib.decompressobj(-15)
        return out

    def _describe(self, e: WireEntry) -> None:
        name = OPCODES.get(e.opcode or 0, f"opcode {e.opcode:#x}")
        data = e.payload
        if e.opcode in (0x1, 0x2, 0x0):
            if e.opcode != 0x0:
                self.fragments = []
                self.fragment_rsv1 = e.rsv1
            self.fragments.append(data)
            if e.fin and self.fragment_rsv1:
                e.message = self._inflate(b"".join(self.fragments))
                if e.message is not None:
                    data = e.message
        if e.opcode == 0x1:
            shown = _short(data.decode("utf-8", "replace"), 40)
        elif e.opcode == 0x8:
            if len(data) >= 2:
                (code,) = struct.unpack("!H", data[:2])
                reason = data[2:].decode("utf-8", "replace")
                shown = f"code {code}" + (f" reason {reason!r}" if reason else "")
            else:
                shown = "(no code)"
        else:
            shown = _short(data, 40)
        flags = []
        if e.rsv1:
            flags.append(f"RSV1 compressed {len(e.payload)} B → {len(data)} B")
        if not e.fin:
            flags.append("FIN=0, more frames follow")
        e.summary = f"{name} {shown}"
        detail = f"{name:<6} {shown}"
        extra = [f"{e.wire_size} B on the wire", "masked" if e.masked else "unmasked", *flags]
        e.details = [detail + "  [" + ", ".join(extra) + "]"]


class WireTap:
    """A loopback relay between a client and a server that records what crosses it.

    Connect your client to ``tap.url`` / ``tap.ws_url`` instead of the
    server's; the bytes are passed on unchanged, and each direction is parsed:
    the HTTP handshake, then every WebSocket frame. Frames from the client are
    masked (RFC 6455 requires it) and are unmasked for display; compressed
    frames (RSV1 set) are inflated so you can read them.

    Use it as ``async with wire_tap(srv) as tap:`` then ``tap.show()`` and
    ``tap.diagram()``.
    """

    def __init__(self, target: Server | str, *, client: str = "client", server: str = "Worker",
                 all_headers: bool = False) -> None:
        if isinstance(target, Server):
            self.target_host, self.target_port = "127.0.0.1", target.port
        else:
            from urllib.parse import urlsplit

            parts = urlsplit(target)
            self.target_host, self.target_port = parts.hostname or "127.0.0.1", parts.port or 80
        self.client_name = client
        self.server_name = server
        self.all_headers = all_headers
        self.entries: list[WireEntry] = []
        self.extensions: str | None = None
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._changed: list[asyncio.Future[None]] = []
        self.connections = 0

    # -- lifecycle ----------------------------------------------------------------
    async def start(self) -> WireTap:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    @property
    def port(self) -> int:
        assert self._server is not None, "start the tap first: async with wire_tap(srv) as tap"
        return self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def close(self, timeout: float = 5) -> None:
        """Stop relaying; waits (bounded) for open connections to finish first."""
        if self._server is None:
            return
        self._server.close()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=scaled(timeout))
            for t in pending:
                t.cancel()
        self._server = None

    async def __aenter__(self) -> WireTap:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    # -- relaying -----------------------------------------------------------------
    async def _handle(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            sreader, swriter = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            cwriter.close()
            self._tasks.discard(task)
            return
        c2s = _Direction(self, "c2s")
        s2c = _Direction(self, "s2c", c2s)
        c2s.other = s2c
        try:
            await asyncio.gather(self._pump(creader, swriter, c2s), self._pump(sreader, cwriter, s2c))
        finally:
            for w in (cwriter, swriter):
                w.close()
            self._tasks.discard(task)
            self._notify()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, parser: _Direction) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                parser.feed(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if writer.can_write_eof() and not writer.is_closing():
                try:
                    writer.write_eof()
                except OSError:
                    pass

    def _add(self, entry: WireEntry) -> None:
        self.entries.append(entry)
        self._notify()

    def _notify(self) -> None:
        for fut in self._changed:
            if not fut.done():
                fut.set_result(None)
        self._changed.clear()

    # -- waiting -----------------------------------------------------------------
    async def wait_until(self, predicate: Callable[[WireTap], bool], timeout: float = 5, what: str = "") -> None:
        limit = scaled(timeout)
        try:
            async with asyncio.timeout(limit):
                while not predicate(self):
                    fut = asyncio.get_running_loop().create_future()
                    self._changed.append(fut)
                    await fut
        except TimeoutError:
            raise WaitTimeout(
                f"waited {_fmt_seconds(limit)} for {what or 'traffic'} on the wire tap.\n"
                f"Seen so far:\n{_indent(self.text())}"
            ) from None

    async def wait_for_frames(self, n: int, timeout: float = 5) -> None:
        """Wait until ``n`` WebSocket frames (both directions together) went through."""
        await self.wait_until(lambda t: len(t.frames()) >= n, timeout, f"{n} frames")

    async def wait_closed(self, timeout: float = 5) -> None:
        """Wait until both Close frames went through (or every connection ended)."""
        def done(t: WireTap) -> bool:
            closes = {e.direction for e in t.frames() if e.opcode == 0x8}
            return len(closes) == 2 or (t.connections > 0 and not t._tasks)

        await self.wait_until(done, timeout, "the closing handshake")

    # -- reading ------------------------------------------------------------------
    def frames(self, direction: str | None = None) -> list[WireEntry]:
        return [e for e in self.entries if e.kind == "frame" and (direction is None or e.direction == direction)]

    def _arrow(self, direction: str) -> str:
        a, b = self.client_name, self.server_name
        return f"{a} → {b}" if direction == "c2s" else f"{b} → {a}"

    def text(self) -> str:
        out = []
        width = max(len(self._arrow("c2s")), len(self._arrow("s2c")))
        for e in self.entries:
            arrow = self._arrow(e.direction).ljust(width)
            first, *rest = e.details or [e.summary]
            out.append(f"{arrow}  {first}")
            out.extend(" " * (width + 2) + line for line in rest)
        return "\n".join(out) or "(nothing crossed the wire yet)"

    def show(self) -> None:
        """Print the handshake and the frames, one per line, in the order they passed."""
        print(self.text())

    def mermaid(self) -> str:
        """The conversation as a Mermaid sequence diagram (text)."""
        lines = [
            "sequenceDiagram",
            f"    participant C as {self.client_name}",
            f"    participant S as {self.server_name}",
        ]
        for e in self.entries:
            arrow = "C->>S" if e.direction == "c2s" else "S-->>C"
            label = e.summary
            if e.kind == "frame" and e.rsv1:
                label += " (compressed)"
            lines.append(f"    {arrow}: {_mermaid_text(label)}")
        return "\n".join(lines)

    def diagram(self) -> None:
        """Draw the sequence diagram (JupyterLab renders ``text/vnd.mermaid``)."""
        from IPython.display import display

        text = self.mermaid()
        display({"text/vnd.mermaid": text, "text/plain": text}, raw=True)


def _mermaid_text(text: str) -> str:
    # ';' ends a statement and '#' starts an entity in Mermaid; keep labels plain.
    return text.replace(";", ",").replace("#", "no. ").replace("\n", " ")


def wire_tap(target: Server | str, **options: Any) -> WireTap:
    """A :class:`WireTap` in front of ``target`` (a running server or its URL)."""
    return WireTap(target, **options)


# Convenience for notebooks: one place to import from.
__all__ += ["ExecutionContext", "Request", "Response"]

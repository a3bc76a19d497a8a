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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .events import CloseEvent, ErrorEvent, Event, MessageEvent
from .http import Request, Response
from .log import WorkerLog
from .runtime import ExecutionContext, Server, running, shutdown_all
from .selfcheck import (
    Check,
    check_close,
    check_compression,
    check_echo,
    check_fetch_upgrade,
    check_pair,
    check_returned_end,
    check_upgrade_check,
)
from .timing import TIMEOUT_FACTOR, WaitTimeout, fmt_seconds as _fmt_seconds, indent as _indent, scaled, short as _short
from .websocket import WebSocket
from .wire import WireEntry, WireTap, wire_tap

__all__ = [
    "TIMEOUT_FACTOR",
    "Check",
    "EventLog",
    "ExecutionContext",
    "Request",
    "Response",
    "WaitTimeout",
    "WireEntry",
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
    "wait_for_log",
    "wire_tap",
]


# ---------------------------------------------------------------------------
# Describing events in a stable, printable way
# ---------------------------------------------------------------------------
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
        async with asyncio.timeout(limit) as deadline:
            return await fut
    except TimeoutError:
        if not deadline.expired():
            raise  # the WaitTimeout set above: the socket closed first
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


async def wait_for_log(srv: Server | WorkerLog, text: str, timeout: float = 5) -> str:
    """Wait until a line containing ``text`` is in the Worker's log; returns that line.

    The Worker's listeners run on their own schedule; this is how a cell waits
    for "the Worker has seen it" without sleeping.
    """
    log = srv.log if isinstance(srv, Server) else srv

    def find() -> str | None:
        for line in log:
            if text in line.text:
                return str(line)
        return None

    limit = scaled(timeout)
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(limit):
            while (found := find()) is None:
                fut = loop.create_future()
                waiter = lambda: fut.done() or fut.set_result(None)  # noqa: E731
                log._waiters.append(waiter)
                try:
                    await fut
                finally:
                    log._waiters.remove(waiter)
    except TimeoutError:
        raise WaitTimeout(
            f"the Worker did not log anything containing {text!r} within {_fmt_seconds(limit)}. "
            "Does a listener call console.log(...)? Is the socket accepted?"
        ) from None
    return found


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

"""Recording a socket's events in a notebook, and waiting for them.

A ``print()`` inside an event listener lands under whichever cell started the
server (or nowhere under nbval), so listeners *record* into an
:class:`EventLog` and the cell that waits prints it. Every wait is bounded
(:mod:`wsguide.teach.waits`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..core.events import CloseEvent, ErrorEvent, Event, MessageEvent
from ..core.websocket import WebSocket
from .text import indent, short
from .views import as_learner_sees_it, runtime_object
from .waits import SLOW_MACHINE_HINT, Changes, WaitTimeout, bounded, fmt_seconds

__all__ = ["EventLog", "Record", "describe", "next_event", "wait_for_events"]


def describe(event: Event) -> str:
    """One line for an event, the same on every run (no ids, times or ports)."""
    event = runtime_object(event)
    if isinstance(event, MessageEvent):
        return f"message {short(event.data)}"
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
        self._changes = Changes()
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
        socket = runtime_object(ws)  # a helper's listener needs no create_proxy
        for t in types:
            socket.addEventListener(t, self._listener(name, ws))
        return ws

    def _listener(self, name: str, like: Any) -> Callable[[Event], None]:
        def record(event: Event) -> None:
            self.add(name, describe(event), type=event.type, event=as_learner_sees_it(event, like))

        return record

    def add(self, source: str, text: str, *, type: str = "note", event: Any = None) -> None:
        """Add a line yourself (``log.add("me", "sent hello")``)."""
        if source not in self._sources:
            self._sources.append(source)
        self.records.append(Record(len(self.records), source, type, text, event))
        self._changes.notify()

    def clear(self) -> None:
        self.records.clear()

    # -- reading ----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Record]:
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
    async def wait_until(
        self, predicate: Callable[[EventLog], bool], *, timeout: float = 5, what: str = "events"
    ) -> EventLog:
        """Wait (at most ``timeout`` s, scaled) until ``predicate(log)`` is true."""
        await self._changes.until(
            lambda: predicate(self),
            timeout,
            lambda limit: (
                f"waited {fmt_seconds(limit)} for {what}, but it did not happen.\n"
                f"Events so far:\n{indent(str(self))}\n"
                "Check that the Worker calls accept(), that a listener is added for this "
                "event, and that the other side really sent something. " + SLOW_MACHINE_HINT
            ),
        )
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
        return await self.wait_until(lambda log: len(log.of(source, type)) >= n, timeout=timeout, what=what)


async def wait_for_events(
    log: EventLog, n: int, timeout: float = 5, *, type: str | None = None, source: str | None = None
) -> EventLog:
    """Wait until ``log`` holds ``n`` events (of ``type`` / from ``source``), at most
    ``timeout`` seconds (times ``WSGUIDE_TIMEOUT_FACTOR``); raises :class:`WaitTimeout`."""
    return await log.wait_for(n, type=type, source=source, timeout=timeout)


_NEXT_EVENT_HINTS = {
    "message": "Did the other side send anything? Did the Worker call accept() and add a "
    "'message' listener that answers?",
    "close": "Nobody closed the connection: call close() on one end.",
    "open": "Is the server running (await serve(...)) and is the URL right?",
}


async def next_event(ws: WebSocket, type: str = "message", timeout: float = 5) -> Any:
    """The next ``type`` event of ``ws`` (``message``, ``close``, ``open``, ``error``).

    The listener is removed again afterwards. A ``close`` (or ``error``) that
    arrives while you wait for a message ends the wait with a clear error.
    """
    fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    learner_ws, ws = ws, runtime_object(ws)

    def on_event(event: Event) -> None:
        if fut.done():
            return
        if event.type == type:
            fut.set_result(as_learner_sees_it(event, learner_ws))
        elif event.type in ("close", "error") and type in ("message", "open"):
            fut.set_exception(
                WaitTimeout(
                    f"waited for a {type!r} event, but the socket got {describe(event)} first. "
                    "The connection is over: look at the close code, and at show_log(srv) for "
                    "what the Worker said."
                )
            )

    watched = {type, "close", "error"}
    for t in watched:
        ws.addEventListener(t, on_event)
    try:
        return await bounded(
            fut,
            timeout,
            lambda limit: f"no {type!r} event within {fmt_seconds(limit)}. "
            f"{_NEXT_EVENT_HINTS.get(type, '')} {SLOW_MACHINE_HINT}",
        )
    finally:
        for t in watched:
            ws.removeEventListener(t, on_event)

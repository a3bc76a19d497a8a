"""Helpers for the sans-I/O unit tests: deterministic delivery, event recording.

Delivery between pair ends is never synchronous: the test's isolate (see
``conftest.py``) has a :class:`~wsguide.core.isolate.ManualScheduler`, and
:func:`drain` runs what it queued until nothing is left.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from wsguide.core import isolate as _isolate
from wsguide.core.compat import Compat
from wsguide.core.pair import WebSocketPair
from wsguide.core.websocket import WebSocket

# Dates on each side of the flag boundaries (spec §8).
CURRENT = "2026-11-01"


def drain() -> int:
    """Run every pending delivery (and the ones they schedule); return how many ran."""
    return _isolate.current().scheduler.run_all()


def run_pending() -> int:
    """Run only the deliveries queued so far (not the ones they schedule)."""
    return _isolate.current().scheduler.run_pending()


@contextlib.contextmanager
def compat_ctx(date: str | None = None, flags: Iterable[str] = ()) -> Iterator[Compat]:
    """Make new sockets follow ``Compat(date, flags)`` while the block runs."""
    compat = Compat(date, flags)
    with _isolate.current().with_compat(compat).entered():
        yield compat


def make_pair(date: str | None = None, flags: Iterable[str] = ()) -> tuple[WebSocket, WebSocket]:
    """``(end0, end1)`` of a fresh pair under the given compatibility settings."""
    with compat_ctx(date, flags):
        a, b = WebSocketPair()
    return a, b


def ends(end: int, date: str | None = None, flags: Iterable[str] = ()) -> tuple[WebSocket, WebSocket]:
    """``(this, peer)``: end ``end`` (0 client, 1 server) of a fresh pair and the other one."""
    pair = make_pair(date, flags)
    return pair[end], pair[1 - end]


def accepted(end: int, date: str | None = None, flags: Iterable[str] = ()) -> tuple[WebSocket, WebSocket]:
    """Like :func:`ends`, with both ends accepted."""
    this, peer = ends(end, date, flags)
    this.accept()
    peer.accept()
    return this, peer


class Recorder:
    """Records every event a socket dispatches, as simple tuples.

    ``("message", data)``, ``("close", code, reason, wasClean)``,
    ``("error", message)``, ``("open",)``. ``on_close`` etc. run inside the
    listener (to observe state during dispatch).
    """

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.events: list[tuple[Any, ...]] = []
        self.ready_states: list[int] = []
        for kind in ("open", "message", "close", "error"):
            ws.addEventListener(kind, self._record)

    def _record(self, event: Any) -> None:
        self.ready_states.append(self.ws.readyState)
        if event.type == "message":
            self.events.append(("message", event.data))
        elif event.type == "close":
            self.events.append(("close", event.code, event.reason, event.wasClean))
        elif event.type == "error":
            self.events.append(("error", event.message))
        else:
            self.events.append((event.type,))

    @property
    def messages(self) -> list[Any]:
        return [e[1] for e in self.events if e[0] == "message"]

    @property
    def closes(self) -> list[tuple[Any, ...]]:
        return [e[1:] for e in self.events if e[0] == "close"]


class FakeTransport:
    """A stand-in for the network leg (``wsguide.core.websocket.Transport``): no sockets."""

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.receivers: list[Any] = []

    def send(self, item: Any) -> None:
        self.sent.append(item)

    def start_reading(self, receiver: Any) -> None:
        self.receivers.append(receiver)


class Owner:
    """A stand-in for the Durable Object that owns a hibernatable socket: records its input."""

    def __init__(self) -> None:
        self.inputs: list[tuple[WebSocket, Any]] = []

    def on_socket_input(self, ws: WebSocket, item: Any) -> None:
        self.inputs.append((ws, item))

"""Holding writes to the end of the event loop's turn, to send them together.

Two things write many frames in one turn of the event loop:

* A Durable Object room takes several messages from its queue in one step and
  broadcasts each of them. Written as they come, that is one ``send()`` system
  call per message and member, the largest single cost of a delivery. The
  object holds the loop's :class:`Outbox` (:meth:`Outbox.hold`) while it works,
  and flushes it when its step ends.
* A server with many connections reads many of them in one turn (asyncio runs
  the read callback of every socket that one ``select()`` found ready), and a
  Worker answers each read at once, as the echo does. While more than one
  WebSocket is open on the loop, a leg holds the outbox before it handles what
  it read (:meth:`Outbox.reading`): the turn's answers then leave one after the
  other at its end, not each between two reads. The peers get their answers in
  a burst and send their next messages in one, so each later turn finds more
  sockets ready and the server and its peers wake each other up less often. An
  echo at 100 connections answered about twice as many messages per second this
  way (benchmarks/RESULTS.md). With one connection open nothing is held: there
  is nothing to group, and its answers leave at once.

While the outbox is held, each :class:`~wsguide.net.leg.WebSocketLeg` keeps what
it writes in a list, and :meth:`Outbox.flush` hands each list to its transport
once, joined. Holding never delays a write past the next turn of the loop: the
turn's end flushes (``loop.call_soon``). Order on a connection is kept (one list
per leg), and a leg that must write now (a large frame, end of stream, abort)
empties its list first. A peer sees the same bytes in the same order, in fewer
TCP segments.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Protocol

__all__ = ["Outbox", "outbox_for"]


class _Flushable(Protocol):
    def flush(self) -> None: ...


class Outbox:
    """The legs of one event loop with bytes held back (see the module docstring)."""

    __slots__ = ("_loop", "_due", "_turn_end_scheduled", "holding", "legs", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = weakref.ref(loop)  # the registry below must not keep a finished loop alive
        self._due: list[_Flushable] = []
        self._turn_end_scheduled = False
        #: While true, legs queue what they write instead of writing it.
        self.holding = False
        #: The WebSocket connections open on this loop (:meth:`opened`, :meth:`closed`).
        self.legs = 0

    def opened(self) -> None:
        """A WebSocket connection of this loop has started."""
        self.legs += 1

    def closed(self) -> None:
        """A WebSocket connection of this loop has ended."""
        self.legs -= 1

    def reading(self) -> None:
        """A leg is about to handle bytes it read: hold if other connections may answer in this turn too."""
        if self.legs > 1 and not self.holding:
            self.hold()

    def hold(self) -> None:
        """Hold writes until :meth:`flush`, or at the latest until this turn of the loop ends."""
        self.holding = True
        if not self._turn_end_scheduled:
            self._turn_end_scheduled = True
            loop = self._loop()
            if loop is not None:
                loop.call_soon(self._turn_ended)

    def add(self, leg: _Flushable) -> None:
        """``leg`` has started a list of held bytes: flush it with the others."""
        self._due.append(leg)

    def flush(self) -> None:
        """Stop holding, and hand every held list to its transport."""
        self.holding = False
        due = self._due
        if due:
            self._due = []
            for leg in due:
                leg.flush()

    def _turn_ended(self) -> None:
        self._turn_end_scheduled = False
        self.flush()


_OUTBOXES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Outbox] = weakref.WeakKeyDictionary()

#: The outbox asked for last (a server asks for its loop's once per connection).
_last: Outbox | None = None


def outbox_for(loop: asyncio.AbstractEventLoop) -> Outbox:
    """The outbox of ``loop`` (one per loop: legs of different loops never share one)."""
    global _last
    last = _last
    if last is not None and last._loop() is loop:
        return last
    box = _OUTBOXES.get(loop)
    if box is None:
        box = _OUTBOXES[loop] = Outbox(loop)
    _last = box
    return box

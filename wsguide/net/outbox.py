"""Frames written during one turn of the event loop go out together at its end.

A Durable Object that takes several messages from its queue in one step and
broadcasts each of them would otherwise make one ``send()`` system call per
message and member; an echo Worker that reads three frames from one packet
would answer with three. Each :class:`~wsguide.net.leg.WebSocketLeg` keeps
what it writes in a list, and the loop's :class:`Outbox` hands each list to
its transport once, joined, when the callbacks of the current turn are done
(``loop.call_soon``). Order on a connection is kept (one list per leg), and a
leg that must write now (end of stream, abort) empties its list first.

Nothing a peer can observe changes: each connection gets the same bytes in the
same order, in fewer TCP segments, before the loop waits for the network again.
The system call is the largest single cost of a delivery in a broadcast.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Protocol

__all__ = ["Outbox", "outbox_for"]


class _Flushable(Protocol):
    def flush(self) -> None: ...


class Outbox:
    """The legs with bytes to write in the current turn of one event loop."""

    __slots__ = ("_loop", "_due", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._due: list[_Flushable] | None = None

    def add(self, leg: _Flushable) -> None:
        """``leg`` has bytes waiting: flush it at the end of this turn (once)."""
        due = self._due
        if due is None:
            self._due = [leg]
            self._loop.call_soon(self._flush)
        else:
            due.append(leg)

    def _flush(self) -> None:
        due, self._due = self._due, None
        for leg in due or ():
            leg.flush()


_OUTBOXES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Outbox] = weakref.WeakKeyDictionary()


#: The outbox asked for last (a server asks for its loop's once per connection).
_last: Outbox | None = None


def outbox_for(loop: asyncio.AbstractEventLoop) -> Outbox:
    """The outbox of ``loop`` (one per loop: legs of different loops never share one)."""
    global _last
    last = _last
    if last is not None and last._loop is loop:
        return last
    box = _OUTBOXES.get(loop)
    if box is None:
        box = _OUTBOXES[loop] = Outbox(loop)
    _last = box
    return box

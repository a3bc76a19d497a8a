"""Timeouts of one fixed length for many connections: ``deadlines_for(loop, delay).arm(callback)``.

Every connection arms the same few timeouts: its request head within
``Limits.header_timeout``, a kept-alive connection's next request within
``Limits.idle_timeout``, the peer's answer to a Close within ``CLOSE_TIMEOUT``.
Nearly all of them are cancelled long before they expire. ``loop.call_later``
keeps each in the loop's heap, ordered by a Python ``__lt__``, which a connect
storm pays for on every arm and every cancel (about 3 % of a connection's
instructions, measured with callgrind).

Deadlines of one length expire in the order they were armed, so a queue in
arming order is enough: arming appends, cancelling drops the callback at once
(the connection is not kept alive by its timer), and one ``call_at`` waits for
the oldest deadline still armed. Cancelled entries are dropped whenever the
queue has doubled, so its length stays within twice the armed deadlines. A
callback that is due runs in its own ``loop.call_soon``, so one that raises is
reported by the loop as any callback is, and the others still run. Callbacks
run in the loop's context: the ones in wsguide need no context variables.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["COMPACT_FROM", "Deadline", "Deadlines", "deadlines_for"]

#: Below this many entries a queue keeps its cancelled ones until their time (see _compact).
COMPACT_FROM = 1024


class Deadline:
    """One armed timeout: :meth:`cancel` it when what it guards has happened."""

    __slots__ = ("when", "_callback", "_args")

    def __init__(self, when: float, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.when = when
        self._callback: Callable[..., Any] | None = callback
        self._args = args

    def cancel(self) -> None:
        """Never call back (what remains in the queue until ``when`` is this small entry)."""
        self._callback = None
        self._args = ()

    def cancelled(self) -> bool:
        return self._callback is None


class Deadlines:
    """The timeouts of one length on one event loop, in the order they were armed."""

    __slots__ = ("delay", "_loop", "_queue", "_timer", "_compact_at", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop, delay: float) -> None:
        self.delay = delay
        self._loop = weakref.ref(loop)  # the registry below must not keep a finished loop alive
        self._queue: deque[Deadline] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._compact_at = COMPACT_FROM

    def arm(self, callback: Callable[..., Any], *args: Any) -> Deadline:
        """Call ``callback(*args)`` ``delay`` seconds from now, unless the result is cancelled first."""
        loop = self._loop()
        assert loop is not None, "a Deadlines outlived its event loop"
        entry = Deadline(loop.time() + self.delay, callback, args)
        queue = self._queue
        queue.append(entry)
        if len(queue) >= self._compact_at:
            self._compact()
        if self._timer is None:
            self._timer = loop.call_at(entry.when, self._expire)
        return entry

    def _compact(self) -> None:
        # Cancelled entries wait for their time; in a connect storm most of the queue is
        # cancelled. Drop them whenever the queue has doubled since the last time, so it stays
        # within twice the armed ones (or COMPACT_FROM), at O(1) per arm on average.
        self._queue = queue = deque(entry for entry in self._queue if entry._callback is not None)
        self._compact_at = max(COMPACT_FROM, 2 * len(queue))

    def __len__(self) -> int:
        """Entries still queued, cancelled ones included (they leave when their time comes)."""
        return len(self._queue)

    def _expire(self) -> None:
        self._timer = None
        loop = self._loop()
        if loop is None:
            return
        queue = self._queue
        now = loop.time()
        while queue:
            entry = queue[0]
            callback = entry._callback
            if callback is not None and entry.when > now:
                self._timer = loop.call_at(entry.when, self._expire)
                return
            queue.popleft()
            if callback is not None:
                args = entry._args
                entry.cancel()  # due: it runs once
                loop.call_soon(callback, *args)


# Weak values: a queue lives while its loop has its timer scheduled (the loop holds the
# timer, the timer the queue) or while someone holds it, and goes with its loop.
_QUEUES: weakref.WeakValueDictionary[tuple[int, float], Deadlines] = weakref.WeakValueDictionary()


def deadlines_for(loop: asyncio.AbstractEventLoop, delay: float) -> Deadlines:
    """The queue of ``delay``-second timeouts on ``loop`` (made when first asked for)."""
    key = (id(loop), delay)
    queue = _QUEUES.get(key)
    if queue is None or queue._loop() is not loop:  # (an id can be reused by a later loop)
        queue = _QUEUES[key] = Deadlines(loop, delay)
    return queue

"""What a socket is connected to, besides its peer end.

* a :class:`Transport` — the network, implemented by :mod:`wsguide.net`;
* a Durable Object that took the socket with ``ctx.acceptWebSocket()`` and gets
  its input instead of listeners (``HibernationOwner``, next to ``WebSocket``);
* :class:`Vanished` — what an end that never reached a client leaves its peer
  (``WebSocket.abandon()``).

An input item may have to wait its turn (a Durable Object runs one event at a
time): the owner then returns a :class:`Pending`, and the network reads no
further until it is done. That is how a fast peer is kept from filling the
server's memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from .isolate import Isolate
from .messages import Disconnect, Item

__all__ = ["Pending", "Transport", "Vanished"]


class Pending(Protocol):
    """An input item that waits its turn (a Durable Object's queue): done once it has run."""

    def add_done_callback(self, fn: Callable[[Any], object], /) -> None: ...


class Transport(Protocol):
    """What the network layer gives a socket: ordered, non-blocking output.

    ``send(item)`` queues one outgoing :class:`Message` or :class:`Close` (or
    passes on a :class:`Disconnect`/:class:`Failure` of a spliced connection)
    and must not block. ``start_reading(receiver)`` begins passing every
    incoming item to ``receiver``, in order; it is called once, when the socket
    is accepted, so frames that arrive earlier wait in the network.
    ``receiver(item)`` returns ``None`` when the item was taken, or a
    :class:`Pending` when it waits in a queue: the network then reads no further
    until it is done (flow control, so a fast peer cannot fill the server).
    """

    def send(self, item: Item) -> None: ...

    def start_reading(self, receiver: Callable[[Item], Pending | None]) -> None: ...


class Vanished:
    """The network of an abandoned end: gone before it carried anything."""

    def __init__(self, isolate: Isolate) -> None:
        self._isolate = isolate

    def send(self, item: Item) -> None:
        pass  # nobody is there to receive it

    def start_reading(self, receiver: Callable[[Item], Pending | None]) -> None:
        self._isolate.scheduler.call_soon(receiver, Disconnect())

"""What moves between a WebSocket and what it is connected to: small frozen records.

A socket's *input* (``WebSocket.receive(item)``) and its *output* (what it
hands to its peer end or to the network) are one of:

* :class:`Message` — a text (``str``) or binary (``bytes``) message;
* :class:`Close` — a Close frame; ``code`` ``None`` means an empty Close frame,
  which the other side reports as 1005;
* :class:`Disconnect` — the connection dropped without a Close frame (1006);
* :class:`Failure` — the connection failed (a protocol error, a message over
  the size limit): the socket gets an ``error`` event;
* :class:`Opened` — an outbound handshake completed (``open`` event).

A hibernatable socket of a Durable Object gives its owner :class:`Message`,
:class:`Closed` (the hook's ``code, reason, wasClean``) and :class:`Failure`
instead of dispatching events.

>>> Close(1000, "bye")
Close(code=1000, reason='bye')
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import JsError

__all__ = ["Close", "Closed", "Disconnect", "Failure", "Item", "Message", "Opened"]


@dataclass(frozen=True, slots=True)
class Message:
    data: str | bytes


@dataclass(frozen=True, slots=True)
class Close:
    code: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Disconnect:
    pass


@dataclass(frozen=True, slots=True)
class Failure:
    error: JsError

    @property
    def message(self) -> str:
        """The ``error`` event's message: ``Uncaught Error: …`` as workerd reports it."""
        return f"Uncaught {self.error.name}: {self.error}"


@dataclass(frozen=True, slots=True)
class Opened:
    pass


@dataclass(frozen=True, slots=True)
class Closed:
    """For a Durable Object's ``webSocketClose(ws, code, reason, wasClean)``."""

    code: int
    reason: str
    was_clean: bool


Item = Message | Close | Disconnect | Failure | Opened

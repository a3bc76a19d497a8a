"""The states of a WebSocket and the one table of what moves it between them.

workerd keeps each WebSocket in one of four native states (``NativeState``,
``spec/workers-websocket-semantics.md`` §1.2); a socket accepted with
``ctx.acceptWebSocket()`` is *Accepted* with hibernation switched on, which
this table treats as a state of its own because the rules differ:

=================  ==================================  ====================================
state              workerd's name                      the socket is…
=================  ==================================  ====================================
``CONNECTING``     AwaitingConnection                  ``new WebSocket(url)``, handshake running
``AWAITING``       AwaitingAcceptanceOrCoupling        a pair end or a ``fetch()`` socket, untouched
``ACCEPTED``       Accepted                            accepted: events flow to listeners
``HIBERNATABLE``   Accepted (hibernatable)             owned by a Durable Object: events go to its hooks
``RELEASED``       Released                            returned in a Response, failed, or finished
=================  ==================================  ====================================

:data:`TRANSITIONS` lists every move, :data:`REFUSALS` every move the runtime
refuses and the exact error it throws; anything in neither table cannot
happen. The flags (``closedOutgoing``, ``closedIncoming``, ``outgoingAborted``,
the first error) live on the socket and only decide ``readyState``.

>>> TRANSITIONS[SocketState.AWAITING][Input.ACCEPT]
<SocketState.ACCEPTED: 'Accepted'>
>>> REFUSALS[SocketState.RELEASED, Input.ACCEPT][1]
"Can't accept() WebSocket that was already used in a response."
"""

from __future__ import annotations

import enum

from . import texts
from .errors import JsError, JsTypeError

__all__ = ["REFUSALS", "TRANSITIONS", "Input", "SocketState"]


class SocketState(enum.Enum):
    """Where a socket is in its life; the values are workerd's own names."""

    CONNECTING = "AwaitingConnection"
    AWAITING = "AwaitingAcceptanceOrCoupling"
    ACCEPTED = "Accepted"
    HIBERNATABLE = "Accepted (hibernatable)"
    RELEASED = "Released"

    # Members are singletons compared by identity: hash them by identity too. (Enum's own
    # __hash__ is a Python call, hash(self._name_), paid at every lookup in the tables below.)
    __hash__ = object.__hash__


class Input(enum.Enum):
    """What can happen to a socket's state."""

    #: ``accept()`` called by the Worker.
    ACCEPT = "accept()"
    #: ``ctx.acceptWebSocket(ws)`` called by a Durable Object.
    ACCEPT_HIBERNATABLE = "ctx.acceptWebSocket()"
    #: The socket was returned in a ``101`` Response (the runtime takes it over).
    COUPLE = "returned in a Response"
    #: The outbound handshake of ``new WebSocket(url)`` completed.
    CONNECTED = "handshake completed"
    #: The outbound handshake failed.
    CONNECT_FAILED = "handshake failed"
    #: ``close()`` while the outbound handshake still runs (it is cancelled).
    CLOSE_WHILE_CONNECTING = "close() while connecting"
    #: Both directions are closed and everything queued went out.
    FINISHED = "both directions closed"

    __hash__ = object.__hash__  # as SocketState's


S, I = SocketState, Input

TRANSITIONS: dict[SocketState, dict[Input, SocketState]] = {
    S.CONNECTING: {
        I.CONNECTED: S.ACCEPTED,
        I.CONNECT_FAILED: S.RELEASED,
        I.CLOSE_WHILE_CONNECTING: S.RELEASED,
    },
    S.AWAITING: {
        I.ACCEPT: S.ACCEPTED,
        I.ACCEPT_HIBERNATABLE: S.HIBERNATABLE,
        I.COUPLE: S.RELEASED,
    },
    S.ACCEPTED: {
        I.ACCEPT: S.ACCEPTED,  # accepting twice is allowed and changes nothing
        I.FINISHED: S.RELEASED,
    },
    S.HIBERNATABLE: {},
    S.RELEASED: {
        I.CONNECT_FAILED: S.RELEASED,  # the handshake ends after close() released the socket
    },
}

REFUSALS: dict[tuple[SocketState, Input], tuple[type[JsError], str]] = {
    (S.CONNECTING, I.ACCEPT): (JsTypeError, texts.ACCEPT_NEW_WEBSOCKET),
    (S.HIBERNATABLE, I.ACCEPT): (JsTypeError, texts.ACCEPT_HIBERNATABLE),
    (S.RELEASED, I.ACCEPT): (JsTypeError, texts.ACCEPT_RELEASED),
    (S.CONNECTING, I.COUPLE): (JsTypeError, texts.RETURN_NEW_WEBSOCKET),
    (S.ACCEPTED, I.COUPLE): (JsTypeError, texts.RETURN_ACCEPTED),
    (S.HIBERNATABLE, I.COUPLE): (JsTypeError, texts.RETURN_HIBERNATABLE),
    (S.RELEASED, I.COUPLE): (JsTypeError, texts.RETURN_RELEASED),
    (S.CONNECTING, I.ACCEPT_HIBERNATABLE): (JsTypeError, texts.INCOMPATIBLE_STATE),
    (S.ACCEPTED, I.ACCEPT_HIBERNATABLE): (JsTypeError, texts.INCOMPATIBLE_STATE),
    (S.HIBERNATABLE, I.ACCEPT_HIBERNATABLE): (JsTypeError, texts.INCOMPATIBLE_STATE),
    (S.RELEASED, I.ACCEPT_HIBERNATABLE): (JsTypeError, texts.INCOMPATIBLE_STATE),
}

del S, I


def next_state(state: SocketState, event: Input) -> SocketState:
    """The state after ``event``; raises the runtime's error if it refuses the move."""
    target = TRANSITIONS[state].get(event)
    if target is not None:
        return target
    refusal = REFUSALS.get((state, event))
    if refusal is not None:
        error, text = refusal
        raise error(text)
    raise AssertionError(f"{event.value} cannot happen in state {state.value}")  # a wsguide bug

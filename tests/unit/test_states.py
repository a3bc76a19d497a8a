"""Spec §1.2: the one table of a WebSocket's states, walked entry by entry.

Every (state, input) pair is either a move (``TRANSITIONS``), a refusal with
the runtime's exact error (``REFUSALS``), or impossible — and each move and
refusal is checked on a real socket brought into that state.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from wsguide.core import texts
from wsguide.core.errors import JsError, JsTypeError
from wsguide.core.messages import Close
from wsguide.core.states import REFUSALS, TRANSITIONS, Input, SocketState, next_state
from wsguide.core.websocket import WebSocket

from ._helpers import FakeTransport, Owner, drain, ends

S, I = SocketState, Input


# --------------------------------------------------------------- the table itself
def test_every_state_has_a_row():
    assert set(TRANSITIONS) == set(SocketState)


def test_no_input_is_both_a_move_and_a_refusal():
    moves = {(state, event) for state, row in TRANSITIONS.items() for event in row}
    assert moves.isdisjoint(REFUSALS)


def test_released_is_final_except_for_a_late_handshake_failure():
    assert TRANSITIONS[S.RELEASED] == {I.CONNECT_FAILED: S.RELEASED}


def test_hibernatable_sockets_never_change_state():
    assert TRANSITIONS[S.HIBERNATABLE] == {}


def test_an_impossible_move_is_a_wsguide_bug_not_a_runtime_error():
    with pytest.raises(AssertionError, match="cannot happen"):
        next_state(S.AWAITING, I.CONNECTED)


# ------------------------------------------- bringing a real socket into each state
def in_state(state: SocketState, connects: list[WebSocket]) -> WebSocket:
    if state is S.CONNECTING:
        return WebSocket("ws://example.invalid/")
    this, _ = ends(0)
    if state is S.ACCEPTED:
        this.accept()
    elif state is S.HIBERNATABLE:
        this.accept_hibernatable(Owner())
    elif state is S.RELEASED:
        this.couple(FakeTransport())
    return this


def finish(ws: WebSocket) -> None:
    # both directions closed, nothing left to send: workerd releases the socket
    ws.peer.accept()  # so what this end sends can leave it
    ws.close(1000)
    ws.receive(Close(1000, ""))
    drain()


APPLY: dict[Input, Callable[[WebSocket], None]] = {
    I.ACCEPT: lambda ws: ws.accept(),
    I.ACCEPT_HIBERNATABLE: lambda ws: ws.accept_hibernatable(Owner()),
    I.COUPLE: lambda ws: ws.couple(FakeTransport()),
    I.CONNECTED: lambda ws: ws.connection_opened(FakeTransport(), None, None),
    I.CONNECT_FAILED: lambda ws: ws.connection_failed(JsError(texts.NETWORK_LOST)),
    I.CLOSE_WHILE_CONNECTING: lambda ws: ws.close(),
    I.FINISHED: finish,
}

MOVES = [(state, event, target) for state, row in TRANSITIONS.items() for event, target in row.items()]


@pytest.mark.parametrize(
    ("state", "event", "target"), MOVES, ids=[f"{s.name}-{e.name}" for s, e, _ in MOVES]
)
def test_each_move_of_the_table_happens_on_a_real_socket(state, event, target, connects):
    ws = in_state(state, connects)
    if state is S.RELEASED and event is I.CONNECT_FAILED:
        ws = WebSocket("ws://example.invalid/")
        ws.close()  # released while the handshake still runs
    assert ws.state is state
    APPLY[event](ws)
    assert ws.state is target


REFUSED = sorted(REFUSALS.items(), key=lambda kv: (kv[0][0].name, kv[0][1].name))


@pytest.mark.parametrize(
    ("key", "refusal"), REFUSED, ids=[f"{s.name}-{e.name}" for (s, e), _ in REFUSED]
)
def test_each_refusal_raises_the_runtimes_exact_error(key, refusal, connects):
    state, event = key
    error, text = refusal
    ws = in_state(state, connects)
    with pytest.raises(error) as info:
        APPLY[event](ws)
    assert (type(info.value), str(info.value)) == (error, text)
    assert ws.state is state  # a refused move changes nothing


def test_refusals_are_typeerrors_as_in_workerd():
    assert {error for error, _ in REFUSALS.values()} == {JsTypeError}


def test_a_socket_made_by_new_websocket_is_never_returnable_whatever_its_state(connects):
    ws = WebSocket("ws://example.invalid/")
    ws.connection_opened(FakeTransport(), None, None)
    with pytest.raises(JsTypeError) as info:
        ws.check_returnable()
    assert str(info.value) == texts.RETURN_NEW_WEBSOCKET


def test_states_and_inputs_are_keys_by_identity():
    # They key the tables, hashed by identity (Enum's own hash is a Python call per lookup).
    for member in [*SocketState, *Input]:
        assert {member: 1}[member] == 1 and hash(member) == object.__hash__(member)

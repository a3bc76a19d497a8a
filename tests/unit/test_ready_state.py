"""Spec §1.3: ``readyState`` computed from the flags, in workerd's order."""

from __future__ import annotations

import pytest

from wsguide.core.websocket import WebSocket
from wsguide.core.errors import JsError
from wsguide.core.messages import Disconnect, Failure

from ._helpers import FakeTransport, Recorder, accepted, drain, ends

MANUAL = ["web_socket_manual_reply_to_close"]


@pytest.mark.parametrize(
    "name, value",
    [("CONNECTING", 0), ("OPEN", 1), ("CLOSING", 2), ("CLOSED", 3)],
)
def test_ready_state_constants_exist_in_both_spellings(name, value):
    assert getattr(WebSocket, name) == getattr(WebSocket, "READY_STATE_" + name) == value


def test_ready_state_constants_are_visible_on_instances(end):
    this, _ = ends(end)
    assert (this.CONNECTING, this.OPEN, this.CLOSING, this.CLOSED) == (0, 1, 2, 3)


def test_unaccepted_pair_end_is_open(end):
    this, _ = ends(end)
    assert this.readyState == 1


def test_accepted_end_is_open(end):
    this, _ = accepted(end)
    assert this.readyState == 1


def test_ready_state_is_closing_after_own_close(end):
    this, _ = accepted(end)
    this.close(1000)
    assert this.readyState == 2


def test_ready_state_is_closing_after_close_received_in_half_open_mode(end):
    this, peer = ends(end)
    this.accept(allowHalfOpen=True)
    peer.accept()
    peer.close(1000)
    drain()
    assert this.readyState == 2


def test_ready_state_is_closed_when_both_directions_closed(end):
    this, peer = accepted(end, flags=MANUAL)
    peer.close(1000)
    drain()
    this.close(1000)
    assert this.readyState == 3


def test_ready_state_is_closed_on_the_end_that_closed_first_once_the_reply_arrives(end):
    this, peer = accepted(end)  # auto reply on (current date)
    this.close(1000)
    drain()
    assert this.readyState == 3


def test_ready_state_is_closed_after_an_error(end):
    this, _ = accepted(end)
    this.receive(Failure(JsError("boom")))
    assert this.readyState == 3


def test_ready_state_stays_open_after_peer_vanished(end):
    # Observed on workerd (docs/findings.md F2): the 1006 close event sees 1.
    this, _ = accepted(end)
    this.receive(Disconnect())
    assert this.readyState == 1


def test_close_after_peer_vanished_is_silent_and_makes_ready_state_closing(end):
    this, _ = accepted(end)
    this.receive(Disconnect())
    this.close(1000)
    assert this.readyState == 2


def test_ready_state_is_closing_while_close_waits_for_unaccepted_peer(end):
    this, _ = ends(end)
    this.accept()
    this.close(1000)
    drain()
    assert this.readyState == 2


def test_end_returned_in_a_response_stays_open(end):
    this, _ = ends(end)
    this.couple(FakeTransport())
    assert this.readyState == 1


def test_end_returned_in_a_response_stays_open_after_peer_closes(end):
    this, peer = ends(end)
    peer.accept()
    this.couple(FakeTransport())
    peer.close(1000)
    drain()
    assert this.readyState == 1


def test_connecting_new_websocket_is_connecting(connects):
    ws = WebSocket("ws://example.invalid/")
    assert ws.readyState == WebSocket.CONNECTING == 0


def test_close_while_connecting_reads_open_synchronously(connects):
    # Quirk: state → Released without flags, so readyState is 1 until the async failure.
    ws = WebSocket("ws://example.invalid/")
    ws.close()
    assert ws.readyState == 1


def test_ready_state_inside_own_close_listener_is_closed_with_auto_reply(end):
    this, peer = accepted(end)
    rec = Recorder(this)
    peer.close(1000)
    drain()
    assert rec.ready_states == [3]

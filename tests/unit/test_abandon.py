"""``WebSocket.abandon()``: a returned end that never reached a client leaves no ghost.

The runtime calls it when the handshake fails after the Worker's 101 (no
``Sec-WebSocket-Key``) or the client left before the 101: the end is released, and its
peer sees what a vanished client is — close 1006, not clean.
"""

from __future__ import annotations

import pytest

from wsguide.core import isolate
from wsguide.core.connections import Vanished
from wsguide.core.messages import Closed, Disconnect
from wsguide.core.states import SocketState

from ._helpers import Owner, Recorder, drain, ends

MSG_RELEASED = "Can't return WebSocket that was already used in a response."
GONE = (1006, "WebSocket disconnected without sending Close frame.", False)


def test_the_abandoned_end_is_released(end):
    this, _peer = ends(end)
    this.abandon()
    assert this.state is SocketState.RELEASED


def test_the_accepted_peer_sees_the_client_vanish(end):
    this, peer = ends(end)
    peer.accept()
    rec = Recorder(peer)
    this.abandon()
    assert rec.events == []  # on a later turn, never inside abandon()
    drain()
    assert rec.closes == [GONE]


def test_a_peer_accepted_later_still_sees_the_client_vanish(end):
    this, peer = ends(end)
    this.abandon()
    drain()
    peer.accept()
    rec = Recorder(peer)
    drain()
    assert rec.closes == [GONE]


def test_what_the_peer_sent_before_goes_nowhere_and_later_sends_are_silent(end):
    this, peer = ends(end)
    peer.accept()
    peer.send("into the void")
    this.abandon()
    drain()
    peer.send("after")  # the peer is gone: a silent no-op, as after any 1006
    assert peer.outgoing_aborted


def test_a_hibernatable_peer_gets_webSocketClose_1006(end):
    this, peer = ends(end)
    owner = Owner()
    peer.accept_hibernatable(owner)
    this.abandon()
    drain()
    assert owner.inputs == [(peer, Closed(*GONE))]


def test_an_end_that_cannot_be_returned_cannot_be_abandoned(end):
    this, _ = ends(end)
    this.abandon()
    with pytest.raises(TypeError) as info:
        this.abandon()
    assert str(info.value) == MSG_RELEASED


def test_the_vanished_network_delivers_exactly_one_disconnect():
    received = []
    Vanished(isolate.current()).start_reading(received.append)
    drain()
    assert received == [Disconnect()]

"""Spec §2.1: ``accept(options?)`` — checks in order, exact texts."""

from __future__ import annotations

import pytest

from wsguide.core.websocket import WebSocket
from wsguide.core.messages import Disconnect
from wsguide.core.states import SocketState

from ._helpers import FakeTransport, Owner, Recorder, accepted, drain, ends

MSG_NEW_WEBSOCKET = "Websockets obtained from the 'new WebSocket()' constructor cannot call accept"
MSG_RELEASED = "Can't accept() WebSocket that was already used in a response."
MSG_HIBERNATION = "Can't accept() WebSocket after enabling hibernation."


def test_accept_moves_awaiting_end_to_accepted(end):
    this, _ = ends(end)
    this.accept()
    assert this.state is SocketState.ACCEPTED


def test_accept_returns_none(end):
    this, _ = ends(end)
    assert this.accept() is None


def test_accept_does_not_require_the_peer_to_be_accepted(end):
    this, peer = ends(end)
    this.accept()
    assert peer.state is SocketState.AWAITING


def test_accept_keeps_ready_state_open(end):
    this, _ = ends(end)
    this.accept()
    assert this.readyState == 1


def test_accept_twice_is_a_silent_noop(end):
    this, _ = ends(end)
    this.accept()
    this.accept()
    assert this.state is SocketState.ACCEPTED


def test_second_accept_options_are_ignored(end):
    # First accept chose half-open; a second accept() asking otherwise changes nothing:
    # a received Close is then not answered automatically (readyState 2, not 3).
    this, peer = ends(end, "2026-11-01")
    this.accept(allowHalfOpen=True)
    this.accept(allowHalfOpen=False)
    peer.accept()
    rec = Recorder(this)
    peer.close(1000)
    drain()
    assert rec.ready_states == [2]


def test_accept_takes_allow_half_open_from_an_options_dict(end):
    this, peer = ends(end, "2026-11-01")
    this.accept({"allowHalfOpen": True})
    peer.accept()
    rec = Recorder(this)
    peer.close(1000)
    drain()
    assert rec.ready_states == [2]


def test_accept_on_released_end_raises_typeerror(end):
    this, _ = ends(end)
    this.couple(FakeTransport())
    with pytest.raises(TypeError) as info:
        this.accept()
    assert str(info.value) == MSG_RELEASED


def test_accept_after_hibernation_accept_raises_typeerror(end):
    this, _ = ends(end)
    this.accept_hibernatable(Owner())  # what ctx.acceptWebSocket(ws) does
    with pytest.raises(TypeError) as info:
        this.accept()
    assert str(info.value) == MSG_HIBERNATION


def test_accept_on_connecting_new_websocket_raises_typeerror(connects):
    ws = WebSocket("ws://example.invalid/")
    with pytest.raises(TypeError) as info:
        ws.accept()
    assert str(info.value) == MSG_NEW_WEBSOCKET


def test_accept_after_close_during_connect_raises_released_text(connects):
    # close() while connecting moves the socket to Released; accept() then reports that state.
    ws = WebSocket("ws://example.invalid/")
    ws.close()
    with pytest.raises(TypeError) as info:
        ws.accept()
    assert str(info.value) == MSG_RELEASED


def test_accept_on_connected_new_websocket_is_a_noop(connects):
    ws = WebSocket("ws://example.invalid/")
    ws.connection_opened(FakeTransport(), None, None)  # what a completed handshake does
    ws.accept()
    assert ws.state is SocketState.ACCEPTED


def test_listener_added_right_after_accept_gets_queued_messages(end):
    this, peer = ends(end)
    peer.accept()
    peer.send("early")
    this.accept()
    rec = Recorder(this)  # added after accept(): still in time, delivery is async
    drain()
    assert rec.messages == ["early"]


def test_accept_on_both_ends_lets_messages_flow_both_ways(end):
    this, peer = accepted(end)
    rec_this, rec_peer = Recorder(this), Recorder(peer)
    this.send("ping")
    peer.send("pong")
    drain()
    assert (rec_peer.messages, rec_this.messages) == (["ping"], ["pong"])


# ------------------------------------- released once both directions are closed (§1.2)
def test_socket_is_released_once_both_directions_are_closed(end):
    this, peer = accepted(end)
    peer.close(1000)
    drain()
    assert (this.state, peer.state) == (SocketState.RELEASED, SocketState.RELEASED)


def test_accept_after_both_directions_closed_raises_released_text(end):
    this, peer = accepted(end)
    this.close(1000)
    drain()
    with pytest.raises(TypeError) as info:
        this.accept()
    assert str(info.value) == MSG_RELEASED


def test_accept_inside_close_listener_is_still_a_noop(end):
    # The release happens when the outgoing pump finishes, after the listener.
    this, peer = accepted(end)
    results = []
    this.addEventListener("close", lambda event: results.append(this.accept()))
    peer.close(1000)
    drain()
    assert results == [None]


def test_half_open_socket_is_not_released_until_it_closes_too(end):
    this, peer = ends(end)
    this.accept(allowHalfOpen=True)
    peer.accept()
    peer.close(1000)
    drain()
    assert this.state is SocketState.ACCEPTED
    this.close(1000)
    drain()
    assert this.state is SocketState.RELEASED


def test_socket_is_released_after_peer_vanished(end):
    this, _ = accepted(end)
    this.receive(Disconnect())
    drain()
    assert this.state is SocketState.RELEASED


def test_released_after_close_ready_state_stays_closed(end):
    this, peer = accepted(end)
    peer.close(1000)
    drain()
    assert this.readyState == 3

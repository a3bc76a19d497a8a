"""Spec §4.3: returning an end in a Response — the TypeErrors, and the end becoming inert.

``WebSocket.check_returnable()`` holds the runtime's checks; ``_couple(transport)``
is what the runtime does once the Response is sent. A :class:`FakeTransport`
stands in for the network.
"""

from __future__ import annotations

import pytest

from wsguide.core.websocket import WebSocket
from wsguide.core.messages import Close, Message
from wsguide.core.states import SocketState

from ._helpers import FakeTransport, Owner, Recorder, drain, ends

MSG_NEW_WEBSOCKET = "Can't return WebSocket in a Response if it was created with `new WebSocket()`"
MSG_RELEASED = "Can't return WebSocket that was already used in a response."
MSG_ACCEPTED = "Can't return WebSocket in a Response after calling accept()."
MSG_HIBERNATABLE = "Can't return WebSocket in a Response after calling acceptWebSocket()."
MSG_ACCEPT_RELEASED = "Can't accept() WebSocket that was already used in a response."


def coupled(end: int) -> tuple[WebSocket, WebSocket, FakeTransport]:
    """(returned end, its peer, the transport it was coupled to)."""
    this, peer = ends(end)
    transport = FakeTransport()
    this.couple(transport)
    return this, peer, transport


# ------------------------------------------------------------------ the checks
def test_fresh_end_is_returnable(end):
    this, _ = ends(end)
    assert this.check_returnable() is None


def test_end_whose_peer_is_accepted_is_returnable(end):
    this, peer = ends(end)
    peer.accept()
    assert this.check_returnable() is None


def test_returning_an_accepted_end_raises_typeerror(end):
    this, _ = ends(end)
    this.accept()
    with pytest.raises(TypeError) as info:
        this.check_returnable()
    assert str(info.value) == MSG_ACCEPTED


def test_returning_a_hibernatable_end_raises_typeerror(end):
    this, _ = ends(end)
    this.accept_hibernatable(Owner())  # what ctx.acceptWebSocket(ws) does
    with pytest.raises(TypeError) as info:
        this.check_returnable()
    assert str(info.value) == MSG_HIBERNATABLE


def test_returning_an_end_twice_raises_typeerror(end):
    this, _, _ = coupled(end)
    with pytest.raises(TypeError) as info:
        this.check_returnable()
    assert str(info.value) == MSG_RELEASED


def test_returning_a_new_websocket_raises_typeerror(connects):
    ws = WebSocket("ws://example.invalid/")
    with pytest.raises(TypeError) as info:
        ws.check_returnable()
    assert str(info.value) == MSG_NEW_WEBSOCKET


def test_couple_raises_the_same_typeerror_for_an_accepted_end(end):
    this, _ = ends(end)
    this.accept()
    with pytest.raises(TypeError) as info:
        this.couple(FakeTransport())
    assert str(info.value) == MSG_ACCEPTED


def test_failed_couple_leaves_the_end_accepted(end):
    this, _ = ends(end)
    this.accept()
    with pytest.raises(TypeError):
        this.couple(FakeTransport())
    assert this.state is SocketState.ACCEPTED


def test_couple_twice_raises_already_used(end):
    this, _, _ = coupled(end)
    with pytest.raises(TypeError) as info:
        this.couple(FakeTransport())
    assert str(info.value) == MSG_RELEASED


# ---------------------------------------------------------- the end becomes inert
def test_coupled_end_is_released(end):
    this, _, _ = coupled(end)
    assert this.state is SocketState.RELEASED


def test_coupled_end_ready_state_stays_open(end):
    this, _, _ = coupled(end)
    assert this.readyState == 1


def test_coupled_end_send_is_silently_ignored(end):
    this, _, transport = coupled(end)
    this.send("ignored")
    assert transport.sent == []


def test_coupled_end_close_is_silently_ignored(end):
    this, _, transport = coupled(end)
    this.close(1000, "ignored")
    assert (transport.sent, this.readyState) == ([], 1)


def test_coupled_end_accept_raises_already_used_in_a_response(end):
    this, _, _ = coupled(end)
    with pytest.raises(TypeError) as info:
        this.accept()
    assert str(info.value) == MSG_ACCEPT_RELEASED


def test_coupled_end_listeners_never_fire(end):
    this, peer, transport = coupled(end)
    rec = Recorder(this)
    peer.accept()
    peer.send("to the network")
    peer.close(1000)
    drain()
    assert rec.events == []


def test_coupled_end_ignores_incoming_items(end):
    this, _, _ = coupled(end)
    rec = Recorder(this)
    this.receive(Message("x"))
    this.receive(Close(1000, ""))
    assert (rec.events, this.readyState) == ([], 1)


# --------------------------------------------------- the peer now talks to the network
def test_peer_sends_go_to_the_transport_in_order(end):
    this, peer, transport = coupled(end)
    peer.accept()
    peer.send("a")
    peer.send(b"b")
    peer.close(1000, "bye")
    assert transport.sent == [Message("a"), Message(b"b"), Close(1000, "bye")]


def test_messages_buffered_before_coupling_flush_to_the_transport(end):
    this, peer = ends(end)
    peer.accept()
    peer.send("early")
    transport = FakeTransport()
    this.couple(transport)
    assert transport.sent == [Message("early")]


def test_transport_starts_reading_when_peer_was_already_accepted(end):
    this, peer = ends(end)
    peer.accept()
    transport = FakeTransport()
    this.couple(transport)
    assert len(transport.receivers) == 1


def test_transport_waits_to_read_until_peer_is_accepted(end):
    this, peer, transport = coupled(end)
    assert transport.receivers == []
    peer.accept()
    assert len(transport.receivers) == 1


def test_items_from_the_transport_reach_the_peer(end):
    this, peer, transport = coupled(end)
    peer.accept()
    rec = Recorder(peer)
    receive = transport.receivers[0]
    receive(Message("from client"))
    receive(Close(1001, "leaving"))
    assert rec.events == [("message", "from client"), ("close", 1001, "leaving", True)]


def test_peer_auto_reply_goes_to_the_transport(end):
    this, peer, transport = coupled(end)
    peer.accept()
    transport.receivers[0](Close(1000, "bye"))
    assert transport.sent == [Close(1000, "bye")]


def test_no_upgrade_header_text_matches_the_runtime():
    # The check itself needs a request from the network (runtime.py, tests/network);
    # here only the text the runtime uses is pinned against the spec.
    from wsguide.core.texts import RETURN_NO_UPGRADE as MSG_RETURN_NO_UPGRADE

    assert MSG_RETURN_NO_UPGRADE == (
        "Worker tried to return a WebSocket in a response to a request which did not contain "
        'the header "Upgrade: websocket".'
    )

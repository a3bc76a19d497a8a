"""Spec §1.1: ``WebSocketPair`` — two symmetric ends, both OPEN, no network."""

from __future__ import annotations

import pytest

from wsguide.core.jsapi import JS_NULL
from wsguide.core.pair import WebSocketPair
from wsguide.core.websocket import WebSocket
from wsguide.core.states import SocketState

from ._helpers import Recorder, accepted, drain, ends, make_pair


def test_pair_has_two_distinct_websockets():
    a, b = WebSocketPair()
    assert isinstance(a, WebSocket) and isinstance(b, WebSocket)
    assert a is not b


def test_pair_indexes_0_and_1():
    pair = WebSocketPair()
    assert list(pair) == [pair[0], pair[1]]


def test_pair_accepts_string_keys_like_a_js_object():
    pair = WebSocketPair()
    assert pair["0"] is pair[0] and pair["1"] is pair[1]


def test_pair_unpacks_by_iteration():
    pair = WebSocketPair()
    client, server = pair
    assert (client, server) == (pair[0], pair[1])


def test_object_values_returns_both_ends_in_key_order():
    pair = WebSocketPair()
    assert tuple(pair.object_values()) == (pair[0], pair[1])


def test_new_classmethod_makes_a_fresh_pair():
    pair = WebSocketPair.new()
    assert isinstance(pair, WebSocketPair)
    assert pair[0] is not WebSocketPair.new()[0]


def test_pair_has_length_two():
    assert len(WebSocketPair()) == 2


@pytest.mark.parametrize("index", [2, -1, "2"])
def test_pair_index_outside_0_and_1_raises_indexerror(index):
    with pytest.raises(IndexError):
        WebSocketPair()[index]


def test_fresh_end_is_open(end):
    this, _ = ends(end)
    assert this.readyState == WebSocket.OPEN == 1


def test_fresh_end_url_is_none(end):
    this, _ = ends(end)
    assert this.url is JS_NULL


def test_fresh_end_protocol_is_empty_string(end):
    this, _ = ends(end)
    assert this.protocol == ""


def test_fresh_end_extensions_is_empty_string(end):
    this, _ = ends(end)
    assert this.extensions == ""


def test_fresh_end_awaits_acceptance_or_coupling(end):
    this, _ = ends(end)
    assert this.state is SocketState.AWAITING


def test_fresh_end_binary_type_follows_compat(end):
    this, _ = ends(end, "2026-11-01")
    assert this.binaryType == "blob"


def test_ends_are_symmetric_messages_flow_from_either_end(end):
    this, peer = accepted(end)
    rec = Recorder(peer)
    this.send("hi")
    drain()
    assert rec.messages == ["hi"]


def test_message_is_never_delivered_to_the_sender(end):
    this, _ = accepted(end)
    rec = Recorder(this)
    this.send("hi")
    drain()
    assert rec.events == []


def test_two_pairs_are_independent():
    a1, b1 = make_pair()
    a2, b2 = make_pair()
    for ws in (a1, b1, a2, b2):
        ws.accept()
    rec1, rec2 = Recorder(b1), Recorder(b2)
    a1.send("one")
    drain()
    assert (rec1.messages, rec2.messages) == (["one"], [])

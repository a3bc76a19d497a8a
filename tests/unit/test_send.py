"""Spec §2.2: ``send(message)`` — checks in order, exact texts, what arrives."""

from __future__ import annotations

import pytest

from wsguide.core.websocket import WebSocket
from wsguide.core.errors import JsError
from wsguide.core.messages import Disconnect, Failure

from ._helpers import FakeTransport, Recorder, accepted, drain, ends

MSG_BEFORE_ACCEPT = (
    "You must call one of accept() or state.acceptWebSocket() on this WebSocket before "
    "sending messages."
)
MSG_AFTER_CLOSE = "Can't call WebSocket send() after close()."


def test_send_before_accept_raises_typeerror(end):
    this, peer = ends(end)
    peer.accept()
    with pytest.raises(TypeError) as info:
        this.send("hi")
    assert str(info.value) == MSG_BEFORE_ACCEPT


def test_send_before_accept_raises_even_when_neither_end_is_accepted(end):
    this, _ = ends(end)
    with pytest.raises(TypeError) as info:
        this.send(b"hi")
    assert str(info.value) == MSG_BEFORE_ACCEPT


def test_send_on_connecting_new_websocket_raises_typeerror(connects):
    ws = WebSocket("ws://example.invalid/")
    with pytest.raises(TypeError) as info:
        ws.send("hi")
    assert str(info.value) == MSG_BEFORE_ACCEPT


def test_send_after_close_raises_typeerror(end):
    this, _ = accepted(end)
    this.close(1000)
    with pytest.raises(TypeError) as info:
        this.send("late")
    assert str(info.value) == MSG_AFTER_CLOSE


def test_send_after_close_without_code_raises_typeerror(end):
    this, _ = accepted(end)
    this.close()
    with pytest.raises(TypeError) as info:
        this.send("late")
    assert str(info.value) == MSG_AFTER_CLOSE


def test_send_after_close_raises_even_after_an_error(end):
    # closedOutgoing is checked before outgoingAborted.
    this, _ = accepted(end)
    this.close(1000)
    this.receive(Failure(JsError("boom")))
    with pytest.raises(TypeError) as info:
        this.send("late")
    assert str(info.value) == MSG_AFTER_CLOSE


def test_send_returns_none(end):
    this, _ = accepted(end)
    assert this.send("hi") is None


def test_send_text_arrives_as_str(end):
    this, peer = accepted(end)
    rec = Recorder(peer)
    this.send("héllo")
    drain()
    assert rec.messages == ["héllo"]


def test_send_bytes_arrives_as_bytes_under_arraybuffer(end):
    this, peer = accepted(end)
    peer.binaryType = "arraybuffer"
    rec = Recorder(peer)
    this.send(b"\x00\x01\xff")
    drain()
    assert rec.messages == [b"\x00\x01\xff"]


def test_send_empty_string_arrives_as_empty_text(end):
    this, peer = accepted(end)
    rec = Recorder(peer)
    this.send("")
    drain()
    assert rec.messages == [""]


def test_send_copies_a_bytearray_at_call_time(end):
    this, peer = accepted(end)
    peer.binaryType = "arraybuffer"
    rec = Recorder(peer)
    buf = bytearray(b"abc")
    this.send(buf)
    buf[:] = b"xyz"
    drain()
    assert rec.messages == [b"abc"]


def test_send_copies_a_memoryview_at_call_time(end):
    this, peer = accepted(end)
    peer.binaryType = "arraybuffer"
    rec = Recorder(peer)
    buf = bytearray(b"abcd")
    this.send(memoryview(buf)[1:3])
    buf[:] = b"wxyz"
    drain()
    assert rec.messages == [b"bc"]


@pytest.mark.parametrize(
    "value, text",
    [(42, "42"), (2.0, "2"), (1.5, "1.5"), (True, "true"), (False, "false"), (None, "undefined")],
)
def test_send_coerces_other_values_to_string_as_javascript_does(end, worker_log, value, text):
    this, peer = accepted(end)
    rec = Recorder(peer)
    this.send(value)
    drain()
    assert rec.messages == [text]


def test_send_of_a_coerced_value_warns_in_the_worker_log(end, worker_log):
    this, _ = accepted(end)
    this.send(42)
    assert len(worker_log.texts("warn")) == 1


def test_send_of_text_or_bytes_does_not_warn(end, worker_log):
    this, _ = accepted(end)
    this.send("text")
    this.send(b"bytes")
    assert worker_log.texts("warn") == []


def test_send_preserves_fifo_order(end):
    this, peer = accepted(end)
    rec = Recorder(peer)
    for i in range(100):
        this.send(f"m{i}")
    drain()
    assert rec.messages == [f"m{i}" for i in range(100)]


def test_send_is_allowed_after_receiving_a_close_frame(end):
    # Only our own close() forbids send(); a received Close does not (half-open here).
    this, peer = ends(end)
    this.accept(allowHalfOpen=True)
    peer.accept()
    rec = Recorder(peer)
    peer.close(1000)
    drain()
    this.send("still talking")
    drain()
    assert rec.messages == ["still talking"]


def test_send_after_peer_disconnect_is_silently_ignored(end):
    this, _ = accepted(end)
    this.receive(Disconnect())
    assert this.send("into the void") is None


def test_send_after_error_is_silently_ignored(end):
    this, peer = accepted(end)
    rec = Recorder(peer)
    this.receive(Failure(JsError("boom")))
    this.send("after error")
    drain()
    assert rec.messages == []


def test_send_on_end_returned_in_a_response_is_silently_ignored(end):
    this, peer = ends(end)
    transport = FakeTransport()
    this.couple(transport)
    this.send("ignored")
    assert transport.sent == []


def test_send_on_released_connecting_socket_is_silently_ignored(connects):
    ws = WebSocket("ws://example.invalid/")
    ws.close()  # close() during connect releases the socket
    assert ws.send("ignored") is None

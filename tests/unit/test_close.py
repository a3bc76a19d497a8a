"""Spec §2.3: ``close(code?, reason?)`` — validation first, then state; what the peer sees."""

from __future__ import annotations

import asyncio
import builtins

import pytest

from wsguide.core.errors import DOMException, InvalidAccessError
from wsguide.core.websocket import WebSocket
from wsguide.core.errors import JsError
from wsguide.core.messages import Close, Disconnect, Failure
from wsguide.core.errors import DOMSyntaxError
from wsguide.core.states import SocketState

from ._helpers import FakeTransport, Recorder, accepted, drain, ends

MSG_BEFORE_ACCEPT = (
    "You must call one of accept() or state.acceptWebSocket() on this WebSocket before "
    "sending messages."
)
MSG_REASON_TOO_LONG = "WebSocket close reason must not be longer than 123 bytes when UTF-8 encoded."
MSG_REASON_WITHOUT_CODE = "If you specify a WebSocket close reason, you must also specify a code."


def invalid_code_text(code: int) -> str:
    return f"Invalid WebSocket close code: {code}."


VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1011, 1014, 1016, 2999, 3000, 4000, 4999]
INVALID_CODES = [-1, 0, 999, 1004, 1005, 1006, 1015, 5000, 65535]


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_close_code_reaches_the_peer(end, code):
    this, peer = accepted(end)
    rec = Recorder(peer)
    this.close(code)
    drain()
    assert rec.closes == [(code, "", True)]


@pytest.mark.parametrize("code", INVALID_CODES)
def test_invalid_close_code_raises_invalid_access_error(end, code):
    this, _ = accepted(end)
    with pytest.raises(InvalidAccessError) as info:
        this.close(code)
    assert str(info.value) == invalid_code_text(code)


def test_invalid_close_code_error_is_a_domexception_named_invalid_access_error(end):
    this, _ = accepted(end)
    with pytest.raises(DOMException) as info:
        this.close(1005)
    assert info.value.name == "InvalidAccessError"
    assert not isinstance(info.value, TypeError)


def test_invalid_close_code_leaves_the_socket_open(end):
    this, _ = accepted(end)
    with pytest.raises(InvalidAccessError):
        this.close(999)
    assert this.readyState == 1


def test_invalid_close_code_is_checked_before_accept_state(end):
    this, _ = ends(end)  # not accepted: the state check would raise TypeError
    with pytest.raises(InvalidAccessError) as info:
        this.close(1006)
    assert str(info.value) == invalid_code_text(1006)


def test_invalid_close_code_is_checked_even_after_close(end):
    this, _ = accepted(end)
    this.close(1000)
    with pytest.raises(InvalidAccessError) as info:
        this.close(1004)
    assert str(info.value) == invalid_code_text(1004)


def test_invalid_close_code_is_checked_on_a_released_end(end):
    this, _ = ends(end)
    this.couple(FakeTransport())
    with pytest.raises(InvalidAccessError) as info:
        this.close(5000)
    assert str(info.value) == invalid_code_text(5000)


def test_reason_of_123_bytes_is_accepted(end):
    this, peer = accepted(end)
    rec = Recorder(peer)
    reason = "é" * 61 + "x"  # 123 bytes
    this.close(1000, reason)
    drain()
    assert rec.closes == [(1000, reason, True)]


def test_reason_of_124_bytes_raises_syntax_error(end):
    this, _ = accepted(end)
    with pytest.raises(DOMSyntaxError) as info:
        this.close(1000, "é" * 62)  # 62 characters, 124 bytes
    assert str(info.value) == MSG_REASON_TOO_LONG
    assert info.value.name == "SyntaxError"


def test_reason_too_long_error_is_a_domexception_not_the_builtin(end):
    this, _ = accepted(end)
    with pytest.raises(DOMException) as info:
        this.close(1000, "x" * 124)
    assert not isinstance(info.value, builtins.SyntaxError)


def test_reason_limit_counts_utf8_bytes_not_characters(end):
    this, _ = accepted(end)
    with pytest.raises(DOMSyntaxError):
        this.close(1000, "€" * 42)  # 42 characters, 126 bytes


def test_reason_without_code_raises_invalid_access_error(end):
    this, _ = accepted(end)
    with pytest.raises(InvalidAccessError) as info:
        this.close(reason="bye")
    assert str(info.value) == MSG_REASON_WITHOUT_CODE
    assert info.value.name == "InvalidAccessError"


def test_reason_without_code_is_checked_before_accept_state(end):
    this, _ = ends(end)
    with pytest.raises(InvalidAccessError) as info:
        this.close(None, "bye")
    assert str(info.value) == MSG_REASON_WITHOUT_CODE


def test_invalid_code_is_reported_before_a_too_long_reason(end):
    this, _ = accepted(end)
    with pytest.raises(InvalidAccessError) as info:
        this.close(999, "x" * 200)
    assert str(info.value) == invalid_code_text(999)


def test_too_long_reason_is_reported_before_a_missing_code(end):
    this, _ = accepted(end)
    with pytest.raises(DOMSyntaxError) as info:
        this.close(None, "x" * 200)
    assert str(info.value) == MSG_REASON_TOO_LONG


def test_close_before_accept_raises_typeerror(end):
    this, peer = ends(end)
    peer.accept()
    with pytest.raises(TypeError) as info:
        this.close(1000)
    assert str(info.value) == MSG_BEFORE_ACCEPT


def test_close_without_code_before_accept_raises_typeerror(end):
    this, _ = ends(end)
    with pytest.raises(TypeError) as info:
        this.close()
    assert str(info.value) == MSG_BEFORE_ACCEPT


def test_close_without_code_is_seen_by_peer_as_1005_with_empty_reason(end):
    this, peer = accepted(end)
    rec = Recorder(peer)
    this.close()
    drain()
    assert rec.closes == [(1005, "", True)]


def test_close_code_and_reason_reach_the_peer_with_was_clean_true(end):
    this, peer = accepted(end)
    rec = Recorder(peer)
    this.close(4001, "room closed")
    drain()
    assert rec.closes == [(4001, "room closed", True)]


def test_close_returns_none(end):
    this, _ = accepted(end)
    assert this.close(1000) is None


def test_close_moves_ready_state_to_closing(end):
    this, _ = accepted(end)
    this.close(1000)
    assert this.readyState == WebSocket.CLOSING


def test_close_twice_is_a_silent_noop(end):
    this, peer = accepted(end, flags=["web_socket_manual_reply_to_close"])
    rec = Recorder(peer)
    this.close(1000, "first")
    this.close(1001, "second")
    drain()
    assert rec.closes == [(1000, "first", True)]


def test_close_after_error_is_a_silent_noop(end):
    this, peer = accepted(end)
    rec = Recorder(peer)
    this.receive(Failure(JsError("boom")))
    this.close(1000)
    drain()
    assert rec.closes == []


def test_close_after_peer_disconnect_is_a_silent_noop(end):
    this, _ = accepted(end)
    this.receive(Disconnect())
    assert this.close(1000) is None


def test_close_on_released_end_is_a_silent_noop(end):
    this, _ = ends(end)
    transport = FakeTransport()
    this.couple(transport)
    this.close(1000, "bye")
    assert transport.sent == []


def test_close_is_queued_after_pending_sends(end):
    this, peer = accepted(end)
    rec = Recorder(peer)
    this.send("a")
    this.send("b")
    this.close(1000, "done")
    drain()
    # The trailing error is workerd's, observed (docs/findings.md F1).
    assert rec.events == [("message", "a"), ("message", "b"), ("close", 1000, "done", True), ("error", "Uncaught Error: Network connection lost.")]


def test_close_reason_lone_surrogate_becomes_replacement_character(end):
    this, peer = accepted(end)
    rec = Recorder(peer)
    this.close(1000, "a\ud800b")
    drain()
    assert rec.closes == [(1000, "a\ufffdb", True)]


def test_close_with_code_and_no_reason_gives_empty_reason(end):
    this, peer = accepted(end)
    rec = Recorder(peer)
    this.close(1001)
    drain()
    assert rec.closes == [(1001, "", True)]


def test_close_while_connecting_does_not_raise_and_releases(connects):
    ws = WebSocket("ws://example.invalid/")
    ws.close(1000)
    assert ws.state is SocketState.RELEASED


def test_close_while_connecting_cancels_the_handshake(connects):
    ws = WebSocket("ws://example.invalid/")
    cancelled = []
    ws._cancel_connect = lambda: cancelled.append(True)
    ws.close()
    assert cancelled == [True]


def test_invalid_code_while_connecting_still_raises(connects):
    ws = WebSocket("ws://example.invalid/")
    with pytest.raises(InvalidAccessError) as info:
        ws.close(1015)
    assert str(info.value) == invalid_code_text(1015)


# --------------------------------------------- close events that are not from close()
DISCONNECT_REASON = "WebSocket disconnected without sending Close frame."


def test_peer_vanishing_gives_close_1006_not_clean(end):
    this, _ = accepted(end)
    rec = Recorder(this)
    this.receive(Disconnect())  # what the network leg reports
    assert rec.closes == [(1006, DISCONNECT_REASON, False)]


def test_peer_vanishing_after_a_close_frame_gives_no_second_close_event(end):
    this, peer = accepted(end)
    rec = Recorder(this)
    peer.close(1000)
    drain()
    this.receive(Disconnect())
    assert rec.closes == [(1000, "", True)]


def test_close_frame_is_the_last_event(end):
    this, peer = ends(end)
    this.accept(allowHalfOpen=True)
    peer.accept()
    rec = Recorder(this)
    peer.close(1000)
    drain()
    this.receive(Close(1001, "again"))
    this.receive(Disconnect())
    assert rec.events == [("close", 1000, "", True)]


def test_reason_length_is_counted_after_surrogate_replacement(end):
    # 42 lone surrogates become 42 × U+FFFD = 126 bytes: too long (not a UnicodeEncodeError).
    this, _ = accepted(end)
    with pytest.raises(DOMSyntaxError) as info:
        this.close(1000, "\ud800" * 42)
    assert str(info.value) == MSG_REASON_TOO_LONG


# ------------------------------- close() before a WebSocket(url) connects (§1.3, §3.6)
# The real connector runs the handshake in a task; close() cancels that task before
# its first step, so nothing touches the network (and .invalid never resolves anyway).
async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


@pytest.fixture
def handshake_forbidden(monkeypatch):
    """Fail the test if the handshake ever starts (it must be cancelled first)."""
    import wsguide.net.client

    def forbidden(*args, **kwargs):
        pytest.fail("the handshake started: close() should have cancelled it")

    monkeypatch.setattr(wsguide.net.client, "_ws_connect", forbidden)


async def test_close_before_open_gives_error_then_close_1006(handshake_forbidden):
    ws = WebSocket("ws://example.invalid/")
    rec = Recorder(ws)
    ws.close()
    await settle()
    assert [e[0] for e in rec.events] == ["error", "close"]
    assert rec.closes == [(1006, "Failed to establish websocket connection", False)]


async def test_close_before_open_events_are_not_synchronous(handshake_forbidden):
    ws = WebSocket("ws://example.invalid/")
    rec = Recorder(ws)
    ws.close()
    assert rec.events == []
    await settle()


async def test_close_before_open_ends_closed(handshake_forbidden):
    ws = WebSocket("ws://example.invalid/")
    ws.close()
    assert ws.readyState == 1  # the quirk: Released, no flags yet
    await settle()
    assert ws.readyState == 3


async def test_close_before_open_never_fires_open(handshake_forbidden):
    ws = WebSocket("ws://example.invalid/")
    rec = Recorder(ws)
    ws.close()
    await settle()
    assert ("open",) not in rec.events

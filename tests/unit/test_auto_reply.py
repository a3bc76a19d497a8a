"""Spec §3.3: automatic reply to a received Close frame, ``allowHalfOpen``, manual mode."""

from __future__ import annotations

import pytest

from wsguide.core.messages import Message

from ._helpers import Recorder, accepted, drain, ends

MSG_AFTER_CLOSE = "Can't call WebSocket send() after close()."
MANUAL = ["web_socket_manual_reply_to_close"]


def test_ready_state_is_closed_inside_close_handler(end):
    this, peer = accepted(end, "2026-11-01")
    rec = Recorder(this)
    peer.close(1000, "bye")
    drain()
    assert rec.ready_states == [3]


def test_auto_reply_echoes_code_and_reason_to_the_peer(end):
    this, peer = accepted(end, "2026-11-01")
    rec = Recorder(peer)
    peer.close(4001, "going away")
    drain()
    assert rec.closes == [(4001, "going away", True)]


def test_auto_reply_to_an_empty_close_is_seen_as_1005(end):
    this, peer = accepted(end, "2026-11-01")
    rec = Recorder(peer)
    peer.close()
    drain()
    assert rec.closes == [(1005, "", True)]


def test_close_handler_sees_the_received_code_and_reason(end):
    this, peer = accepted(end, "2026-11-01")
    rec = Recorder(this)
    peer.close(4002, "why")
    drain()
    assert rec.closes == [(4002, "why", True)]


def test_send_in_close_handler_raises_after_close_typeerror(end):
    this, peer = accepted(end, "2026-11-01")
    raised = []

    def on_close(event):
        with pytest.raises(TypeError) as info:
            this.send("too late")
        raised.append(str(info.value))

    this.addEventListener("close", on_close)
    peer.close(1000)
    drain()
    assert raised == [MSG_AFTER_CLOSE]


def test_close_in_close_handler_is_a_silent_noop(end):
    this, peer = accepted(end, "2026-11-01")
    rec = Recorder(peer)
    this.addEventListener("close", lambda event: this.close(event.code, event.reason))
    peer.close(1000, "bye")
    drain()
    assert rec.closes == [(1000, "bye", True)]


def test_peer_ready_state_is_closed_after_the_reply(end):
    this, peer = accepted(end, "2026-11-01")
    peer.close(1000)
    drain()
    assert (peer.readyState, this.readyState) == (3, 3)


def test_allow_half_open_keeps_ready_state_closing_in_handler(end):
    this, peer = ends(end, "2026-11-01")
    this.accept(allowHalfOpen=True)
    peer.accept()
    rec = Recorder(this)
    peer.close(1000)
    drain()
    assert rec.ready_states == [2]


def test_allow_half_open_sends_no_reply(end):
    this, peer = ends(end, "2026-11-01")
    this.accept(allowHalfOpen=True)
    peer.accept()
    rec = Recorder(peer)
    peer.close(1000)
    drain()
    assert (rec.closes, peer.readyState) == ([], 2)


def test_allow_half_open_reply_comes_from_own_close(end):
    this, peer = ends(end, "2026-11-01")
    this.accept(allowHalfOpen=True)
    peer.accept()
    rec = Recorder(peer)
    this.addEventListener("close", lambda event: this.close(4000, "my reply"))
    peer.close(1000)
    drain()
    assert rec.closes == [(4000, "my reply", True)]


def test_allow_half_open_permits_send_in_close_handler(end):
    this, peer = ends(end, "2026-11-01")
    this.accept(allowHalfOpen=True)
    peer.accept()
    rec = Recorder(peer)
    this.addEventListener("close", lambda event: this.send("last words"))
    peer.close(1000)
    drain()
    assert rec.messages == ["last words"]


def test_manual_flag_keeps_ready_state_closing_in_handler(end):
    this, peer = accepted(end, "2026-11-01", MANUAL)
    rec = Recorder(this)
    peer.close(1000)
    drain()
    assert rec.ready_states == [2]


def test_manual_flag_sends_no_reply(end):
    this, peer = accepted(end, "2026-11-01", MANUAL)
    rec = Recorder(peer)
    peer.close(1000)
    drain()
    assert rec.closes == []


def test_manual_flag_with_allow_half_open_false_still_sends_no_reply(end):
    this, peer = ends(end, "2026-11-01", MANUAL)
    this.accept(allowHalfOpen=False)
    peer.accept()
    rec = Recorder(peer)
    peer.close(1000)
    drain()
    assert rec.closes == []


@pytest.mark.parametrize("date, replies", [("2026-04-06", False), ("2026-04-07", True)])
def test_auto_reply_starts_on_2026_04_07(end, date, replies):
    this, peer = accepted(end, date)
    rec = Recorder(peer)
    peer.close(1000)
    drain()
    assert bool(rec.closes) is replies


def test_enable_flag_turns_auto_reply_on_for_an_old_date(end):
    this, peer = accepted(end, "2025-01-01", ["web_socket_auto_reply_to_close"])
    rec = Recorder(peer)
    peer.close(1000)
    drain()
    assert rec.closes == [(1000, "", True)]


def test_manual_mode_close_in_handler_completes_the_handshake(end):
    this, peer = accepted(end, "2026-03-01")
    rec = Recorder(peer)
    this.addEventListener("close", lambda event: this.close(event.code, event.reason))
    peer.close(1001, "old idiom")
    drain()
    assert (rec.closes, this.readyState, peer.readyState) == ([(1001, "old idiom", True)], 3, 3)


def test_no_auto_reply_when_we_already_sent_close(end):
    # Both ends close at once: each gets exactly the other's Close, no extra reply.
    this, peer = accepted(end, "2026-11-01")
    rec_this, rec_peer = Recorder(this), Recorder(peer)
    this.close(4000, "from this")
    peer.close(4001, "from peer")
    drain()
    assert (rec_this.closes, rec_peer.closes) == (
        [(4001, "from peer", True)],
        [(4000, "from this", True)],
    )


def test_messages_after_a_received_close_are_not_delivered(end):
    # The close event is the last event from the read loop.
    this, peer = ends(end, "2026-11-01")
    this.accept(allowHalfOpen=True)
    peer.accept()
    rec = Recorder(this)
    peer.close(1000)
    drain()
    this.receive(Message("stray"))  # a frame after the Close (network leg)
    drain()
    assert rec.events == [("close", 1000, "", True)]

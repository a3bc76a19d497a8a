"""Spec §3.6: ordering and buffering between pair ends — wait, in order, never synchronous."""

from __future__ import annotations

import asyncio


from ._helpers import Recorder, accepted, drain, ends, run_pending


def test_messages_to_unaccepted_peer_are_not_delivered(end):
    this, peer = ends(end)
    this.accept()
    rec = Recorder(peer)
    this.send("a")
    drain()
    assert rec.events == []


def test_messages_to_unaccepted_peer_arrive_in_order_after_accept(end):
    this, peer = ends(end)
    this.accept()
    rec = Recorder(peer)
    for m in ("a", "b", "c"):
        this.send(m)
    drain()
    peer.accept()
    drain()
    assert rec.messages == ["a", "b", "c"]


def test_buffered_messages_are_not_delivered_inside_accept(end):
    this, peer = ends(end)
    this.accept()
    rec = Recorder(peer)  # listener added before accept(): Miniflare would flush here
    this.send("a")
    peer.accept()
    assert rec.events == []


def test_send_is_never_delivered_synchronously(end):
    this, peer = accepted(end)
    rec = Recorder(peer)
    this.send("a")
    assert rec.events == []


def test_close_is_never_delivered_synchronously(end):
    this, peer = accepted(end)
    rec = Recorder(peer)
    this.close(1000)
    assert rec.events == []


def test_close_to_unaccepted_peer_is_buffered(end):
    this, peer = ends(end)
    this.accept()
    rec = Recorder(peer)
    this.close(1000, "bye")
    drain()
    assert rec.events == []


def test_close_to_unaccepted_peer_arrives_after_accept(end):
    this, peer = ends(end)
    this.accept()
    rec = Recorder(peer)
    this.close(1000, "bye")
    peer.accept()
    drain()
    assert rec.closes == [(1000, "bye", True)]


def test_unaccepted_peer_stays_open_while_a_close_waits_for_it(end):
    this, peer = ends(end)
    this.accept()
    this.close(1000)
    drain()
    assert peer.readyState == 1


def test_buffered_messages_and_close_keep_their_order(end):
    this, peer = ends(end)
    this.accept()
    rec = Recorder(peer)
    this.send("a")
    this.send(b"b")
    this.close(4000, "end")
    peer.binaryType = "arraybuffer"
    peer.accept()
    drain()
    # workerd then reports "Network connection lost." on the end that received data
    # and answered the Close (docs/findings.md F1).
    assert rec.events == [("message", "a"), ("message", b"b"), ("close", 4000, "end", True), ("error", "Uncaught Error: Network connection lost.")]


def test_messages_sent_after_accept_follow_buffered_ones(end):
    this, peer = ends(end)
    this.accept()
    rec = Recorder(peer)
    this.send("before")
    peer.accept()
    this.send("after")
    drain()
    assert rec.messages == ["before", "after"]


def test_peer_never_accepted_gets_nothing_and_sender_gets_no_error(end):
    this, peer = ends(end)
    this.accept()
    rec_peer, rec_this = Recorder(peer), Recorder(this)
    for i in range(10):
        this.send(str(i))
    this.close(1000)
    drain()
    assert (rec_peer.events, rec_this.events) == ([], [])


def test_each_direction_keeps_its_own_order(end):
    this, peer = accepted(end)
    rec_this, rec_peer = Recorder(this), Recorder(peer)
    this.send("t1")
    peer.send("p1")
    this.send("t2")
    peer.send("p2")
    drain()
    assert (rec_peer.messages, rec_this.messages) == (["t1", "t2"], ["p1", "p2"])


def test_each_message_is_its_own_delivery(end):
    this, peer = accepted(end)
    rec = Recorder(peer)
    this.send("a")
    this.send("b")
    run_pending()  # runs exactly the deliveries queued so far, one per message
    assert rec.messages == ["a", "b"]


async def test_delivery_happens_on_a_later_loop_turn(end):
    this, peer = accepted(end)
    rec = Recorder(peer)
    this.send("a")
    assert rec.events == []
    await asyncio.sleep(0)
    assert rec.messages == ["a"]


async def test_buffered_messages_arrive_on_a_later_turn_after_accept(end):
    this, peer = ends(end)
    this.accept()
    rec = Recorder(peer)
    this.send("a")
    this.send("b")
    await asyncio.sleep(0)
    assert rec.events == []
    peer.accept()
    assert rec.events == []
    await asyncio.sleep(0)
    assert rec.messages == ["a", "b"]


async def test_pair_error_after_answering_a_close_waits_until_the_peer_is_released():
    # workerd (golden buffer-before-accept): b's "Network connection lost." comes after a's close
    # event *and* after code awaiting both close events has resumed.
    a, b = ends(0)
    order: list[str] = []
    a_closed = asyncio.get_running_loop().create_future()
    b_closed = asyncio.get_running_loop().create_future()
    a.addEventListener("close", lambda e: (order.append("a close"), a_closed.set_result(None)))
    b.addEventListener("close", lambda e: (order.append("b close"), b_closed.set_result(None)))
    b.addEventListener("error", lambda e: order.append("b error"))
    a.accept()
    b.accept()
    a.send("data")
    await asyncio.sleep(0)
    a.close(1000, "end")
    async with asyncio.timeout(5):
        await asyncio.gather(a_closed, b_closed)
        order.append("resumed")
        while "b error" not in order:
            await asyncio.sleep(0)
    assert order == ["b close", "a close", "resumed", "b error"]

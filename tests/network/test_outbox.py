"""Writes held to the end of the loop's turn, then sent together (wsguide.net.outbox).

Held while a Durable Object works through its queue, and while legs answer what they read
in a turn where more than one WebSocket is open.

The leg is driven with a transport that records each ``write``: these tests see the
system calls a real socket would make, not just the bytes (a real peer cannot tell
one write of three frames from three writes).
"""

from __future__ import annotations

import asyncio
import struct

from websockets.protocol import OPEN
from websockets.server import ServerProtocol

from wsguide.core.messages import Message
from wsguide.net.leg import WRITE_AT_ONCE, WebSocketLeg
from wsguide.net.outbox import outbox_for

from .helpers import bounded


class RecordingTransport(asyncio.Transport):
    """Records every write; closing and aborting are flags."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.aborted = False

    def write(self, data) -> None:
        assert not self.aborted, "a write after the abort"
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.aborted

    def abort(self) -> None:
        self.aborted = True

    def set_write_buffer_limits(self, high=None, low=None) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


def text_frame(data: bytes) -> bytes:
    assert len(data) < 126
    return struct.pack("!BB", 0x81, len(data)) + data


def make_leg() -> tuple[WebSocketLeg, RecordingTransport]:
    leg = WebSocketLeg(ServerProtocol(state=OPEN))
    transport = RecordingTransport()
    leg.attach(transport)
    return leg, transport


async def end_of_turn() -> None:
    """Returns once the callbacks queued so far (the outbox's flush among them) have run."""
    done = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(done.set_result, None)
    await bounded(done, "the end of the loop's turn")


def the_outbox():
    """The outbox of the running loop, which every leg made in it uses."""
    return outbox_for(asyncio.get_running_loop())


def make_held_leg():
    """A leg, its transport, and the loop's outbox, held (as a Durable Object holds it)."""
    leg, transport = make_leg()
    box = the_outbox()
    box.hold()
    return leg, transport, box


async def test_a_write_outside_a_hold_goes_out_at_once():
    leg, transport = make_leg()
    leg.send_message("now")
    assert transport.writes == [text_frame(b"now")]


async def test_while_held_the_messages_leave_in_one_write_in_order():
    leg, transport, box = make_held_leg()
    for word in (b"one", b"two", b"three"):
        leg.send_message(word.decode())
    assert transport.writes == []
    box.flush()
    assert transport.writes == [text_frame(b"one") + text_frame(b"two") + text_frame(b"three")]


async def test_after_a_flush_writes_go_out_at_once_again():
    leg, transport, box = make_held_leg()
    leg.send_message("held")
    box.flush()
    leg.send_message("direct")
    assert transport.writes == [text_frame(b"held"), text_frame(b"direct")]


async def test_a_hold_nobody_flushes_ends_with_the_turn():
    # The holder was suspended (it awaits something): nothing waits longer than this turn.
    leg, transport, _ = make_held_leg()
    leg.send_message("not forgotten")
    assert transport.writes == []
    await end_of_turn()
    assert transport.writes == [text_frame(b"not forgotten")]
    leg.send_message("and then at once")
    assert transport.writes[-1] == text_frame(b"and then at once")


async def test_a_close_goes_out_after_the_messages_held_before_it():
    leg, transport, box = make_held_leg()
    leg.send_message("last words")
    leg.close(1000, "bye")
    box.flush()
    close = struct.pack("!BB", 0x88, 5) + struct.pack("!H", 1000) + b"bye"
    assert transport.writes == [text_frame(b"last words") + close]


async def test_a_large_frame_is_written_at_once_after_what_was_held_before_it():
    leg, transport, _ = make_held_leg()
    leg.send_message("small")
    leg.send_message(b"x" * WRITE_AT_ONCE)
    assert len(transport.writes) == 2  # both written now, without waiting for the flush
    assert transport.writes[0] == text_frame(b"small")
    assert transport.writes[1].endswith(b"x" * WRITE_AT_ONCE)


async def test_an_abort_first_writes_what_was_held_before_it():
    leg, transport, box = make_held_leg()
    leg.send_message("before the abort")
    leg.abort()
    assert (transport.writes, transport.aborted) == ([text_frame(b"before the abort")], True)
    box.flush()
    assert transport.writes == [text_frame(b"before the abort")]  # the flush found nothing more


async def test_nothing_held_is_written_once_the_connection_is_lost():
    leg, transport, box = make_held_leg()
    leg.send_message("never delivered")
    leg.connection_lost(None)
    box.flush()
    assert transport.writes == []


async def test_two_legs_get_one_write_each_for_what_was_held():
    (a, ta), (b, tb) = make_leg(), make_leg()
    box = the_outbox()
    box.hold()
    for n in range(3):
        a.send_message(f"a{n}")
        b.send_message(f"b{n}")
    box.flush()
    assert ta.writes == [b"".join(text_frame(f"a{n}".encode()) for n in range(3))]
    assert tb.writes == [b"".join(text_frame(f"b{n}".encode()) for n in range(3))]


def client_frame(data: bytes) -> bytes:
    """A text frame as a client sends it: masked (with a zero mask, so the payload reads as is)."""
    assert len(data) < 126
    return struct.pack("!BB", 0x81, 0x80 | len(data)) + b"\0\0\0\0" + data


def make_echo_leg() -> tuple[WebSocketLeg, RecordingTransport]:
    """A leg whose Worker answers each message at once, as the guide's echo does."""
    leg, transport = make_leg()

    def receive(item):
        if isinstance(item, Message):
            leg.send_message(item.data)

    leg.start_reading(receive)
    return leg, transport


async def test_with_one_connection_open_the_answer_to_a_read_goes_out_at_once():
    leg, transport = make_echo_leg()
    leg.data_received(client_frame(b"hi"))
    assert transport.writes == [text_frame(b"hi")]


async def test_with_two_connections_open_the_answers_to_reads_leave_at_the_turns_end():
    (a, ta), (b, tb) = make_echo_leg(), make_echo_leg()
    a.data_received(client_frame(b"a"))
    b.data_received(client_frame(b"b"))
    assert (ta.writes, tb.writes) == ([], [])
    await end_of_turn()
    assert (ta.writes, tb.writes) == ([text_frame(b"a")], [text_frame(b"b")])


async def test_two_reads_of_one_connection_in_a_turn_are_answered_in_one_write_in_order():
    (a, ta), _ = make_echo_leg(), make_echo_leg()
    a.data_received(client_frame(b"first"))
    a.data_received(client_frame(b"second"))
    await end_of_turn()
    assert ta.writes == [text_frame(b"first") + text_frame(b"second")]


async def test_a_connection_that_ended_no_longer_counts_as_open():
    (a, ta), (b, _) = make_echo_leg(), make_echo_leg()
    b.connection_lost(None)
    assert the_outbox().legs == 1
    a.data_received(client_frame(b"alone again"))
    assert ta.writes == [text_frame(b"alone again")]


def test_each_event_loop_has_its_own_outbox():
    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        assert outbox_for(first) is outbox_for(first)
        assert outbox_for(first) is not outbox_for(second)
    finally:
        first.close()
        second.close()

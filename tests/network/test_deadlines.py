"""``wsguide.net.deadlines``: timeouts of one length in a queue, one loop timer for all of them.

Each test waits on a deadline armed after the ones it checks: a queue fires in arming
order, so when the later one has fired, the earlier ones have had their turn.
"""

from __future__ import annotations

import asyncio
import gc
import weakref

from wsguide.net.deadlines import COMPACT_FROM, deadlines_for

DELAY = 0.01
BOUND = 10.0  # seconds: what "never" is here


async def fired(future: asyncio.Future) -> object:
    return await asyncio.wait_for(future, BOUND)


async def test_deadlines_fire_in_the_order_they_were_armed():
    loop = asyncio.get_running_loop()
    queue = deadlines_for(loop, DELAY)
    order: list[str] = []
    done = loop.create_future()
    queue.arm(order.append, "first")
    queue.arm(order.append, "second")
    queue.arm(done.set_result, None)
    await fired(done)
    assert order == ["first", "second"]


async def test_a_cancelled_deadline_never_fires():
    loop = asyncio.get_running_loop()
    queue = deadlines_for(loop, DELAY)
    calls: list[str] = []
    done = loop.create_future()
    queue.arm(calls.append, "cancelled").cancel()
    queue.arm(done.set_result, None)
    await fired(done)
    assert calls == []


async def test_cancelling_lets_go_of_the_callback_at_once():
    class Connection:
        def timed_out(self) -> None: ...

    loop = asyncio.get_running_loop()
    conn = Connection()
    gone = weakref.ref(conn)
    deadlines_for(loop, BOUND).arm(conn.timed_out).cancel()
    del conn
    gc.collect()
    assert gone() is None  # not kept until the deadline's time


async def test_the_oldest_armed_deadline_sets_the_timer_after_the_head_is_cancelled():
    loop = asyncio.get_running_loop()
    queue = deadlines_for(loop, DELAY)
    done = loop.create_future()
    queue.arm(print).cancel()
    armed_at = loop.time()
    queue.arm(lambda: done.set_result(loop.time()))
    assert await fired(done) >= armed_at + DELAY


async def test_queues_of_different_lengths_are_independent():
    loop = asyncio.get_running_loop()
    order: list[str] = []
    done = loop.create_future()
    deadlines_for(loop, 5.0).arm(order.append, "long")
    deadlines_for(loop, DELAY).arm(order.append, "short")
    deadlines_for(loop, DELAY).arm(done.set_result, None)
    await fired(done)
    assert order == ["short"]


async def test_one_queue_per_loop_and_length():
    loop = asyncio.get_running_loop()
    assert deadlines_for(loop, DELAY) is deadlines_for(loop, DELAY)
    assert deadlines_for(loop, DELAY) is not deadlines_for(loop, 2 * DELAY)


async def test_a_callback_that_raises_is_reported_and_the_others_still_run():
    loop = asyncio.get_running_loop()
    reported: list[dict] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))
    queue = deadlines_for(loop, DELAY)
    order: list[str] = []
    done = loop.create_future()

    def broken() -> None:
        raise RuntimeError("boom")

    queue.arm(broken)
    queue.arm(order.append, "after")
    queue.arm(done.set_result, None)
    await fired(done)
    assert order == ["after"]
    assert [str(c["exception"]) for c in reported] == ["boom"]


def test_a_queue_goes_with_its_loop_even_with_a_deadline_armed():
    class Connection:
        def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
            self.loop = loop  # as a connection holds its transport, and that its loop

        def timed_out(self) -> None: ...

    loop = asyncio.new_event_loop()
    gone = weakref.ref(loop)
    deadlines_for(loop, BOUND).arm(Connection(loop).timed_out)
    loop.close()
    del loop
    gc.collect()
    assert gone() is None


async def test_a_due_deadline_runs_once():
    loop = asyncio.get_running_loop()
    queue = deadlines_for(loop, DELAY)
    calls: list[int] = []
    done = loop.create_future()
    entry = queue.arm(calls.append, 1)
    queue.arm(done.set_result, None)
    await fired(done)
    entry.cancel()  # after it ran: nothing changes
    assert calls == [1] and entry.cancelled()


async def test_cancelled_deadlines_do_not_pile_up_in_a_storm():
    loop = asyncio.get_running_loop()
    queue = deadlines_for(loop, BOUND)
    armed = [queue.arm(print) for _ in range(10)]  # ten connections still waiting
    for _ in range(50_000):  # a storm: each connection arms its timeout and cancels it soon
        queue.arm(print).cancel()
    assert len(queue) <= max(COMPACT_FROM, 2 * len(armed)) + 1
    assert not any(entry.cancelled() for entry in armed)
    for entry in armed:
        entry.cancel()


async def test_compacting_keeps_the_order_of_the_armed_ones():
    loop = asyncio.get_running_loop()
    queue = deadlines_for(loop, DELAY)
    order: list[int] = []
    done = loop.create_future()
    for i in range(3 * COMPACT_FROM):
        entry = queue.arm(order.append, i)
        if i % 3:
            entry.cancel()
    queue.arm(done.set_result, None)
    await fired(done)
    assert order == list(range(0, 3 * COMPACT_FROM, 3))

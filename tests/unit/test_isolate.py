"""The isolate: the scheduler, log and network Worker code runs with (no event loop needed)."""

from __future__ import annotations

import contextvars
import types

import pytest

from wsguide.core.compat import Compat
from wsguide.core.console import console
from wsguide.core.isolate import Isolate, ManualScheduler, current, emit


def test_manual_scheduler_runs_nothing_until_asked():
    sched, calls = ManualScheduler(), []
    sched.call_soon(calls.append, 1)
    assert calls == []
    assert sched.run_pending() == 1
    assert calls == [1]


def test_manual_scheduler_keeps_the_order_of_calls():
    sched, calls = ManualScheduler(), []
    for n in range(3):
        sched.call_soon(calls.append, n)
    sched.run_pending()
    assert calls == [0, 1, 2]


def test_run_pending_leaves_calls_scheduled_meanwhile_for_the_next_turn():
    sched, calls = ManualScheduler(), []
    sched.call_soon(lambda: sched.call_soon(calls.append, "later"))
    assert (sched.run_pending(), calls) == (1, [])
    assert (sched.run_pending(), calls) == (1, ["later"])


def test_run_all_runs_until_nothing_is_left():
    sched, calls = ManualScheduler(), []
    sched.call_soon(lambda: sched.call_soon(calls.append, "later"))
    assert sched.run_all() == 2 and calls == ["later"]


def test_spawn_steps_a_coroutine_one_turn_per_bare_yield():
    sched, steps, errors = ManualScheduler(), [], []

    @types.coroutine
    def turn():
        yield

    async def work():
        steps.append(1)
        await turn()
        steps.append(2)

    sched.spawn(work(), errors.append)
    sched.run_pending()
    assert steps == [1]
    sched.run_all()
    assert (steps, errors) == ([1, 2], [])


def test_spawn_reports_an_exception_of_the_coroutine():
    sched, errors = ManualScheduler(), []

    async def broken():
        raise KeyError("bug")

    sched.spawn(broken(), errors.append)
    sched.run_all()
    assert [type(e) for e in errors] == [KeyError]


def test_spawn_refuses_what_needs_an_event_loop():
    sched, errors = ManualScheduler(), []

    @types.coroutine
    def wait_for_a_future():
        yield object()  # what awaiting an asyncio future yields

    async def needs_a_loop():
        await wait_for_a_future()

    sched.spawn(needs_a_loop(), errors.append)
    sched.run_all()
    assert "needs an event loop" in str(errors[0])


def test_entered_isolate_is_current_only_inside_the_block():
    iso = Isolate(name="inner")
    with iso.entered():
        assert current() is iso
    assert current() is not iso


def test_outside_any_isolate_the_default_one_is_current():
    assert contextvars.Context().run(current).name == "default"


def test_with_compat_keeps_log_and_scheduler():
    sched = ManualScheduler()
    iso = Isolate(scheduler=sched, name="w")
    other = iso.with_compat(Compat("2023-01-01"))
    assert (other.scheduler, other.log, other.name, other.compat.date) == (sched, iso.log, "w", "2023-01-01")


def test_emit_and_console_write_to_the_current_isolates_log(worker_log):
    emit("warn", "careful")
    console.log("hello", 1)
    assert [(line.level, line.text) for line in worker_log] == [("warn", "careful"), ("log", "hello 1")]


def test_an_isolate_without_network_says_how_to_get_one():
    from wsguide.core.isolate import _NoScheduler

    with pytest.raises(RuntimeError, match="import wsguide"):
        _NoScheduler().connect_websocket(None)

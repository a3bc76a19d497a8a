"""Spec §1.5, §2.4, §3.1: events and ``EventTarget`` dispatch."""

from __future__ import annotations

import asyncio

import pytest

from wsguide.core.jsapi import JS_NULL
from wsguide.core.events import CloseEvent, ErrorEvent, Event, MessageEvent
from wsguide.core.errors import JsError
from wsguide.core.messages import Failure
from wsguide.core.events import EventTarget, add_handler_properties

from ._helpers import Recorder, accepted, drain


class Target(EventTarget):
    pass


add_handler_properties(Target, ("ping",))


async def turns(n: int = 5) -> None:
    """Yield the event loop ``n`` times (lets call_soon deliveries and tasks run)."""
    for _ in range(n):
        await asyncio.sleep(0)


# ------------------------------------------------------------------ event objects
def test_event_has_its_type():
    assert Event("open").type == "open"


def test_message_event_fields_match_workerd():
    ev = MessageEvent("message", data="x")
    assert (ev.type, ev.data, ev.origin, ev.lastEventId, ev.source, ev.ports) == (
        "message", "x", JS_NULL, "", JS_NULL, [],
    )


def test_close_event_defaults_are_code_0_empty_reason_not_clean():
    ev = CloseEvent("close")
    assert (ev.code, ev.reason, ev.wasClean) == (0, "", False)


def test_close_event_keeps_given_fields():
    ev = CloseEvent("close", code=1000, reason="bye", wasClean=True)
    assert (ev.type, ev.code, ev.reason, ev.wasClean) == ("close", 1000, "bye", True)


def test_error_event_has_message_and_error():
    exc = RuntimeError("boom")
    ev = ErrorEvent("error", message="Uncaught Error: boom", error=exc)
    assert (ev.type, ev.message, ev.error) == ("error", "Uncaught Error: boom", exc)


# ------------------------------------------------------------- dispatch order
def test_on_property_runs_before_listeners():
    t = Target()
    calls = []
    t.addEventListener("ping", lambda e: calls.append("listener"))
    t.onping = lambda e: calls.append("onping")
    t.dispatchEvent(Event("ping"))
    assert calls == ["onping", "listener"]


def test_listeners_run_in_the_order_added():
    t = Target()
    calls = []
    for name in "abc":
        t.addEventListener("ping", lambda e, name=name: calls.append(name))
    t.dispatchEvent(Event("ping"))
    assert calls == ["a", "b", "c"]


def test_listener_receives_the_event_object():
    t = Target()
    seen = []
    t.addEventListener("ping", seen.append)
    ev = Event("ping")
    t.dispatchEvent(ev)
    assert seen == [ev]


def test_listener_only_gets_its_own_type():
    t = Target()
    seen = []
    t.addEventListener("ping", seen.append)
    t.dispatchEvent(Event("pong"))
    assert seen == []


def test_adding_the_same_listener_twice_is_ignored():
    t = Target()
    seen = []
    t.addEventListener("ping", seen.append)
    t.addEventListener("ping", seen.append)
    t.dispatchEvent(Event("ping"))
    assert len(seen) == 1


def test_same_function_for_two_types_is_called_for_each():
    t = Target()
    seen = []
    t.addEventListener("ping", seen.append)
    t.addEventListener("pong", seen.append)
    t.dispatchEvent(Event("ping"))
    t.dispatchEvent(Event("pong"))
    assert [e.type for e in seen] == ["ping", "pong"]


def test_remove_event_listener_stops_calls():
    t = Target()
    seen = []
    t.addEventListener("ping", seen.append)
    t.removeEventListener("ping", seen.append)
    t.dispatchEvent(Event("ping"))
    assert seen == []


def test_removing_an_absent_listener_is_silent():
    t = Target()
    t.removeEventListener("ping", print)


def test_on_property_non_callable_is_silently_ignored():
    t = Target()
    seen = []
    t.onping = "not a function"
    t.addEventListener("ping", seen.append)
    t.dispatchEvent(Event("ping"))
    assert len(seen) == 1


def test_on_property_reads_back_what_was_set():
    t = Target()
    fn = lambda e: None  # noqa: E731
    t.onping = fn
    assert t.onping is fn


def test_on_property_set_to_none_stops_calls():
    t = Target()
    seen = []
    t.onping = seen.append
    t.onping = None
    t.dispatchEvent(Event("ping"))
    assert seen == []


def test_on_property_replaces_previous_handler():
    t = Target()
    calls = []
    t.onping = lambda e: calls.append("old")
    t.onping = lambda e: calls.append("new")
    t.dispatchEvent(Event("ping"))
    assert calls == ["new"]


def test_listener_added_during_dispatch_is_not_called_for_that_event():
    t = Target()
    late = []

    def first(event):
        t.addEventListener("ping", late.append)

    t.addEventListener("ping", first)
    t.dispatchEvent(Event("ping"))
    assert late == []


def test_snake_case_aliases_add_and_remove():
    t = Target()
    seen = []
    t.add_event_listener("ping", seen.append)
    t.dispatchEvent(Event("ping"))
    t.remove_event_listener("ping", seen.append)
    t.dispatchEvent(Event("ping"))
    assert len(seen) == 1


# -------------------------------------------------------- raising listeners
def test_raising_listener_is_logged_as_an_error(worker_log):
    t = Target()

    def bad(event):
        raise ValueError("learner bug")

    t.addEventListener("ping", bad)
    t.dispatchEvent(Event("ping"))
    errors = worker_log.texts("error")
    assert len(errors) == 1 and "ValueError: learner bug" in errors[0]


def test_raising_listener_does_not_stop_later_listeners(worker_log):
    t = Target()
    seen = []
    t.addEventListener("ping", lambda e: 1 / 0)
    t.addEventListener("ping", seen.append)
    t.dispatchEvent(Event("ping"))
    assert len(seen) == 1


def test_raising_on_property_does_not_stop_listeners(worker_log):
    t = Target()
    seen = []
    t.onping = lambda e: 1 / 0
    t.addEventListener("ping", seen.append)
    t.dispatchEvent(Event("ping"))
    assert len(seen) == 1


def test_raising_listener_does_not_break_later_messages(end, worker_log):
    this, peer = accepted(end)
    peer.addEventListener("message", lambda e: 1 / 0)
    rec = Recorder(peer)
    this.send("one")
    this.send("two")
    drain()
    assert rec.messages == ["one", "two"]


# ------------------------------------------------------------ async listeners
async def test_async_listener_runs():
    t = Target()
    seen = []

    async def listener(event):
        await asyncio.sleep(0)
        seen.append(event.type)

    t.addEventListener("ping", listener)
    t.dispatchEvent(Event("ping"))
    await turns()
    assert seen == ["ping"]


async def test_async_listener_does_not_block_the_next_listener():
    t = Target()
    calls = []
    gate = asyncio.Event()

    async def slow(event):
        await gate.wait()
        calls.append("slow")

    t.addEventListener("ping", slow)
    t.addEventListener("ping", lambda e: calls.append("next"))
    t.dispatchEvent(Event("ping"))
    assert calls == ["next"]
    gate.set()
    await turns()
    assert calls == ["next", "slow"]


async def test_async_listener_does_not_block_the_next_message():
    a, b = accepted(0)
    got = []
    gate = asyncio.Event()

    async def slow(event):
        got.append(event.data)
        await gate.wait()

    b.addEventListener("message", slow)
    a.send("one")
    a.send("two")
    await turns()
    assert got == ["one", "two"]
    gate.set()
    await turns()


async def test_raising_async_listener_is_logged(worker_log):
    t = Target()

    async def bad(event):
        await asyncio.sleep(0)
        raise KeyError("async bug")

    t.addEventListener("ping", bad)
    t.dispatchEvent(Event("ping"))
    await turns()
    errors = worker_log.texts("error")
    assert len(errors) == 1 and "KeyError: 'async bug'" in errors[0]


# ------------------------------------------------------- on WebSocket objects
@pytest.mark.parametrize("kind", ["open", "message", "close", "error"])
def test_websocket_has_on_property_defaulting_to_none(end, kind):
    this, _ = accepted(end)
    assert getattr(this, "on" + kind) is None


def test_websocket_onmessage_runs_before_message_listeners(end):
    this, peer = accepted(end)
    calls = []
    peer.addEventListener("message", lambda e: calls.append("listener"))
    peer.onmessage = lambda e: calls.append("onmessage")
    this.send("x")
    drain()
    assert calls == ["onmessage", "listener"]


def test_message_event_without_listener_is_lost(end):
    this, peer = accepted(end)
    this.send("nobody listens")
    drain()
    rec = Recorder(peer)  # added after delivery: too late
    drain()
    assert rec.events == []


def test_delivered_message_event_has_type_message(end):
    this, peer = accepted(end)
    seen = []
    peer.addEventListener("message", seen.append)
    this.send("x")
    drain()
    assert isinstance(seen[0], MessageEvent) and seen[0].type == "message"


def test_delivered_close_event_is_a_close_event(end):
    this, peer = accepted(end)
    seen = []
    peer.addEventListener("close", seen.append)
    this.close(1000)
    drain()
    assert isinstance(seen[0], CloseEvent) and seen[0].type == "close"


def test_error_item_dispatches_an_error_event_once(end):
    this, _ = accepted(end)
    seen = []
    this.addEventListener("error", seen.append)
    this.receive(Failure(JsError("first")))
    this.receive(Failure(JsError("second")))
    assert [e.message for e in seen] == ["Uncaught Error: first"]


async def test_async_listener_runs_until_its_first_await_during_dispatch():
    t = Target()
    calls = []

    async def first(event):
        calls.append("async prefix")
        await asyncio.sleep(0)

    t.addEventListener("ping", first)
    t.addEventListener("ping", lambda e: calls.append("sync"))
    t.dispatchEvent(Event("ping"))
    during_dispatch = list(calls)
    await turns()
    assert during_dispatch == ["async prefix", "sync"]


async def test_async_listener_continues_after_awaiting_a_future():
    t = Target()
    fut = asyncio.get_running_loop().create_future()
    calls = []

    async def waits(event):
        calls.append("before")
        calls.append(await fut)

    t.addEventListener("ping", waits)
    t.dispatchEvent(Event("ping"))
    assert calls == ["before"]
    fut.set_result("after")
    await turns()
    assert calls == ["before", "after"]


async def test_async_listener_raising_before_its_first_await_is_reported(worker_log):
    t = Target()

    async def broken(event):
        raise ValueError("early")

    t.addEventListener("ping", broken)
    t.dispatchEvent(Event("ping"))
    assert any("ValueError: early" in line for line in worker_log.texts("error"))


async def test_async_listener_raising_after_an_await_is_reported(worker_log):
    t = Target()

    async def broken(event):
        await asyncio.sleep(0)
        raise ValueError("late")

    t.addEventListener("ping", broken)
    t.dispatchEvent(Event("ping"))
    await turns()
    assert any("ValueError: late" in line for line in worker_log.texts("error"))

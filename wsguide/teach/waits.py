"""The one bounded wait every notebook helper uses, and the knob that scales it.

A cell that awaits forever cannot be interrupted (ipykernel), so every wait in
the helpers has a time limit and, when it expires, says what it was waiting
for. A slow machine (a shared CI runner, an old laptop) sets
``WSGUIDE_TIMEOUT_FACTOR=10`` and every limit gets ten times longer. Waits
never sleep: they await an event, and the factor only moves the deadline.

>>> import asyncio
>>> asyncio.run(within(asyncio.sleep(0, "done"), "a nap"))
'done'
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

__all__ = ["TIMEOUT_FACTOR", "Changes", "WaitTimeout", "bounded", "fmt_seconds", "scaled", "within"]

T = TypeVar("T")

SLOW_MACHINE_HINT = "(A slow machine? Set WSGUIDE_TIMEOUT_FACTOR=10.)"


def _timeout_factor() -> float:
    raw = os.environ.get("WSGUIDE_TIMEOUT_FACTOR", "").strip()
    try:
        value = float(raw) if raw else 1.0
    except ValueError:
        value = 1.0
    return value if value > 0 else 1.0


#: Every time limit of the helpers is multiplied by this (env ``WSGUIDE_TIMEOUT_FACTOR``).
TIMEOUT_FACTOR = _timeout_factor()


def scaled(seconds: float) -> float:
    """``seconds`` times :data:`TIMEOUT_FACTOR`: give slow machines more time."""
    return seconds * TIMEOUT_FACTOR


def fmt_seconds(seconds: float) -> str:
    return f"{seconds:g} s"


class WaitTimeout(TimeoutError):
    """A bounded wait expired; the message says what was awaited and what to try."""


async def within(awaitable: Awaitable[T], what: str, timeout: float = 5) -> T:
    """``await awaitable``, but for at most ``timeout`` seconds (times WSGUIDE_TIMEOUT_FACTOR).

    For a wait that has no limit of its own, such as an RPC call to a Durable Object: if it
    takes too long, :class:`WaitTimeout` says what was being waited for.
    """
    return await bounded(
        awaitable,
        timeout,
        lambda limit: f"{what} did not finish within {fmt_seconds(limit)}. Is a handler waiting "
        f"for something that never comes? {SLOW_MACHINE_HINT}",
    )


async def bounded(awaitable: Awaitable[T], timeout: float, expired: str | Callable[[float], str]) -> T:
    """``await awaitable``, for at most ``timeout`` seconds (scaled).

    When the time is up, raise :class:`WaitTimeout` with ``expired`` — a text,
    or a function of the limit in seconds that builds one (so it can show what
    was seen so far). An error raised by ``awaitable`` itself passes through.
    """
    limit = scaled(timeout)
    deadline = asyncio.timeout(limit)
    try:
        async with deadline:
            return await awaitable
    except TimeoutError:
        if not deadline.expired():
            raise  # the awaited code's own TimeoutError (or WaitTimeout), not our limit
        message = expired(limit) if callable(expired) else f"{expired} did not happen within {fmt_seconds(limit)}."
        raise WaitTimeout(message) from None


class Changes:
    """Something that changes (a log, a wire trace): wait until a condition on it holds."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def notify(self) -> None:
        """Something changed: wake every waiter so it checks its condition again."""
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def until(self, condition: Callable[[], Any], timeout: float, expired: str | Callable[[float], str]) -> None:
        """Return as soon as ``condition()`` is true, checking after each change (bounded)."""

        async def wait() -> None:
            while not condition():
                fut = asyncio.get_running_loop().create_future()
                self._waiters.append(fut)
                await fut

        await bounded(wait(), timeout, expired)

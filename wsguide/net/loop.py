"""The isolate's scheduler on the running asyncio event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["EventLoopScheduler"]

MSG_NO_LOOP = (
    "WebSocket events are delivered by an event loop, and none is running here. Use sockets "
    "inside async code: a notebook cell (cells run in the kernel's loop), or a function run "
    "with asyncio.run(...)."
)


class EventLoopScheduler:
    """``call_soon`` and ``spawn`` on the event loop that is running now."""

    def __init__(self) -> None:
        # The loop keeps only weak references to tasks: hold them until they end.
        self._tasks: set[asyncio.Future[Any]] = set()

    @staticmethod
    def _loop() -> asyncio.AbstractEventLoop:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(MSG_NO_LOOP) from None

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self._loop().call_soon(fn, *args)

    def spawn(self, awaitable: Awaitable[Any], on_error: Callable[[BaseException], None]) -> None:
        task = asyncio.ensure_future(awaitable, loop=self._loop())
        self._tasks.add(task)

        def done(t: asyncio.Future[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                on_error(t.exception())  # type: ignore[arg-type]

        task.add_done_callback(done)

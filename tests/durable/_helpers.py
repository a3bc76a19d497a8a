"""Helpers for the Durable Object tests: in-memory namespaces, bounded waits, a local client.

The Durable Objects under test are written as Python Workers (``wsguide.workers``,
``wsguide.js``, ``wsguide.ffi``). What is here runs outside them, on the host side: it
uses wsguide's Python-side API (the namespace, the raw socket a stub's ``fetch`` returns).
The few imports of wsguide internals that the tests need are kept in this one module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Re-exported for the test modules (noqa F401): the runtime's own errors and classes, as the host sees them.
from wsguide.core.errors import JsError, PythonError  # noqa: F401
from wsguide.core.log import LogLine, global_log
from wsguide.core.messages import Disconnect, Failure  # noqa: F401 - input a test hands a socket
from wsguide.core.websocket import WebSocket as RuntimeWebSocket  # noqa: F401
from wsguide.durable import DurableObjectId, DurableObjectNamespace, HibernationBlocked  # noqa: F401
from wsguide.durable.state import DurableObjectState
from wsguide.http import Request as HostRequest  # noqa: F401 - the JavaScript Request a host-side stub takes

WAIT = 3.0  # seconds: every wait in these tests is bounded by this


def make_ns(cls: type, **kw: Any) -> DurableObjectNamespace:
    kw.setdefault("persist", False)
    kw.setdefault("hibernate_after", False)
    kw.setdefault("env", {"note": "env"})
    return DurableObjectNamespace(cls, **kw)


def host_ctx(ns: DurableObjectNamespace, name: str = "t") -> DurableObjectState:
    """The runtime's ``ctx`` of object ``name`` seen from the host: no Pyodide boundary, no
    constructor run (wsguide's Python-side API, to inspect what the object cannot show)."""
    return DurableObjectState(ns.host(ns.idFromName(name)))


def limit_sockets(ns: DurableObjectNamespace, name: str, max_sockets: int) -> None:
    """Lower object ``name``'s cap on hibernatable sockets (32,768), so a test reaches it quickly."""
    ns.host(ns.idFromName(name)).max_sockets = max_sockets


@contextmanager
def errors_logged() -> Iterator[list[str]]:
    """The error lines written while the block runs to the log of objects outside a server."""
    seen: list[str] = []

    def keep(line: LogLine) -> None:
        if line.level == "error":
            seen.append(line.text)

    global_log.watch(keep)
    try:
        yield seen
    finally:
        global_log.unwatch(keep)


async def settle(tasks: list[asyncio.Future[Any]]) -> None:
    """Let ``tasks`` end (at most ``WAIT`` s, then cancel them) and retrieve their outcomes.

    For a test's ``finally``: a failing test must not leave a task whose exception nobody
    retrieved. When such a task is garbage-collected, asyncio logs it with a traceback; on
    CPython 3.11.7 that logging, if it happens while pytest itself runs ``ast.parse`` to show
    a failure, crashes pytest with ``INTERNALERROR … SystemError: AST constructor recursion
    depth mismatch`` (CPython gh-106905, fixed in 3.11.8).
    """
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=WAIT)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def within(awaitable: Any, what: str, timeout: float = WAIT) -> Any:
    try:
        async with asyncio.timeout(timeout):
            return await awaitable
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None


class Client:
    """The client end of a pair returned by a Durable Object, accepted locally.

    It is the runtime's socket itself, held on the host side: no Pyodide boundary stands
    between it and this code, so plain functions are its listeners (a Worker's code would
    wrap them in ``create_proxy``).
    """

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.items: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        ws.binaryType = "arraybuffer"
        ws.addEventListener("message", lambda e: self.items.put_nowait(("message", e.data)))
        ws.addEventListener("close", lambda e: self.items.put_nowait(("close", e.code, e.reason, e.wasClean)))
        ws.addEventListener("error", lambda e: self.items.put_nowait(("error", e.message)))
        ws.accept()

    async def next(self, what: str = "the next event") -> tuple[Any, ...]:
        return await within(self.items.get(), what)

    async def message(self) -> Any:
        item = await self.next("a message")
        assert item[0] == "message", item
        return item[1]

    def send(self, data: Any) -> None:
        self.ws.send(data)


async def connect(stub: Any, path: str = "/") -> Client:
    """Upgrade through a host-side stub; the client end (``resp.socket``, wsguide's own view) accepted here."""
    resp = await within(stub.fetch("http://do.test" + path, headers={"Upgrade": "websocket"}), "stub.fetch")
    assert resp.status == 101 and resp.socket is not None
    return Client(resp.socket)

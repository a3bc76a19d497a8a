"""The isolate a Worker's code runs in: its compatibility settings, its log, its scheduler.

On Workers each Worker runs in an *isolate* with the compatibility date and
flags it was deployed with, a console whose lines ``wrangler dev`` prints, and
an event loop that delivers events "on a later turn". Runtime objects made
while the Worker's code runs (a ``WebSocketPair``, a ``WebSocket``) take all
three from the isolate that is current at that moment.

The core never touches asyncio: a :class:`Scheduler` is passed in. The network
layer supplies one on the running event loop and makes it the default;
sans-I/O tests use :class:`ManualScheduler` and run what it queued by hand::

    >>> from wsguide.core.isolate import Isolate, ManualScheduler
    >>> iso = Isolate(scheduler=ManualScheduler())
    >>> iso.scheduler.call_soon(print, "later")
    >>> iso.scheduler.run_pending()
    later
    1
"""

from __future__ import annotations

import types
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

from .compat import Compat
from .log import WorkerLog, global_log

__all__ = ["Isolate", "ManualScheduler", "Network", "Scheduler", "current", "default", "defaults_installed", "emit",
           "install_defaults", "resume"]


class Scheduler(Protocol):
    """Where the runtime hands work that must happen on a later turn."""

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on a later turn, in the order of the calls."""

    def spawn(self, awaitable: Awaitable[Any], on_error: Callable[[BaseException], None]) -> None:
        """Run ``awaitable`` to its end in the background; report an exception to ``on_error``."""


class ManualScheduler:
    """A scheduler that keeps every call until :meth:`run_pending` runs it (no event loop).

    Coroutines given to :meth:`spawn` are stepped on later turns as long as they
    only yield bare turns (``await`` of nothing an event loop must resolve).
    """

    def __init__(self) -> None:
        self.pending: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self.pending.append((fn, args))

    def spawn(self, awaitable: Awaitable[Any], on_error: Callable[[BaseException], None]) -> None:
        # A native coroutine steps through __await__(); a generator-based one is its own iterator.
        coro = awaitable.__await__() if hasattr(awaitable, "__await__") else awaitable

        def step() -> None:
            try:
                yielded = coro.send(None)
            except StopIteration:
                return
            except BaseException as exc:  # reported, as an uncaught error would be
                on_error(exc)
                return
            if yielded is not None:
                on_error(RuntimeError("this coroutine awaits something that needs an event loop"))
                return
            self.call_soon(step)

        self.call_soon(step)

    def run_pending(self) -> int:
        """Run what is queued now, in order; returns how many calls ran."""
        count = 0
        for _ in range(len(self.pending)):
            fn, args = self.pending.popleft()
            fn(*args)
            count += 1
        return count

    def run_all(self) -> int:
        """Run until nothing is left (calls may queue more); returns how many ran."""
        total = 0
        while self.pending:
            total += self.run_pending()
        return total


class Network(Protocol):
    """How an isolate reaches other servers: the network layer implements it."""

    def connect_websocket(self, ws: Any) -> Callable[[], None]:
        """Start the handshake of an outbound ``WebSocket(url)``; return a function that cancels it.

        The handshake's end is reported to the socket with
        ``ws.connection_opened(...)`` or ``ws.connection_failed(error)``.
        """

    async def fetch(self, resource: Any, options: dict[str, Any]) -> Any:
        """JavaScript's ``fetch(resource, options)``: a Response (a WebSocket one for an upgrade)."""


class _NoScheduler:
    """Stands in until the network layer installs the event-loop scheduler."""

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        raise RuntimeError("no scheduler: import wsguide (it installs the event-loop scheduler)")

    spawn = call_soon

    def connect_websocket(self, ws: Any) -> Callable[[], None]:
        raise RuntimeError("no network: import wsguide (it installs the network layer)")

    async def fetch(self, resource: Any, options: dict[str, Any]) -> Any:
        raise RuntimeError("no network: import wsguide (it installs the network layer)")


class Isolate:
    """Compatibility settings, a log, a scheduler and a network: what Worker code runs with."""

    __slots__ = ("compat", "log", "_scheduler", "_network", "name", "env", "pyodide", "captures_print", "_warned")

    def __init__(
        self,
        compat: Compat | None = None,
        log: WorkerLog | None = None,
        scheduler: Scheduler | None = None,
        name: str = "",
        network: Network | None = None,
    ) -> None:
        self.compat = compat if compat is not None else Compat()
        self.log = log if log is not None else global_log
        self._scheduler = scheduler
        self._network = network
        self.name = name
        #: The Worker's bindings (a JavaScript object: ``env.ROOMS``), set by the server.
        self.env: dict[str, Any] = {}
        #: True: the Worker's Python reaches the runtime through the Pyodide boundary, as on
        #: Python Workers. False: it holds the runtime's objects directly, with JavaScript's
        #: semantics — how the parity tests write the twin of a JavaScript Worker.
        self.pyodide = True
        #: True for a served Worker: its print() goes to its log, as on Workers (console.log).
        self.captures_print = False
        self._warned: set[str] = set()

    @property
    def scheduler(self) -> Scheduler:
        return self._scheduler if self._scheduler is not None else _defaults["scheduler"]

    @property
    def network(self) -> Network:
        return self._network if self._network is not None else _defaults["network"]

    def with_compat(self, compat: Compat) -> Isolate:
        """This isolate with other compatibility settings (same log, scheduler and network)."""
        other = Isolate(compat, self.log, self._scheduler, self.name, self._network)
        other.env = self.env
        other.pyodide = self.pyodide
        other.captures_print = self.captures_print
        return other

    @contextmanager
    def entered(self) -> Iterator[Isolate]:
        """Make this the current isolate while the block runs."""
        token = _current.set(self)
        try:
            yield self
        finally:
            _current.reset(token)

    def enter(self) -> None:
        """Make this the current isolate in the running context (for a context copy)."""
        _current.set(self)

    def warn_once(self, text: str) -> None:
        """Write a warning to the log the first time only (workerd warns once per isolate)."""
        if text not in self._warned:
            self._warned.add(text)
            self.log.write("warn", text)

    def __repr__(self) -> str:
        return f"<Isolate {self.name or 'default'} {self.compat!r}>"


_defaults: dict[str, Any] = {"scheduler": _NoScheduler(), "network": _NoScheduler()}
_default: Isolate | None = None
_current: ContextVar[Isolate | None] = ContextVar("wsguide_isolate", default=None)


def install_defaults(scheduler: Scheduler, network: Network) -> None:
    """Install the scheduler and network used by isolates made without one (the network layer does)."""
    _defaults["scheduler"] = scheduler
    _defaults["network"] = network


def default(role: str) -> Any:
    """The default ``"scheduler"`` or ``"network"`` installed now."""
    return _defaults[role]


def defaults_installed() -> bool:
    """True once something other than the stand-in that raises has been installed."""
    return not isinstance(_defaults["scheduler"], _NoScheduler)


def current() -> Isolate:
    """The isolate of the Worker whose code runs now; outside any, the release default."""
    iso = _current.get()
    if iso is not None:
        return iso
    global _default
    if _default is None:
        _default = Isolate(name="default")
    return _default


@types.coroutine
def resume(coro: Any, yielded: Any) -> Any:
    """Drive a coroutine that was already started by hand, from inside a task.

    The task waits on each value the coroutine yields exactly as if it had run
    the coroutine from the start (used for async listeners, which run up to
    their first ``await`` during dispatch, as in JavaScript).
    """
    while True:
        try:
            sent = yield yielded
        except BaseException as exc:  # cancellation or a failed future: pass it in
            try:
                yielded = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                yielded = coro.send(sent)
            except StopIteration as stop:
                return stop.value


def emit(level: str, text: str) -> None:
    """Write one line (``"log"``, ``"info"``, ``"warn"``, ``"error"``) to the current Worker's log."""
    current().log.write(level, text)

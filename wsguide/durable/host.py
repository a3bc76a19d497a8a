"""What runs one Durable Object: its event queue, its instance, its sockets and storage.

What the runtime guarantees, and this module reproduces
(``spec/workers-websocket-semantics.md`` §7):

* **one event at a time, in order** (the *input gate*): a ``fetch``, an RPC
  call and each hibernatable WebSocket event wait their turn in one queue per
  object; a handler runs to completion before the next one starts;
* **hibernation** — sockets accepted with ``ctx.acceptWebSocket(ws, tags)``
  belong to the object, not to the instance. After ``hibernate_after``
  seconds without events (10 s, as in local workerd) the instance is dropped
  while those sockets stay connected; the next event builds a new instance
  (the constructor runs again, in-memory fields are gone, tags and
  attachments remain). Sockets accepted with plain ``accept()`` keep the
  instance awake;
* **eviction** — hibernating is how workerd evicts an idle object
  (``server.c++``: after 10 s without requests the ``Worker::Actor``, and its
  SQLite database with it, is destroyed). So the object's database file is
  closed too, and an object left with no sockets is forgotten altogether; the
  next event opens it again, which the Worker cannot tell apart.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as _dt
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from ..core import isolate as _isolate
from ..core.calls import maybe_await
from ..core.jsapi import JsDate
from ..core.errors import JsError, JsTypeError, ProtocolError, PythonError
from ..core.messages import Closed, Failure, Message
from ..core.states import SocketState
from ..core.websocket import WebSocket
from ..ffi.bridge import js2py, unwrap
from ..http import Request, Response
from ..net.outbox import outbox_for
from ..net.worker import response_of
from ..sdk.http import Request as SdkRequest
from ..sdk.rpc import python_from_rpc, python_to_rpc
from .folder_lock import FolderLocked
from .state import MAX_SOCKETS, MSG_EVENT_TIMEOUT_EXCEEDED, DurableObjectState, WebSocketRequestResponsePair
from .storage import DurableObjectStorage

__all__ = ["HibernationBlocked", "ObjectHost", "Namespace", "Taken"]

MSG_NO_FETCH = "Handler does not export a fetch() function."
#: workerd's error when a Python Durable Object lacks the method the runtime calls (RPC or a hook).
MSG_NO_METHOD = "Method {name} does not exist"

# Which objects' input gates the running code is inside (detects re-entrant calls).
_inside: contextvars.ContextVar[frozenset[Any]] = contextvars.ContextVar("wsguide_do_gate", default=frozenset())


def _crossing(value: Any) -> Any:
    return js2py(value)


def _direct(value: Any) -> Any:
    return value


class Taken:
    """Done when the object starts on a socket's message: the socket may then read its next one.

    Its callbacks run at once, not on a later turn, so that next message is queued
    before the object finishes this one and the queue does not run dry in between.
    """

    __slots__ = ("_callbacks", "_done")

    def __init__(self) -> None:
        self._callbacks: list[Callable[[Taken], object]] = []
        self._done = False

    def add_done_callback(self, fn: Callable[[Taken], object]) -> None:
        if self._done:
            fn(self)
        else:
            self._callbacks.append(fn)

    def set_done(self) -> None:
        self._done = True
        callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            fn(self)


class HibernationBlocked(RuntimeError):
    """``hibernate_now()`` could not hibernate the object; the message says why (wsguide only).

    ``reason`` is the why alone ("1 WebSocket accepted with accept() is still open; ..."), for
    helpers that explain it in their own words.
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


class Namespace(Protocol):
    """What a host needs from the namespace of its class."""

    cls: type
    class_name: str
    persist_dir: Path | None
    hibernate_after: float
    constructions: int

    @property
    def env(self) -> Any: ...

    def worker_context(self) -> contextvars.Context: ...

    def report(self, exc: BaseException) -> None: ...

    def log_error(self, text: str) -> None: ...

    def claim_folder(self) -> None:
        """Lock the persistence folder before a database in it is opened."""
        ...

    def evicted(self, host: ObjectHost) -> None:
        """``host`` was evicted and holds nothing worth keeping: forget it."""
        ...


class ObjectHost:
    """One Durable Object: its queue (input gate), instance, sockets and storage."""

    def __init__(self, ns: Namespace, oid: Any) -> None:
        self.ns = ns
        self.id = oid
        path = None if ns.persist_dir is None else ns.persist_dir / f"{oid}.sqlite"
        self.storage = DurableObjectStorage(path, before_open=ns.claim_folder)
        self.instance: Any = None
        self.constructions = 0
        self.auto_response: WebSocketRequestResponsePair | None = None
        self.event_timeout_ms: int | None = None
        self.max_sockets = MAX_SOCKETS
        self._queue: list[tuple[str, Any, asyncio.Future[Any] | None, frozenset[Any]] | None] = []
        self._qpos = 0
        self.draining = False
        self._sockets: list[WebSocket] = []  # acceptance order
        self._tags: dict[WebSocket, tuple[str, ...]] = {}
        self._by_tag: dict[str, list[WebSocket]] = {}
        self._auto_times: dict[WebSocket, _dt.datetime] = {}
        self._pinned: list[WebSocket] = []  # server ends accepted with accept()
        self._blockers: list[asyncio.Future[Any]] = []
        self._tasks: set[asyncio.Future[Any]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._last_activity = 0.0
        self._idle: asyncio.Event | None = None
        self._drop_waiters: list[asyncio.Future[None]] = []
        #: Set by ``abort()``: the error the event now running ends with.
        self._aborted: JsError | None = None

    # -- what ctx reads ------------------------------------------------------------
    def sockets_newest_first(self) -> list[WebSocket]:
        return list(reversed(self._sockets))

    def sockets_tagged(self, tag: str) -> list[WebSocket]:
        return list(self._by_tag.get(tag, ()))

    def socket_count(self) -> int:
        return len(self._sockets)

    def tags_of(self, ws: WebSocket) -> tuple[str, ...] | None:
        return self._tags.get(ws)

    def auto_response_time(self, ws: WebSocket) -> _dt.datetime | None:
        return self._auto_times.get(ws)

    def dropped(self) -> None:
        """The instance was just dropped (hibernation, abort): wake whoever waits for it."""
        self.instance = None
        for fut in self._drop_waiters:
            if not fut.done():
                fut.set_result(None)
        self._drop_waiters.clear()

    # -- sockets -----------------------------------------------------------------
    def adopt(self, ws: WebSocket, tags: tuple[str, ...]) -> None:
        """``ctx.acceptWebSocket(ws, tags)``: the socket's input comes to this object."""
        ws.accept_hibernatable(self)
        self._sockets.append(ws)
        self._tags[ws] = tags
        for tag in tags:
            self._by_tag.setdefault(tag, []).append(ws)

    def forget(self, ws: WebSocket) -> None:
        """The socket's close (or error) was handled: it leaves ``getWebSockets()``."""
        try:
            self._sockets.remove(ws)
        except ValueError:
            return
        for tag in self._tags.pop(ws, ()):
            members = self._by_tag.get(tag)
            if members is not None:
                members.remove(ws)
                if not members:
                    del self._by_tag[tag]
        self._auto_times.pop(ws, None)
        ws.release_owner()

    def on_socket_input(self, ws: WebSocket, item: Message | Closed | Failure) -> Taken | None:
        """A hibernatable socket's input (called synchronously by the socket).

        For a message, returns a :class:`Taken`, done once its event starts: the
        network reads nothing more from that socket until then, so a client that
        floods a slow object waits in its own socket; this queue holds at most one
        message of it beyond the one being handled.
        """
        pair = self.auto_response
        if pair is not None and isinstance(item, Message) and item.data == pair.request:
            # Answered here, without waking the object or calling webSocketMessage.
            self._auto_times[ws] = JsDate.now(_dt.timezone.utc)  # a JavaScript Date
            ws.send_auto_response(pair.response)
            return None
        taken = Taken() if isinstance(item, Message) else None
        self.submit("ws", (ws, item, taken), None, frozenset())
        return taken

    def abort(self, error: JsError) -> None:
        """The object failed (``abort()``, event timeout): drop it and disconnect its sockets.

        The event now running ends with ``error``, whatever the object's code does after the
        call: workerd stops the code at once (``DurableObjectState::abort`` breaks the output
        gate and terminates execution), so the caller of a stub gets the abort ``Error`` itself.
        """
        self._aborted = error
        self.dropped()
        for fut in self._blockers:
            fut.cancel()
        self._blockers.clear()
        for ws in list(self._sockets):
            self.forget(ws)
            ws.drop()
        for ws in self._pinned:
            if ws.state is SocketState.ACCEPTED:
                ws.drop()
        self._pinned.clear()

    # -- the queue ---------------------------------------------------------------
    def submit(self, kind: str, payload: Any, fut: asyncio.Future[Any] | None, chain: frozenset[Any]) -> None:
        self._queue.append((kind, payload, fut, chain))
        if not self.draining:
            self.draining = True
            loop = asyncio.get_running_loop()
            loop.create_task(self._drain(), context=self.ns.worker_context())

    async def call(self, kind: str, payload: Any) -> Any:
        chain = _inside.get()
        if self in chain:  # re-entrant (A calls itself, or A → B → A): run now
            return await self._run(kind, payload)
        fut = asyncio.get_running_loop().create_future()
        self.submit(kind, payload, fut, chain)
        return await fut

    async def _drain(self) -> None:
        # What the object's sockets send while it works through its queue is held and written
        # together (a room's broadcasts: one write per member, not one per message and member).
        outbox = outbox_for(asyncio.get_running_loop())
        try:
            while self._qpos < len(self._queue):
                outbox.hold()  # again after a suspension: the turn's end flushed and let go
                entry = self._queue[self._qpos]
                self._queue[self._qpos] = None
                self._qpos += 1
                if self._qpos > 1024:
                    del self._queue[: self._qpos]
                    self._qpos = 0
                assert entry is not None
                kind, payload, fut, chain = entry
                if fut is not None and fut.done():
                    continue
                if kind == "ws" and payload[2] is not None:
                    try:
                        payload[2].set_done()  # taken: its socket may read the next message
                    except Exception as exc:  # a bug of the network side; the object goes on
                        self.ns.report(exc)
                _inside.set(chain | {self})
                self._aborted = None
                try:
                    result = await self._run(kind, payload)
                except Exception as exc:
                    aborted, self._aborted = self._aborted, None
                    if fut is not None:
                        if not fut.done():  # the caller may have given up (cancelled)
                            fut.set_exception(aborted or self._crossing_error(kind, exc))
                    elif aborted is None:
                        self.ns.report(exc)
                else:
                    aborted, self._aborted = self._aborted, None
                    if fut is not None and not fut.done():
                        if aborted is not None:
                            fut.set_exception(aborted)
                        else:
                            fut.set_result(result)
        finally:
            outbox.flush()
            self._queue.clear()
            self._qpos = 0
            self.draining = False
            self._last_activity = asyncio.get_running_loop().time()
            self._arm()
            if self._idle is not None:
                self._idle.set()

    async def _run(self, kind: str, payload: Any) -> Any:
        if kind == "hibernate":
            return self._hibernate()
        if kind == "ws":
            ws, item, _taken = payload
            if ws not in self._tags:
                return None  # forgotten: disconnected by abort(), or its close already handled
            try:
                inst = self._ensure_instance()
            except BaseException:
                if not isinstance(item, Message):
                    self.forget(ws)
                raise
        else:
            inst = self._ensure_instance()
        await self._await_blockers()
        try:
            if kind == "fetch":
                return await self._fetch(inst, payload)
            if kind == "rpc":
                name, args, kwargs = payload
                method = getattr(inst, name, None) if not name.startswith("_") else None
                if method is None or not callable(method):
                    error = JsTypeError(MSG_NO_METHOD.format(name=name))
                    self.ns.report(error)  # workerd logs it as uncaught, and the caller gets it too
                    raise error
                if not _isolate.current().pyodide:
                    return await maybe_await(method(*args, **kwargs))
                # As workerd's Python entry point: arguments and result cross like the SDK's RPC.
                py_args = [python_from_rpc(js2py(a)) for a in args]
                py_kwargs = {k: python_from_rpc(js2py(v)) for k, v in kwargs.items()}
                result = await maybe_await(method(*py_args, **py_kwargs))
                return unwrap(python_to_rpc(result))
            if kind == "block":
                return await maybe_await(payload())
            return await self._ws_event(inst, ws, item)
        finally:
            await self._await_blockers()

    def _crossing_error(self, kind: str, exc: Exception) -> Exception:
        """What the caller of a stub gets when the object's code raised.

        On Python Workers the error crosses to the caller as a JavaScript error (only its
        text travels: the Python exception stays with the object, which logs it as uncaught).
        """
        if isinstance(exc, FolderLocked):
            # Not the object's code failing but wsguide's own storage refusing to open (another
            # process holds the folder): the caller gets it as it is, with the holder's PID.
            return exc
        if kind not in ("fetch", "rpc") or not _isolate.current().pyodide or isinstance(exc, JsError):
            return exc
        self.ns.report(exc)
        return PythonError(exc, keep=False)

    def _ensure_instance(self) -> Any:
        if self.instance is None:
            ctx = DurableObjectState(self)
            self.constructions += 1
            self.ns.constructions += 1
            boundary = _crossing if _isolate.current().pyodide else _direct
            self.instance = self.ns.cls(boundary(ctx), boundary(self.ns.env))
        return self.instance

    def block(self, callback: Callable[[], Any]) -> asyncio.Future[Any]:
        """``ctx.blockConcurrencyWhile(callback)``: no other event runs until it ends."""
        if self in _inside.get():
            fut = asyncio.ensure_future(maybe_await(callback()))
            self._blockers.append(fut)
            return fut
        return asyncio.ensure_future(self.call("block", callback))

    def keep_awake(self, awaitable: Awaitable[Any]) -> None:
        """``ctx.waitUntil(awaitable)``: the object does not hibernate until it ends."""
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _await_blockers(self) -> None:
        while self._blockers:
            fut = self._blockers.pop(0)
            try:
                await fut
            except Exception:
                self.instance = None  # a failed blockConcurrencyWhile resets the object
                raise

    async def _fetch(self, inst: Any, request: Request) -> Response:
        handler = getattr(inst, "fetch", None)
        if handler is None:
            raise JsTypeError(MSG_NO_FETCH)
        arg = SdkRequest(js2py(request)) if _isolate.current().pyodide else request
        resp = response_of(await maybe_await(handler(arg)))
        ws = resp.socket
        server_end = ws.peer if ws is not None else None
        if server_end is not None and server_end.state is not SocketState.HIBERNATABLE:
            self._pinned.append(server_end)
        return resp

    async def _ws_event(self, inst: Any, ws: WebSocket, item: Message | Closed | Failure) -> None:
        try:
            # The hooks get what workerd's Python entry point gives: the socket and binary
            # data as JsProxy, text as str, close details as Python values.
            cross = _crossing if _isolate.current().pyodide else _direct
            if isinstance(item, Message):
                name, args = "webSocketMessage", (cross(ws), cross(item.data))
            elif isinstance(item, Closed):
                name, args = "webSocketClose", (cross(ws), item.code, item.reason, item.was_clean)
            else:
                name, args = "webSocketError", (cross(ws), cross(item.error))
            hook = getattr(inst, name, None)
            if hook is None:
                self.ns.report(JsTypeError(MSG_NO_METHOD.format(name=name)))
                return
            try:
                if self.event_timeout_ms:
                    async with asyncio.timeout(self.event_timeout_ms / 1000):
                        await maybe_await(hook(*args))
                else:
                    await maybe_await(hook(*args))
            except TimeoutError:
                error = JsError(MSG_EVENT_TIMEOUT_EXCEEDED)
                self.ns.log_error(f"broken.dropped; jsg.Error: {error}")
                self.abort(error)
            except Exception as exc:
                if self._aborted is None:  # the hook's own error; not ctx.abort() ending it
                    self.ns.report(exc)
        finally:
            if not isinstance(item, Message):
                self.forget(ws)
            if isinstance(item, Failure) and isinstance(item.error, ProtocolError) and item.error.code == 1009:
                # workerd replaces the object after a message over the limit (findings F4):
                # the next event runs on a new instance; hibernated sockets stay.
                self.dropped()

    # -- hibernation ----------------------------------------------------------
    def busy_reason(self) -> str | None:
        """Why the instance cannot hibernate now, or ``None``."""
        self._pinned = [
            ws for ws in self._pinned
            if ws.state is SocketState.ACCEPTED and ws.readyState != WebSocket.CLOSED and not ws.outgoing_aborted
        ]
        if self._pinned:
            n = len(self._pinned)
            return (
                f"{n} WebSocket{'s' if n != 1 else ''} accepted with accept() "
                f"{'are' if n != 1 else 'is'} still open; only sockets accepted with "
                "ctx.acceptWebSocket() let a Durable Object hibernate"
            )
        if self._tasks:
            return "work passed to ctx.waitUntil() is still running"
        return None

    def _hibernate(self) -> bool:
        if self.instance is None:
            return False
        reason = self.busy_reason()
        if reason is not None:
            raise HibernationBlocked(f"{self.ns.class_name} {self.id.name or self.id} cannot hibernate: {reason}.", reason)
        self.dropped()
        self.storage.release_connection()
        return True

    def evict(self) -> None:
        """Idle long enough: drop the instance, close the database, forget an empty object."""
        self.dropped()
        self.storage.release_connection()
        if not self._sockets and self.auto_response is None and self.event_timeout_ms is None:
            self.ns.evicted(self)

    def _arm(self) -> None:
        after = self.ns.hibernate_after
        if self.instance is None or self._timer is not None or not math.isfinite(after):
            return
        self._timer = asyncio.get_running_loop().call_later(after, self._on_idle)

    def _on_idle(self) -> None:
        self._timer = None
        if self.instance is None or self.draining:
            return
        loop = asyncio.get_running_loop()
        after = self.ns.hibernate_after
        remaining = self._last_activity + after - loop.time()
        if remaining > 0:
            self._timer = loop.call_later(remaining, self._on_idle)
        elif self.busy_reason() is not None:
            self._timer = loop.call_later(after, self._on_idle)
        else:
            self.evict()

    async def wait_dropped(self) -> None:
        """Wait until the instance is dropped (returns at once if there is none)."""
        if self.instance is None:
            return
        fut = asyncio.get_running_loop().create_future()
        self._drop_waiters.append(fut)
        await fut

    async def wait_idle(self) -> None:
        """Wait until the queued events have run."""
        self._idle = asyncio.Event()
        while self.draining:
            self._idle.clear()
            await self._idle.wait()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.instance = None
        self.storage.close()

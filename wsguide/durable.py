"""Durable Objects: one instance per id, storage, and the WebSocket Hibernation API.

``serve(Worker, durable_objects={"ROOMS": ChatRoom})`` puts a
:class:`DurableObjectNamespace` at ``self.env.ROOMS``. A Worker reaches one
object with ``stub = self.env.ROOMS.getByName("lobby")`` and talks to it with
``await stub.fetch(request)`` (a WebSocket upgrade passes straight through) or
RPC, ``await stub.some_method(...)``.

What the runtime guarantees, and this module reproduces
(``spec/workers-websocket-semantics.md`` §7):

* **one instance per id** — every stub for the same id reaches the same object;
* **one event at a time, in order** (the *input gate*): a ``fetch``, an RPC
  call and each hibernatable WebSocket event wait their turn in one queue per
  object; a handler runs to completion before the next one starts;
* **storage** — ``ctx.storage`` (key-value and ``sql.exec``) on the object's
  own SQLite database (:mod:`wsguide.storage`), committed before a write returns;
* **hibernation** — sockets accepted with ``ctx.acceptWebSocket(ws, tags)``
  belong to the object, not to the instance. After ``hibernate_after``
  seconds without events (10 s, as in local workerd) the instance is dropped
  while those sockets stay connected; the next event builds a new instance
  (the constructor runs again, in-memory fields are gone, tags and
  attachments remain). Sockets accepted with plain ``accept()`` keep the
  instance awake. ``await ns.hibernate_now("lobby")`` forces it (wsguide only).
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as _dt
import hashlib
import math
import re
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from . import hibernation as _h
from .errors import Error
from .hibernation import (
    DEFAULT_HIBERNATE_AFTER,
    MAX_SOCKETS,
    DurableObjectState,
    WebSocketRequestResponsePair,
    _inside,
    _maybe_await,
    deserialize_attachment,
    serialize_attachment,
)
from .http import Request, Response
from .log import emit
from .storage import DataCloneError, DurableObjectStorage
from .websocket import SocketState, WebSocket

MSG_EVENT_TIMEOUT_EXCEEDED = _h.MSG_EVENT_TIMEOUT_EXCEEDED
MSG_BAD_ID = "Invalid Durable Object ID: must be 64 hex digits"
MSG_NO_FETCH = "Handler does not export a fetch() function."
MSG_NO_RPC = 'The RPC receiver does not implement the method "{name}".'

_HEX64 = re.compile(r"[0-9a-f]{64}")

__all__ = [
    "DataCloneError",
    "DurableObject",
    "DurableObjectId",
    "DurableObjectNamespace",
    "DurableObjectState",
    "DurableObjectStorage",
    "DurableObjectStub",
    "HibernationBlocked",
    "WebSocketRequestResponsePair",
    "deserialize_attachment",
    "hibernate",
    "serialize_attachment",
]

class DurableObjectId:
    """Names one Durable Object: 64 hex digits (``str(id)``), plus ``.name`` when made from a name."""

    __slots__ = ("_hex", "name")

    def __init__(self, hex_id: str, name: str | None = None) -> None:
        self._hex = hex_id
        self.name = name

    def toString(self) -> str:
        return self._hex

    to_string = toString
    __str__ = toString

    def equals(self, other: Any) -> bool:
        return isinstance(other, DurableObjectId) and other._hex == self._hex

    def __eq__(self, other: object) -> bool:
        return self.equals(other)

    def __hash__(self) -> int:
        return hash(self._hex)

    def __repr__(self) -> str:
        extra = f" name={self.name!r}" if self.name is not None else ""
        return f"<DurableObjectId {self._hex[:12]}…{extra}>"


class HibernationBlocked(RuntimeError):
    """``hibernate_now()`` could not hibernate the object; the message says why (wsguide only)."""


class DurableObject:
    """Base class of a Durable Object: ``self.ctx`` (its state) and ``self.env``.

    Define ``async def fetch(self, request)`` for HTTP/WebSocket requests, any
    public method for RPC, and the hibernation hooks ``webSocketMessage``,
    ``webSocketClose``, ``webSocketError`` as needed.
    """

    def __init__(self, ctx: DurableObjectState, env: Any) -> None:
        self.ctx = ctx
        self.env = env


# ---------------------------------------------------------------------------
# One object: its queue (input gate), instance, sockets and storage
# ---------------------------------------------------------------------------
class _Host:
    def __init__(self, ns: DurableObjectNamespace, oid: DurableObjectId) -> None:
        self.ns = ns
        self.id = oid
        path = None if ns.persist_dir is None else ns.persist_dir / f"{oid}.sqlite"
        self.storage = DurableObjectStorage(path)
        self.instance: Any = None
        self.ctx: DurableObjectState | None = None
        self.constructions = 0
        self.queue: list[tuple[str, Any, asyncio.Future[Any] | None, frozenset[Any]]] = []
        self.qpos = 0
        self.draining = False
        self.sockets: list[WebSocket] = []  # acceptance order
        self.by_tag: dict[str, list[WebSocket]] = {}
        self.auto_response: WebSocketRequestResponsePair | None = None
        self.event_timeout: int | None = None
        self.max_sockets = MAX_SOCKETS
        self.pinned: list[WebSocket] = []  # server ends accepted with accept()
        self.blockers: list[asyncio.Future[Any]] = []
        self.tasks: set[asyncio.Future[Any]] = set()
        self.timer: asyncio.TimerHandle | None = None
        self.last_activity = 0.0
        self.idle: asyncio.Event | None = None
        self.drop_waiters: list[asyncio.Future[None]] = []

    def dropped(self) -> None:
        """The instance was just dropped (hibernation, abort): wake whoever waits for it."""
        self.instance = None
        self.ctx = None
        for fut in self.drop_waiters:
            if not fut.done():
                fut.set_result(None)
        self.drop_waiters.clear()

    # -- sockets -----------------------------------------------------------------
    def adopt(self, ws: WebSocket, tags: tuple[str, ...]) -> None:
        ws._hib_tags = tags
        ws._item_hook = self.on_item
        self.sockets.append(ws)
        for tag in tags:
            self.by_tag.setdefault(tag, []).append(ws)
        ws._become_accepted(hibernatable=True)

    def forget(self, ws: WebSocket) -> None:
        try:
            self.sockets.remove(ws)
        except ValueError:
            return
        for tag in getattr(ws, "_hib_tags", ()):
            lst = self.by_tag.get(tag)
            if lst is not None:
                lst.remove(ws)
                if not lst:
                    del self.by_tag[tag]
        ws._item_hook = None

    def on_item(self, ws: WebSocket, item: tuple[Any, ...]) -> None:
        """Called by the socket for each incoming item (synchronously)."""
        pair = self.auto_response
        if pair is not None and item[0] == "message" and item[1] == pair.request:
            # Answered here, without waking the object or calling webSocketMessage.
            ws._auto_ts = _dt.datetime.now(_dt.timezone.utc)
            if not ws._closed_outgoing and not ws._outgoing_aborted:
                ws._outbox.append(("message", pair.response))
                ws._pump()
            return
        self.submit("ws", (ws, item), None, frozenset())

    @staticmethod
    def _disconnect(ws: WebSocket) -> None:
        if ws._outgoing_aborted and ws._closed_incoming:
            return
        ws._closed_incoming = True
        ws._outbox.append(("disconnect",))
        ws._pump()
        ws._outgoing_aborted = True

    def break_(self, exc: BaseException) -> None:
        """The object failed (abort(), event timeout): drop it and disconnect its sockets."""
        self.dropped()
        for fut in self.blockers:
            fut.cancel()
        self.blockers.clear()
        for ws in list(self.sockets):
            self.forget(ws)
            self._disconnect(ws)
        for ws in self.pinned:
            if ws._state is SocketState.ACCEPTED:
                self._disconnect(ws)
        self.pinned.clear()

    # -- the queue ---------------------------------------------------------------
    def submit(self, kind: str, payload: Any, fut: asyncio.Future[Any] | None, chain: frozenset[Any]) -> None:
        self.queue.append((kind, payload, fut, chain))
        if not self.draining:
            self.draining = True
            loop = asyncio.get_running_loop()
            loop.create_task(self._drain(), context=self.ns._context().copy())

    async def call(self, kind: str, payload: Any) -> Any:
        chain = _inside.get()
        if self in chain:  # re-entrant (A calls itself, or A → B → A): run now
            return await self._run(kind, payload)
        fut = asyncio.get_running_loop().create_future()
        self.submit(kind, payload, fut, chain)
        return await fut

    async def _drain(self) -> None:
        try:
            while self.qpos < len(self.queue):
                kind, payload, fut, chain = self.queue[self.qpos]
                self.queue[self.qpos] = None  # type: ignore[call-overload]
                self.qpos += 1
                if self.qpos > 1024:
                    del self.queue[: self.qpos]
                    self.qpos = 0
                if fut is not None and fut.done():
                    continue
                _inside.set(chain | {self})
                try:
                    result = await self._run(kind, payload)
                except Exception as exc:
                    if fut is not None:
                        if not fut.done():  # the caller may have given up (cancelled)
                            fut.set_exception(exc)
                    else:
                        self.ns._report(exc, f"Durable Object {self.ns.class_name} ({kind} event)")
                else:
                    if fut is not None and not fut.done():
                        fut.set_result(result)
        finally:
            self.queue.clear()
            self.qpos = 0
            self.draining = False
            self.last_activity = asyncio.get_running_loop().time()
            self._arm()
            if self.idle is not None:
                self.idle.set()

    async def _run(self, kind: str, payload: Any) -> Any:
        if kind == "hibernate":
            return self._hibernate()
        if kind == "ws":
            ws, item = payload
            if ws._item_hook is None:
                return None  # forgotten: disconnected by abort(), or its close already handled
            try:
                inst = self._ensure_instance()
            except BaseException:
                if item[0] != "message":
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
                    raise TypeError(MSG_NO_RPC.format(name=name))
                return await _maybe_await(method(*args, **kwargs))
            if kind == "block":
                return await _maybe_await(payload())
            return await self._ws_event(inst, *payload)
        finally:
            await self._await_blockers()

    def _ensure_instance(self) -> Any:
        if self.instance is None:
            ctx = DurableObjectState(self)
            self.constructions += 1
            self.ns.constructions += 1
            instance = self.ns.cls(ctx, self.ns.env)
            self.ctx, self.instance = ctx, instance
        return self.instance

    async def _await_blockers(self) -> None:
        while self.blockers:
            fut = self.blockers.pop(0)
            try:
                await fut
            except Exception:
                self.instance = None  # a failed blockConcurrencyWhile resets the object
                self.ctx = None
                raise

    async def _fetch(self, inst: Any, request: Request) -> Response:
        handler = getattr(inst, "fetch", None)
        if handler is None:
            raise TypeError(MSG_NO_FETCH)
        resp = await _maybe_await(handler(request))
        if not isinstance(resp, Response):
            raise TypeError(
                f"{self.ns.class_name}.fetch() must return a Response, got {type(resp).__name__}."
            )
        ws = resp.web_socket
        server_end = ws._peer if ws is not None else None
        if server_end is not None and not server_end._hibernatable:
            self.pinned.append(server_end)
        return resp

    async def _ws_event(self, inst: Any, ws: WebSocket, item: tuple[Any, ...]) -> None:
        kind = item[0]
        try:
            if kind == "message":
                hook, args = getattr(inst, "webSocketMessage", None), (ws, item[1])
            elif kind == "close":
                hook, args = getattr(inst, "webSocketClose", None), (ws, item[1], item[2], item[3])
            else:
                hook, args = getattr(inst, "webSocketError", None), (ws, item[2])
            if hook is None:
                return  # no handler: the event is dropped, as on Workers
            try:
                if self.event_timeout:
                    async with asyncio.timeout(self.event_timeout / 1000):
                        await _maybe_await(hook(*args))
                else:
                    await _maybe_await(hook(*args))
            except TimeoutError:
                exc = Error(MSG_EVENT_TIMEOUT_EXCEEDED)
                self.ns._report(exc, f"broken.dropped; {self.ns.class_name}.{hook.__name__}")
                self.break_(exc)
            except Exception as exc:
                self.ns._report(exc, f"Uncaught exception in {self.ns.class_name}.{hook.__name__}")
        finally:
            if kind != "message":
                self.forget(ws)
            if kind == "error" and "statusCode = 1009" in str(item[1]):
                # workerd replaces the object after a message over the limit (FINDINGS F4):
                # the next event runs on a new instance; hibernated sockets stay.
                self.dropped()

    # -- hibernation ----------------------------------------------------------
    def busy_reason(self) -> str | None:
        self.pinned = [
            ws for ws in self.pinned
            if ws._state is SocketState.ACCEPTED and not ws._hibernatable
            and ws.readyState != 3 and not ws._outgoing_aborted
        ]
        if self.pinned:
            n = len(self.pinned)
            return (
                f"{n} WebSocket{'s' if n != 1 else ''} accepted with accept() "
                f"{'are' if n != 1 else 'is'} still open; only sockets accepted with "
                "ctx.acceptWebSocket() let a Durable Object hibernate"
            )
        if self.tasks:
            return "work passed to ctx.waitUntil() is still running"
        return None

    def _hibernate(self) -> bool:
        if self.instance is None:
            return False
        reason = self.busy_reason()
        if reason is not None:
            raise HibernationBlocked(f"{self.ns.class_name} {self.id.name or self.id} cannot hibernate: {reason}.")
        self.dropped()
        return True

    def _arm(self) -> None:
        after = self.ns.hibernate_after
        if self.instance is None or self.timer is not None or not math.isfinite(after):
            return
        self.timer = asyncio.get_running_loop().call_later(after, self._on_idle)

    def _on_idle(self) -> None:
        self.timer = None
        if self.instance is None or self.draining:
            return
        loop = asyncio.get_running_loop()
        after = self.ns.hibernate_after
        remaining = self.last_activity + after - loop.time()
        if remaining > 0:
            self.timer = loop.call_later(remaining, self._on_idle)
        elif self.busy_reason() is not None:
            self.timer = loop.call_later(after, self._on_idle)
        else:
            self.dropped()

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.instance = None
        self.ctx = None
        self.storage.close()


# ---------------------------------------------------------------------------
# Namespace and stubs
# ---------------------------------------------------------------------------
class DurableObjectNamespace:
    """``self.env.ROOMS``: makes ids and stubs for one Durable Object class."""

    def __init__(
        self,
        cls: type,
        *,
        server: Any = None,
        binding: str | None = None,
        persist: Any = None,
        hibernate_after: float | None = None,
        env: Any = None,
    ) -> None:
        self.cls = cls
        self.class_name = cls.__name__
        self.binding = binding or self.class_name
        self.server = server
        self._env = env
        if persist is False or persist == ":memory:":
            self.persist_dir: Path | None = None
        else:
            base = Path(".wsguide") if persist in (None, True) else Path(persist)
            self.persist_dir = base.resolve() / "do" / self.class_name
        if hibernate_after is None:
            hibernate_after = DEFAULT_HIBERNATE_AFTER
        elif hibernate_after is False:
            hibernate_after = math.inf
        self.hibernate_after = float(hibernate_after)
        self._hosts: dict[str, _Host] = {}
        self._ctx_fallback = contextvars.copy_context()
        #: How many times the class's constructor ran, over all objects (wsguide only).
        self.constructions = 0

    @property
    def env(self) -> Any:
        if self._env is not None:
            return self._env
        return getattr(self.server, "env", None)

    def _context(self) -> contextvars.Context:
        ctx = getattr(self.server, "_context", None)
        return ctx if ctx is not None else self._ctx_fallback

    def _report(self, exc: BaseException, where: str) -> None:
        if self.server is not None:
            self.server._report(exc, where)
        else:
            emit("error", f"{where}: {type(exc).__name__}: {exc}")

    # -- ids ---------------------------------------------------------------------
    def idFromName(self, name: str) -> DurableObjectId:
        """The id for ``name``: always the same for the same name and class."""
        digest = hashlib.sha256(f"{self.class_name}\0{name}".encode()).hexdigest()
        return DurableObjectId(digest, str(name))

    def newUniqueId(self, options: Any = None) -> DurableObjectId:
        return DurableObjectId(secrets.token_hex(32))

    def idFromString(self, hex_id: str) -> DurableObjectId:
        if not isinstance(hex_id, str) or not _HEX64.fullmatch(hex_id):
            raise TypeError(MSG_BAD_ID)
        return DurableObjectId(hex_id)

    def get(self, oid: DurableObjectId, options: Any = None) -> DurableObjectStub:
        if not isinstance(oid, DurableObjectId):
            raise TypeError("get() needs a DurableObjectId: use idFromName(), newUniqueId() or getByName().")
        return DurableObjectStub(self, oid)

    def getByName(self, name: str, options: Any = None) -> DurableObjectStub:
        return self.get(self.idFromName(name))

    id_from_name = idFromName
    new_unique_id = newUniqueId
    id_from_string = idFromString
    get_by_name = getByName

    # -- objects (wsguide only helpers) -----------------------------------------
    def _resolve(self, target: Any) -> DurableObjectId:
        if isinstance(target, DurableObjectStub):
            return target.id
        if isinstance(target, DurableObjectId):
            return target
        return self.idFromName(str(target))

    def _host(self, oid: DurableObjectId) -> _Host:
        host = self._hosts.get(oid._hex)
        if host is None:
            host = self._hosts[oid._hex] = _Host(self, oid)
        return host

    def instance(self, target: Any) -> Any:
        """The live instance for a name/id/stub, or ``None`` if hibernated or never built (wsguide only)."""
        host = self._hosts.get(self._resolve(target)._hex)
        return None if host is None else host.instance

    def is_hibernating(self, target: Any) -> bool:
        """True when the object exists (has sockets or state) but has no live instance (wsguide only)."""
        return self.instance(target) is None

    def constructor_runs(self, target: Any) -> int:
        """How many times the constructor ran for this object (wsguide only)."""
        host = self._hosts.get(self._resolve(target)._hex)
        return 0 if host is None else host.constructions

    def sockets(self, target: Any) -> list[WebSocket]:
        """The object's hibernatable sockets, oldest first (wsguide only; works while hibernating)."""
        host = self._hosts.get(self._resolve(target)._hex)
        return [] if host is None else list(host.sockets)

    async def hibernate_now(self, target: Any, timeout: float = 30.0) -> bool:
        """Hibernate the object now, after the events already queued (wsguide only).

        Returns True if an instance was dropped, False if there was none.
        Raises :class:`HibernationBlocked` (saying why) if sockets accepted
        with ``accept()`` or ``waitUntil()`` work keep it awake, and
        ``TimeoutError`` if the queued events take longer than ``timeout`` s.
        """
        oid = self._resolve(target)
        host = self._hosts.get(oid._hex)
        if host is None:
            return False
        try:
            async with asyncio.timeout(timeout):
                return await host.call("hibernate", None)
        except TimeoutError:
            raise TimeoutError(
                f"{self.class_name} {oid.name or oid} was still handling an event after "
                f"{timeout} s, so it could not hibernate (is a handler waiting forever?)."
            ) from None

    async def wait_hibernated(self, target: Any, timeout: float = 30.0) -> None:
        """Wait (at most ``timeout`` seconds) until the object has no live instance (wsguide only)."""
        oid = self._resolve(target)
        host = self._hosts.get(oid._hex)
        if host is None or host.instance is None:
            return
        fut = asyncio.get_running_loop().create_future()
        host.drop_waiters.append(fut)
        try:
            async with asyncio.timeout(timeout):
                await fut
        except TimeoutError:
            reason = host.busy_reason()
            raise TimeoutError(
                f"{self.class_name} {oid.name or oid} did not hibernate within {timeout} s "
                f"(hibernate_after={self.hibernate_after} s)" + (f": {reason}." if reason else ".")
            ) from None

    async def close(self) -> None:
        """Let queued events finish (up to 5 s), then close every database."""
        for host in list(self._hosts.values()):
            if host.draining:
                host.idle = asyncio.Event()
                try:
                    async with asyncio.timeout(5):
                        while host.draining:
                            host.idle.clear()
                            await host.idle.wait()
                except TimeoutError:
                    emit("warn", f"{self.class_name}: events still running at shutdown were dropped")
            host.close()
        self._hosts.clear()

    def __repr__(self) -> str:
        return f"<DurableObjectNamespace {self.binding} ({self.class_name})>"


class DurableObjectStub:
    """Talks to one Durable Object: ``await stub.fetch(request)`` or ``await stub.method(...)``."""

    def __init__(self, ns: DurableObjectNamespace, oid: DurableObjectId) -> None:
        self._ns = ns
        self.id = oid
        self.name = oid.name

    async def fetch(
        self,
        resource: str | Request,
        *,
        method: str | None = None,
        headers: Any = None,
        body: str | bytes | None = None,
        **_ignored: Any,
    ) -> Response:
        """Send an HTTP request (or a WebSocket upgrade) to the object's ``fetch``."""
        if isinstance(resource, Request):
            request = Request(resource, method=method or "GET", headers=headers, body=body)
        else:
            request = Request(str(resource), method=method or "GET", headers=headers, body=body)
        return await self._ns._host(self.id).call("fetch", request)

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        if name.startswith("_"):
            raise AttributeError(name)
        host_of = self._ns._host
        oid = self.id

        async def rpc(*args: Any, **kwargs: Any) -> Any:
            return await host_of(oid).call("rpc", (name, args, kwargs))

        rpc.__name__ = name
        return rpc

    def __repr__(self) -> str:
        return f"<DurableObjectStub {self._ns.class_name} {self.name or self.id}>"


async def hibernate(stub: DurableObjectStub) -> bool:
    """Force the stub's object to hibernate now (wsguide only); see ``hibernate_now``."""
    return await stub._ns.hibernate_now(stub.id)

"""``env.ROOMS``: ids, stubs and the namespace of one Durable Object class.

``serve(Worker, durable_objects={"ROOMS": ChatRoom})`` puts a
:class:`DurableObjectNamespace` at ``self.env.ROOMS``. A Worker reaches one
object with ``stub = self.env.ROOMS.getByName("lobby")`` and talks to it with
``await stub.fetch(request)`` (a WebSocket upgrade passes straight through) or
RPC, ``await stub.some_method(...)``. Every stub for the same id reaches the
same object (:class:`~wsguide.durable.host.ObjectHost`).
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import math
import re
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ..core.errors import JsError, JsTypeError, PythonError
from ..core.jsapi import JsInterface
from ..core.isolate import emit
from ..core.websocket import WebSocket
from ..http import Request, Response
from .folder_lock import FolderLock
from .host import ObjectHost

__all__ = ["DurableObjectId", "DurableObjectNamespace", "DurableObjectStub"]

MSG_BAD_ID = "Invalid Durable Object ID: must be 64 hex digits"
DEFAULT_HIBERNATE_AFTER = 10.0

_HEX64 = re.compile(r"[0-9a-f]{64}")


class DurableObjectId:
    """Names one Durable Object: 64 hex digits (``str(id)``), plus ``.name`` when made from a name."""

    __slots__ = ("_hex", "name")
    __js__ = JsInterface("DurableObjectId", methods=("toString", "equals"), properties=("name",))

    def __init__(self, hex_id: str, name: str | None = None) -> None:
        self._hex = hex_id
        self.name = name

    def toString(self) -> str:
        return self._hex

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


class DurableObjectNamespace:
    """``self.env.ROOMS``: makes ids and stubs for one Durable Object class.

    ``server`` is the server whose Worker uses it (for ``env``, the Worker's
    isolate and its error log); without one, ``env`` is used and errors go to
    the current log.
    """

    __js__ = JsInterface(
        "DurableObjectNamespace", methods=("idFromName", "newUniqueId", "idFromString", "get", "getByName")
    )

    def __init__(
        self,
        cls: type,
        *,
        server: Any = None,
        binding: str | None = None,
        persist: Any = None,
        hibernate_after: float | bool | None = None,
        env: Any = None,
    ) -> None:
        self.cls = cls
        self.class_name = cls.__name__
        self.binding = binding or self.class_name
        self.server = server
        self._env = env
        self._folder: FolderLock | None = None
        if persist is False or persist == ":memory:":
            self.persist_dir: Path | None = None
        else:
            base = Path(".wsguide") if persist in (None, True) else Path(persist)
            self._folder = FolderLock(base)
            self.persist_dir = self._folder.folder / "do" / self.class_name
        if hibernate_after is None:
            hibernate_after = DEFAULT_HIBERNATE_AFTER
        elif hibernate_after is False:
            hibernate_after = math.inf
        self.hibernate_after = float(hibernate_after)
        self._hosts: dict[str, ObjectHost] = {}
        self._past_constructions: dict[str, int] = {}  # of evicted objects (constructor_runs)
        self._fallback_context = contextvars.copy_context()
        #: How many times the class's constructor ran, over all objects (wsguide only).
        self.constructions = 0

    @property
    def env(self) -> Any:
        if self._env is not None:
            return self._env
        return getattr(self.server, "env", None)

    def worker_context(self) -> contextvars.Context:
        """A copy of the context the Worker's code runs in (its isolate)."""
        if self.server is not None:
            return self.server.worker_context()
        return self._fallback_context.copy()

    def claim_folder(self) -> None:
        """Lock the persistence folder for this process (raises ``FolderLocked`` if another has it)."""
        if self._folder is not None:
            self._folder.acquire()

    def evicted(self, host: ObjectHost) -> None:
        hex_id = host.id._hex
        if self._hosts.get(hex_id) is host:
            del self._hosts[hex_id]
            if host.constructions:
                self._past_constructions[hex_id] = host.constructions
                if len(self._past_constructions) > 10_000:  # a counter for notebooks: keep it small
                    del self._past_constructions[next(iter(self._past_constructions))]

    def log_error(self, text: str) -> None:
        """Write a line of the runtime's own to the Worker's log."""
        log = self.server.log if self.server is not None else None
        if log is not None:
            log.write("error", text)
        else:
            emit("error", text)

    def report(self, exc: BaseException) -> None:
        """Log an exception the object's code let escape (in the Worker's log)."""
        if self.server is not None:
            self.server.report(exc)
        else:
            error = exc if isinstance(exc, JsError) else PythonError(exc)
            emit("error", f"Uncaught (in promise) {error.name}: {error}")

    # -- ids ---------------------------------------------------------------------
    def idFromName(self, name: str) -> DurableObjectId:
        """The id for ``name``: always the same for the same name and class."""
        digest = hashlib.sha256(f"{self.class_name}\0{name}".encode()).hexdigest()
        return DurableObjectId(digest, str(name))

    def newUniqueId(self, options: Any = None) -> DurableObjectId:
        return DurableObjectId(secrets.token_hex(32))

    def idFromString(self, hex_id: str) -> DurableObjectId:
        if not isinstance(hex_id, str) or not _HEX64.fullmatch(hex_id):
            raise JsTypeError(MSG_BAD_ID)
        return DurableObjectId(hex_id)

    def get(self, oid: DurableObjectId, options: Any = None) -> DurableObjectStub:
        if not isinstance(oid, DurableObjectId):
            raise JsTypeError("get() needs a DurableObjectId: use idFromName(), newUniqueId() or getByName().")
        return DurableObjectStub(self, oid)

    def getByName(self, name: str, options: Any = None) -> DurableObjectStub:
        return self.get(self.idFromName(name))

    # -- objects (wsguide only helpers) -----------------------------------------
    def _resolve(self, target: Any) -> DurableObjectId:
        if isinstance(target, DurableObjectStub):
            return target.id
        if isinstance(target, DurableObjectId):
            return target
        return self.idFromName(str(target))

    def host(self, oid: DurableObjectId) -> ObjectHost:
        """The object named by ``oid``, made on first use."""
        host = self._hosts.get(oid._hex)
        if host is None:
            host = self._hosts[oid._hex] = ObjectHost(self, oid)
            host.constructions = self._past_constructions.pop(oid._hex, 0)
        return host

    def _existing(self, target: Any) -> ObjectHost | None:
        return self._hosts.get(self._resolve(target)._hex)

    def instance(self, target: Any) -> Any:
        """The live instance for a name/id/stub, or ``None`` if hibernated or never built (wsguide only)."""
        host = self._existing(target)
        return None if host is None else host.instance

    def is_hibernating(self, target: Any) -> bool:
        """True when the object exists (has sockets or state) but has no live instance (wsguide only)."""
        return self.instance(target) is None

    def constructor_runs(self, target: Any) -> int:
        """How many times the constructor ran for this object (wsguide only)."""
        host = self._existing(target)
        if host is None:
            return self._past_constructions.get(self._resolve(target)._hex, 0)
        return host.constructions

    def sockets(self, target: Any) -> list[WebSocket]:
        """The object's hibernatable sockets, oldest first (wsguide only; works while hibernating)."""
        host = self._existing(target)
        return [] if host is None else list(reversed(host.sockets_newest_first()))

    async def hibernate_now(self, target: Any, timeout: float = 30.0) -> bool:
        """Hibernate the object now, after the events already queued (wsguide only).

        Returns True if an instance was dropped, False if there was none.
        Raises :class:`~wsguide.durable.host.HibernationBlocked` (saying why) if
        sockets accepted with ``accept()`` or ``waitUntil()`` work keep it awake,
        and ``TimeoutError`` if the queued events take longer than ``timeout`` s.
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
        if host is None:
            return
        try:
            async with asyncio.timeout(timeout):
                await host.wait_dropped()
        except TimeoutError:
            reason = host.busy_reason()
            raise TimeoutError(
                f"{self.class_name} {oid.name or oid} did not hibernate within {timeout} s "
                f"(hibernate_after={self.hibernate_after} s)" + (f": {reason}." if reason else ".")
            ) from None

    async def aclose(self) -> None:
        """Let queued events finish (up to 5 s), then close every database."""
        for host in list(self._hosts.values()):
            if host.draining:
                try:
                    async with asyncio.timeout(5):
                        await host.wait_idle()
                except TimeoutError:
                    emit("warn", f"{self.class_name}: events still running at shutdown were dropped")
            host.close()
        self._hosts.clear()
        if self._folder is not None:
            self._folder.release()

    def __repr__(self) -> str:
        return f"<DurableObjectNamespace {self.binding} ({self.class_name})>"


class DurableObjectStub:
    """Talks to one Durable Object: ``await stub.fetch(request)`` or ``await stub.method(...)``."""

    __js__ = JsInterface("DurableObject", methods=("fetch",), properties=("id", "name"), dynamic=True)

    def __init__(self, ns: DurableObjectNamespace, oid: DurableObjectId) -> None:
        self._ns = ns
        self.id = oid
        self.name = oid.name

    async def fetch(self, resource: str | Request, init: Any = None, **options: Any) -> Response:
        """Send an HTTP request (or a WebSocket upgrade) to the object's ``fetch``: ``fetch(input, init)``."""
        request = Request(resource if isinstance(resource, Request) else str(resource), init, **options)
        return await self._ns.host(self.id).call("fetch", request)

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        if name.startswith("_"):
            raise AttributeError(name)
        host_of = self._ns.host
        oid = self.id

        async def rpc(*args: Any, **kwargs: Any) -> Any:
            return await host_of(oid).call("rpc", (name, args, kwargs))

        rpc.__name__ = name
        return rpc

    def __repr__(self) -> str:
        return f"<DurableObjectStub {self._ns.class_name} {self.name or self.id}>"

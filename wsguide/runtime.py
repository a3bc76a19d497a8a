"""Run a Worker locally: ``serve(Worker)``, like ``wrangler dev``, on ``websockets``.

Every HTTP request goes to the Worker's ``fetch(request)``; its Response decides
what the client gets. A ``101`` response with ``web_socket=client`` *couples*
that end to the network connection: from then on what the Worker's ``server``
end sends goes out on the wire, and what the client sends arrives as events.

The network leg is thin on purpose. All WebSocket rules live in
:mod:`wsguide.websocket`; this module only moves bytes and items:

* :class:`NetworkTransport` — a ``websockets`` connection seen as a
  :class:`~wsguide.websocket.Transport`: ordered, non-blocking output, and a
  reader that starts when the socket is accepted;
* :class:`Server` — the HTTP side: builds a :class:`~wsguide.http.Request`,
  calls the Worker, turns its Response into bytes on the wire, and isolates
  every failure of the Worker (500 for HTTP, close 1011 for a socket) so the
  server keeps serving everyone else.
"""

from __future__ import annotations

import asyncio
import contextvars
import errno
import inspect
import logging
import sys
import traceback
import types
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any


from . import compat as _compat
from .http import Request, Response, reason_phrase
from .log import WorkerLog, current_log
from .websocket import WebSocket

if TYPE_CHECKING:  # websockets is imported on first use: keeps `import wsguide` fast
    from websockets.asyncio.server import ServerConnection
    from websockets.http11 import Request as _WsRequest
    from websockets.http11 import Response as _WsResponse

    from .transport import NetworkTransport

__all__ = [
    "ExecutionContext",
    "PortInUseError",
    "Server",
    "WorkerEntrypoint",
    "running",
    "serve",
    "shutdown_all",
]

logger = logging.getLogger("wsguide")

MSG_ERROR_RESPONSE = (
    "Return value from serve handler must not be an error response (like Response.error())"
)


class PortInUseError(OSError):
    """Raised by ``serve()`` when the port is taken; the message says what to do."""


# ----------------------------------------------------------------------------
# Worker classes and their context
# ----------------------------------------------------------------------------
class ExecutionContext:
    """``self.ctx`` of a Worker: ``waitUntil`` keeps work going after the response."""

    def __init__(self, server: Server | None = None) -> None:
        self._server = server

    def waitUntil(self, awaitable: Awaitable[Any]) -> None:
        """Run ``awaitable`` to completion even after ``fetch`` has returned."""
        task = asyncio.ensure_future(awaitable)
        if self._server is not None:
            self._server._track(task)

    wait_until = waitUntil

    def passThroughOnException(self) -> None:
        """Accepted for compatibility; there is no origin to fall back to locally."""

    pass_through_on_exception = passThroughOnException


class WorkerEntrypoint:
    """Base class of a Worker: subclass it and define ``async def fetch(self, request)``.

    ``self.env`` holds the bindings passed to ``serve(..., env=...)`` and the
    Durable Object namespaces; ``self.ctx`` is an :class:`ExecutionContext`.
    """

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class Env(types.SimpleNamespace):
    """``self.env``: bindings reachable as attributes (``self.env.ROOMS``) or keys."""

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)


def _resolve_worker(worker: Any) -> Callable[[Request, Any, ExecutionContext], Awaitable[Any]]:
    """Accept a WorkerEntrypoint subclass, an instance, a function or a module."""
    if isinstance(worker, types.ModuleType):
        module = worker
        worker = getattr(module, "Default", None) or getattr(module, "on_fetch", None)
        if worker is None:
            raise TypeError(
                f"{module.__name__} defines no Worker: add `class Default(WorkerEntrypoint)` "
                "with an `async def fetch(self, request)` method."
            )
    if inspect.isclass(worker):
        if not callable(getattr(worker, "fetch", None)):
            raise TypeError(f"{worker.__name__} has no fetch(self, request) method.")
        cls = worker

        async def call_class(request: Request, env: Any, ctx: ExecutionContext) -> Any:
            return await _maybe_await(cls(ctx, env).fetch(request))

        return call_class
    fetch = getattr(worker, "fetch", None)
    if fetch is not None and callable(fetch) and not inspect.isfunction(worker):
        async def call_instance(request: Request, env: Any, ctx: ExecutionContext) -> Any:
            return await _maybe_await(fetch(request))

        return call_instance
    if callable(worker):
        nparams = len(inspect.signature(worker).parameters)

        async def call_function(request: Request, env: Any, ctx: ExecutionContext) -> Any:
            args = (request, env, ctx)[: max(1, min(nparams, 3))]
            return await _maybe_await(worker(*args))

        return call_function
    raise TypeError(
        f"serve() needs a Worker class (with async def fetch(self, request)) or a function, "
        f"got {worker!r}."
    )


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


def _worker_name(worker: Any) -> str:
    if isinstance(worker, types.ModuleType):
        worker = getattr(worker, "Default", None) or getattr(worker, "on_fetch", None) or worker
    return getattr(worker, "__qualname__", None) or getattr(worker, "__name__", None) or type(worker).__name__


# ----------------------------------------------------------------------------
# The server
# ----------------------------------------------------------------------------
_running: weakref.WeakSet[Server] = weakref.WeakSet()
_latest_by_name: dict[str, weakref.ref[Server]] = {}


def running() -> list[Server]:
    """The servers started by ``serve()`` that are still running."""
    return [s for s in list(_running) if s.is_serving]


async def shutdown_all() -> int:
    """Stop every server ``serve()`` started; returns how many. The notebook panic button."""
    servers = running()
    for srv in servers:
        await srv.close()
    return len(servers)


_UPGRADE_RESERVED = frozenset(
    {"upgrade", "connection", "sec-websocket-accept", "sec-websocket-extensions", "content-length"}
)


class Server:
    """A Worker served on ``http://host:port``. Create it with :func:`serve`."""

    def __init__(
        self,
        worker: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        compatibility_date: str | None = None,
        compatibility_flags: Iterable[str] = (),
        env: Any = None,
        durable_objects: dict[str, type] | None = None,
        persist: Any = None,
        trace: bool = False,
        name: str | None = None,
        log: WorkerLog | None = None,
        echo_log: bool = True,
        allowed_origins: Iterable[str] | None = None,
        hibernate_after: float | None = None,
        assets: Any = None,
    ) -> None:
        self.worker = worker
        from . import assets as _assets  # static files (ASSETS = "public"): served before the Worker

        #: The folder of static files served before the Worker runs, or None.
        self.assets = _assets.assets_folder(worker, assets)
        self._call = _resolve_worker(worker)
        self.host = host
        self._requested_port = port
        self.compat = _compat.Compat(compatibility_date, compatibility_flags)
        self.name = name or _worker_name(worker)
        self.log = log if log is not None else WorkerLog(echo=sys.stderr if echo_log else None, name=self.name)
        self.errors: list[BaseException] = []
        self.allowed_origins = set(allowed_origins) if allowed_origins else None
        self._env_init = env
        self._durable_objects = durable_objects or {}
        self._persist = persist
        self._hibernate_after = hibernate_after
        self.env: Env = Env()
        self.trace = trace
        #: The raw wire trace when ``trace=True``: handshake lines and frames.
        self.wire: list[str] = []
        self._ws_server: Any = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._transports: set[NetworkTransport] = set()
        self._context = contextvars.copy_context()
        self._started_by_await = False
        self.namespaces: dict[str, Any] = {}

    # -- lifecycle ------------------------------------------------------------
    async def start(self) -> Server:
        if self._ws_server is not None:
            return self
        env = Env()
        if isinstance(self._env_init, dict):
            for k, v in self._env_init.items():
                setattr(env, k, v)
        elif self._env_init is not None:
            for k, v in vars(self._env_init).items():
                setattr(env, k, v)
        if self._durable_objects:
            from . import durable  # a higher layer: imported only when Durable Objects are used

            for binding, cls in self._durable_objects.items():
                ns = durable.DurableObjectNamespace(
                    cls, server=self, binding=binding, persist=self._persist,
                    hibernate_after=self._hibernate_after,
                )
                self.namespaces[binding] = ns
                setattr(env, binding, ns)
        self.env = env
        # Run the Worker's code with this server's log and compat in context.
        self._context.run(current_log.set, self.log)
        self._context.run(_compat.current.set, self.compat)
        from websockets.asyncio.server import serve as _ws_serve
        from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

        try:
            self._ws_server = await _ws_serve(
                self._handle_connection,
                self.host,
                self._requested_port,
                process_request=self._process_request,
                process_response=self._process_response,
                # workerd answers an offer of permessage-deflate with
                # "permessage-deflate; client_max_window_bits=15" (FINDINGS F6).
                compression=None,
                extensions=(
                    [ServerPerMessageDeflateFactory(client_max_window_bits=15, compress_settings={"memLevel": 5})]
                    if self.compat.web_socket_compression
                    else None
                ),
                max_size=self.compat.max_message_size,
                server_header=None,
                ping_interval=None,
                open_timeout=30,
                logger=self._wire_logger(),
            )
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)) or (
                sys.platform == "win32" and getattr(exc, "winerror", None) == 10048
            ):
                raise PortInUseError(
                    exc.errno,
                    f"Port {self._requested_port} on {self.host} is already in use (maybe by a "
                    "server started earlier in this notebook). Use port=0 to let the system pick "
                    "a free port, stop the other server (await srv.close(), or await "
                    "wsguide.shutdown_all()), or choose another port.",
                ) from None
            raise
        _running.add(self)
        return self

    def _wire_logger(self) -> logging.Logger:
        if not self.trace:
            return logging.getLogger("wsguide.wire")
        # websockets logs every handshake line and frame at DEBUG: that is our trace.
        wire_logger = logging.getLogger(f"wsguide.wire.trace{id(self)}")
        wire_logger.setLevel(logging.DEBUG)
        wire_logger.propagate = False
        wire_logger.handlers[:] = [_WireHandler(self.wire)]
        return wire_logger

    def wire_trace(self) -> list[str]:
        """The wire trace (``serve(..., trace=True)``) with varying values masked.

        Lines start with ``<`` (received), ``>`` (sent) or ``=`` (state change).
        Ports, dates and handshake keys are replaced so the text is stable.
        """
        out = []
        for line in self.wire:
            if not line[:1] in "<>=":
                continue
            if line.startswith(("< Sec-WebSocket-Key:", "> Sec-WebSocket-Accept:", "> Date:")):
                name = line.split(":", 1)[0]
                line = f"{name}: …"
            line = _PORT_RE.sub(r"\1:PORT", line)
            out.append(line)
        return out

    @property
    def port(self) -> int:
        if self._ws_server is None:
            raise RuntimeError("the server is not started yet: await serve(...) first")
        return self._ws_server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` — what ``fetch()`` and browsers use."""
        return f"http://{self._url_host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """``ws://127.0.0.1:PORT`` — what ``WebSocket(url)`` and websockets clients use."""
        return f"ws://{self._url_host}:{self.port}"

    @property
    def _url_host(self) -> str:
        if self.host in ("0.0.0.0", "", None):
            return "127.0.0.1"
        if ":" in self.host:
            return f"[{self.host}]"
        return self.host

    @property
    def is_serving(self) -> bool:
        return self._ws_server is not None and self._ws_server.is_serving()

    async def close(self) -> None:
        """Stop accepting, close open WebSockets (1001 going away), and wait."""
        server = self._ws_server
        if server is None:
            return
        _running.discard(self)
        for transport in list(self._transports):
            transport.shutdown()  # answer Close frames the Worker still holds
        server.close(close_connections=True)
        try:
            async with asyncio.timeout(10):
                await server.wait_closed()
        except TimeoutError:
            logger.warning("wsguide: some connections did not close within 10 s; dropped them")
        for ns in self.namespaces.values():
            closer = getattr(ns, "close", None)
            if closer is not None:
                await _maybe_await(closer())
        for task in list(self._tasks):
            task.cancel()
        self._ws_server = None

    aclose = close

    def __await__(self):
        self._started_by_await = True
        return self._await_start().__await__()

    async def _await_start(self) -> Server:
        previous = _latest_by_name.get(self.name)
        old = previous() if previous else None
        if old is not None and old is not self and old._started_by_await and old.is_serving:
            await old.close()
            print(f"(closed the {self.name!r} server left over from a previous run)", file=sys.stderr)
        await self.start()
        _latest_by_name[self.name] = weakref.ref(self)
        return self

    async def __aenter__(self) -> Server:
        return await self.start()

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    def __repr__(self) -> str:
        where = self.url if self._ws_server is not None else "not started"
        return f"<wsguide Server {self.name} {where}>"

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- running the Worker ---------------------------------------------------
    def _report(self, exc: BaseException, where: str) -> None:
        self.errors.append(exc)
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
        self.log.write("error", f"{where}:\n{text}")

    async def call_worker(self, request: Request) -> Response:
        """Run the Worker's ``fetch`` for ``request`` (wsguide only; used by tests and stubs)."""
        ctx = ExecutionContext(self)
        task = asyncio.get_running_loop().create_task(
            self._call(request, self.env, ctx), context=self._context.copy()
        )
        return await task

    async def _process_request(self, connection: ServerConnection, ws_request: _WsRequest) -> Any:
        request = self._to_request(connection, ws_request)
        if self.allowed_origins is not None:
            origin = ws_request.headers.get("Origin")
            if origin is not None and origin not in self.allowed_origins:
                return _http_response(403, f"Origin {origin} is not allowed to connect to this server.\n")
        if self.assets is not None and ws_request.method in ("GET", "HEAD"):
            from . import assets as _assets

            found = _assets.static_file(self.assets, ws_request.path)
            if found is not None:
                return _assets.response_for(found, ws_request.method)
        from .transport import use_workerd_close_reasons

        use_workerd_close_reasons(connection.protocol)
        # This runs in the connection's own task (its own context copy): set the
        # Worker's log and compat here rather than paying for another task.
        current_log.set(self.log)
        _compat.current.set(self.compat)
        try:
            response = await _maybe_await(self._call(request, self.env, ExecutionContext(self)))
        except Exception as exc:
            # workerd answers a plain 500 "Internal Server Error"; the learner sees
            # the traceback in the Worker log (echoed to the terminal / cell).
            self._report(exc, f"Worker threw an exception handling {request.method.value} {request.path}")
            return _internal_error()
        try:
            return self._check_response(connection, ws_request, response)
        except (TypeError, ValueError) as exc:
            self._report(exc, f"Worker returned a response that cannot be sent for {request.path}")
            return _internal_error()

    def _check_response(
        self, connection: ServerConnection, ws_request: _WsRequest, response: Any
    ) -> Any:
        if not isinstance(response, Response):
            raise TypeError(
                "The Worker's fetch() must return a Response, got "
                f"{type(response).__name__}. Did you forget `return`?"
            )
        if response.type == "error":
            raise TypeError(MSG_ERROR_RESPONSE)
        ws = response.web_socket
        if ws is None:
            return _to_ws_response(response)
        if (ws_request.headers.get("Upgrade") or "").lower() != "websocket":
            from .websocket import MSG_RETURN_NO_UPGRADE

            raise TypeError(MSG_RETURN_NO_UPGRADE)
        try:
            ws._check_returnable()
        except TypeError as exc:
            # workerd couples the socket after the 101 is on the wire, so these
            # errors drop the connection after the handshake (FINDINGS F9).
            self._report(exc, "Worker returned a WebSocket that cannot be used")
            connection.wsguide_abort = True
            connection.wsguide_response = response
            return None
        connection.wsguide_socket = ws  # picked up by _handle_connection
        connection.wsguide_response = response
        ext = response.headers.get("Sec-WebSocket-Extensions")
        if ext is not None and ext.strip() == "":
            connection.protocol.available_extensions = []  # the Worker asked for no compression
        return None  # let websockets complete the handshake (101)

    def _process_response(
        self, connection: ServerConnection, ws_request: _WsRequest, ws_response: _WsResponse
    ) -> None:
        response = getattr(connection, "wsguide_response", None)
        if response is None or ws_response.status_code != 101:
            return None
        headers = ws_response.headers
        if "Date" in headers:
            del headers["Date"]  # workerd's 101 has none (FINDINGS F11)
        # The subprotocol comes from the Worker's Response, never auto-selected.
        if "Sec-WebSocket-Protocol" in headers:
            del headers["Sec-WebSocket-Protocol"]
        for name, value in response.headers.raw_items():
            if name.lower() not in _UPGRADE_RESERVED:
                headers[name] = value
        return None

    def _to_request(self, connection: ServerConnection, ws_request: _WsRequest) -> Request:
        from websockets.datastructures import Headers as _WsHeaders

        host = ws_request.headers.get("Host") or f"{self._url_host}:{self.port}"
        request = Request(f"http://{host}{ws_request.path}", headers=_WsHeaders(ws_request.headers))
        request._client_address = connection.remote_address
        return request

    async def _handle_connection(self, conn: ServerConnection) -> None:
        ws: WebSocket | None = getattr(conn, "wsguide_socket", None)
        if ws is None or getattr(conn, "wsguide_abort", False):
            conn.transport.abort()  # the Worker's socket could not be coupled
            return
        from .transport import NetworkTransport

        transport = NetworkTransport(conn, limit=self.compat.max_message_size, log=self.log)
        transport.protocol = conn.response.headers.get("Sec-WebSocket-Protocol")
        transport.extensions = conn.response.headers.get("Sec-WebSocket-Extensions")
        self._transports.add(transport)
        try:
            self._context.copy().run(ws._couple, transport)
            # Keep the handler alive while the connection is open; websockets closes
            # the connection when this returns.
            await conn.wait_closed()
            if transport.reader is not None:
                await transport.finished
            # Never accepted: nobody reads. If the Worker accepts later, the reader
            # starts then, finds the connection closed and reports it.
        finally:
            self._transports.discard(transport)


class _WireHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.sink.append(record.getMessage())
        except Exception:  # a trace must never break the server
            pass


_PORT_RE = __import__("re").compile(r"(127\.0\.0\.1|localhost):\d+")


def _internal_error() -> _WsResponse:
    from websockets.datastructures import Headers as _WsHeaders
    from websockets.http11 import Response as _WsResponse

    body = b"Internal Server Error"
    # Connection: close like every other non-101 answer (one request per connection).
    headers = _WsHeaders([("Content-Length", str(len(body))), ("Connection", "close")])
    return _WsResponse(500, "Internal Server Error", headers, body)


def _http_response(status: int, body: str, content_type: str = "text/plain; charset=utf-8") -> _WsResponse:
    from websockets.datastructures import Headers as _WsHeaders
    from websockets.http11 import Response as _WsResponse

    import http as _http

    data = body.encode("utf-8")
    headers = _WsHeaders([("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return _WsResponse(status, _http.HTTPStatus(status).phrase, headers, data)


def _to_ws_response(response: Response) -> _WsResponse:
    from websockets.datastructures import Headers as _WsHeaders
    from websockets.http11 import Response as _WsResponse

    body = response._body or b""
    headers = _WsHeaders()
    for name, value in response.headers.raw_items():
        if name.lower() != "content-length":
            headers[name] = value
    headers["Content-Length"] = str(len(body))
    headers["Connection"] = "close"
    reason = response.status_text or reason_phrase(response.status)
    return _WsResponse(response.status, reason, headers, body)


def serve(
    worker: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    compatibility_date: str | None = None,
    compatibility_flags: Iterable[str] = (),
    env: Any = None,
    durable_objects: dict[str, type] | None = None,
    persist: Any = None,
    trace: bool = False,
    **options: Any,
) -> Server:
    """Serve a Worker on ``http://127.0.0.1:<free port>``.

    Use it as ``async with serve(Default) as srv:`` (stops at the end of the
    block) or ``srv = await serve(Default)`` (stop it with ``await srv.close()``).
    ``port=0`` (the default) picks a free port, so re-running a cell never
    clashes. ``host="0.0.0.0"`` opens it to your network: only for a classroom.
    """
    return Server(
        worker,
        host=host,
        port=port,
        compatibility_date=compatibility_date,
        compatibility_flags=compatibility_flags,
        env=env,
        durable_objects=durable_objects,
        persist=persist,
        trace=trace,
        **options,
    )

"""Run a Worker locally: ``Server``, like ``wrangler dev``, on ``websockets``.

Every HTTP request goes to the Worker's ``fetch(request)``; its Response decides
what the client gets. A ``101`` response with ``web_socket=client`` *couples*
that end to the network connection: from then on what the Worker's ``server``
end sends goes out on the wire, and what the client sends arrives as events.

The network leg is thin on purpose. All WebSocket rules live in
:mod:`wsguide.core.websocket`; the server builds a
:class:`~wsguide.http.Request`, calls the Worker in its isolate, turns its
Response into bytes on the wire (:mod:`wsguide.net.transport` carries the
WebSocket), and isolates every failure of the Worker (500 for HTTP, close 1011
for a socket) so the server keeps serving everyone else.

Bindings (``self.env.X``) are given as factories, so layers above this one —
Durable Objects — plug in without this module knowing them.
"""

from __future__ import annotations

import asyncio
import contextvars
import errno
import logging
import sys
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..core.calls import maybe_await
from ..core.compat import Compat
from ..core.errors import JsError, PythonError
from ..core.isolate import Isolate
from ..core.log import WorkerLog
from ..core import texts
from ..http import Request, Response, reason_phrase
from . import printing
from .assets import assets_folder, response_for, static_file
from .worker import Env, ExecutionContext, resolve_worker, worker_name

if TYPE_CHECKING:  # websockets is imported on first use: keeps `import wsguide` fast
    from websockets.asyncio.server import ServerConnection
    from websockets.http11 import Request as _WsRequest
    from websockets.http11 import Response as _WsResponse

    from .transport import NetworkTransport

__all__ = ["BindingFactory", "PortInUseError", "Server", "running", "shutdown_all"]

#: Makes one binding of ``env`` for a server when it starts (e.g. a Durable Object namespace).
BindingFactory = Callable[["Server"], Any]

logger = logging.getLogger("wsguide")

MSG_ERROR_RESPONSE = (
    "Return value from serve handler must not be an error response (like Response.error())"
)


class PortInUseError(OSError):
    """Raised by ``serve()`` when the port is taken; the message says what to do."""


# ----------------------------------------------------------------------------
# The server
# ----------------------------------------------------------------------------
_running: set[Server] = set()


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
    """A Worker served on ``http://host:port``. Create it with :func:`wsguide.serve`."""

    #: Called with the server before ``await serve(...)`` starts it (the notebook helpers use
    #: this to stop the server a re-run cell started before). wsguide only.
    before_await_start: list[Callable[[Server], Awaitable[None] | None]] = []

    def __init__(
        self,
        worker: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        compatibility_date: str | None = None,
        compatibility_flags: Iterable[str] = (),
        env: Any = None,
        bindings: Mapping[str, BindingFactory] | None = None,
        name: str | None = None,
        log: WorkerLog | None = None,
        echo_log: bool = True,
        allowed_origins: Iterable[str] | None = None,
        assets: Any = None,
        pyodide: bool = True,
    ) -> None:
        self.worker = worker
        self._call = resolve_worker(worker)
        #: The folder of static files served before the Worker runs (``ASSETS = "public"``), or None.
        self.assets = assets_folder(worker, assets)
        self.host = host
        self._requested_port = port
        self.name = name or worker_name(worker)
        if log is None:
            log = WorkerLog(echo=sys.stderr if echo_log else None, name=self.name)
        #: The isolate the Worker's code runs in: its compatibility settings and its log.
        self.isolate = Isolate(Compat(compatibility_date, compatibility_flags), log, name=self.name)
        self.isolate.pyodide = pyodide
        self.isolate.captures_print = True
        self.errors: list[BaseException] = []
        self.allowed_origins = set(allowed_origins) if allowed_origins else None
        self._env_init = env
        self._binding_factories = dict(bindings or {})
        #: The bindings made at start, by name (also reachable as ``env.<name>``).
        self.bindings: dict[str, Any] = {}
        #: The Worker's ``env``: a JavaScript object of its bindings (the isolate holds it too).
        self.env: Env = Env()
        self._ws_server: Any = None
        # The Worker's Response (and its socket) for each connection being upgraded,
        # from process_request to the connection handler. Weak: a handshake that
        # fails leaves nothing behind.
        self._pending: weakref.WeakKeyDictionary[Any, tuple[Response, Any]] = weakref.WeakKeyDictionary()
        self._tasks: set[asyncio.Future[Any]] = set()
        self._transports: set[NetworkTransport] = set()
        self._context = contextvars.copy_context()
        self._context.run(self.isolate.enter)

    @property
    def compat(self) -> Compat:
        """The compatibility date and flags the Worker runs with."""
        return self.isolate.compat

    @property
    def log(self) -> WorkerLog:
        """What the Worker printed (``console.log``) and the runtime's warnings."""
        return self.isolate.log

    # -- lifecycle ------------------------------------------------------------
    async def start(self) -> Server:
        if self._ws_server is not None:
            return self
        printing.install()
        env = Env()
        if isinstance(self._env_init, dict):
            env.update(self._env_init)
        elif self._env_init is not None:
            env.update(vars(self._env_init))
        self.env = self.isolate.env = env
        for binding, factory in self._binding_factories.items():
            self.bindings[binding] = env[binding] = factory(self)
        from websockets.asyncio.server import serve as _ws_serve
        from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

        compat = self.compat
        try:
            self._ws_server = await _ws_serve(
                self._handle_connection,
                self.host,
                self._requested_port,
                process_request=self._process_request,
                process_response=self._process_response,
                # workerd answers an offer of permessage-deflate with
                # "permessage-deflate; client_max_window_bits=15" (findings F6).
                compression=None,
                extensions=(
                    [ServerPerMessageDeflateFactory(client_max_window_bits=15, compress_settings={"memLevel": 5})]
                    if compat.web_socket_compression
                    else None
                ),
                max_size=compat.max_message_size,
                server_header=None,
                ping_interval=None,
                open_timeout=30,
                logger=logging.getLogger("wsguide.wire"),
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

    @property
    def address(self) -> tuple[str, int]:
        """The ``(host, port)`` the server's socket is bound to."""
        if self._ws_server is None:
            raise RuntimeError("the server is not started yet: await serve(...) first")
        host, port = self._ws_server.sockets[0].getsockname()[:2]
        return host, port

    @property
    def port(self) -> int:
        return self.address[1]

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
        for binding in self.bindings.values():
            closer = getattr(binding, "aclose", None)
            if closer is not None:
                await closer()
        for task in list(self._tasks):
            task.cancel()
        self._ws_server = None

    aclose = close

    def abort_connections(self) -> int:
        """Drop every open WebSocket connection without a Close frame, like a network
        failure (wsguide only: the peers see 1006). Returns how many were dropped."""
        transports = list(self._transports)
        for transport in transports:
            transport.abort()
        return len(transports)

    def __await__(self):
        return self._await_start().__await__()

    async def _await_start(self) -> Server:
        for hook in list(self.before_await_start):
            await maybe_await(hook(self))
        return await self.start()

    async def __aenter__(self) -> Server:
        return await self.start()

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    def __repr__(self) -> str:
        where = self.url if self._ws_server is not None else "not started"
        return f"<wsguide Server {self.name} {where}>"

    def track(self, task: asyncio.Future[Any]) -> None:
        """Keep ``task`` (``ctx.waitUntil`` work) alive until it ends; cancelled on close."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def run_in_worker_context(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Call ``fn(*args)`` as the Worker's code runs: in its isolate."""
        return self._context.copy().run(fn, *args)

    def worker_context(self) -> contextvars.Context:
        """A fresh copy of the context the Worker's code runs in (for a new task)."""
        return self._context.copy()

    # -- running the Worker ---------------------------------------------------
    def report(self, exc: BaseException) -> None:
        """Log an exception the Worker's code let escape, as workerd logs it (and keep it in ``errors``).

        ``Uncaught (in promise) PythonError: Traceback …`` for a Python exception
        (its traceback from the Worker's own code), ``Uncaught (in promise)
        TypeError: …`` for the runtime's errors.
        """
        self.errors.append(exc)
        error = exc if isinstance(exc, JsError) else PythonError(exc)
        self.log.write("error", f"Uncaught (in promise) {error.name}: {error}")

    async def call_worker(self, request: Request) -> Response:
        """Run the Worker's ``fetch`` for ``request`` (wsguide only; used by tests and stubs)."""
        ctx = ExecutionContext(self.track)
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
            found = static_file(self.assets, ws_request.path)
            if found is not None:
                return response_for(found, ws_request.method)
        from .transport import use_workerd_close_reasons

        use_workerd_close_reasons(connection.protocol)
        # This runs in the connection's own task (its own context copy): enter the
        # Worker's isolate here rather than paying for another task.
        self.isolate.enter()
        try:
            response = await maybe_await(self._call(request, self.env, ExecutionContext(self.track)))
        except Exception as exc:
            # workerd answers a plain 500 "Internal Server Error"; the learner sees
            # the traceback in the Worker log (echoed to the terminal / cell).
            self.report(exc)
            return _internal_error()
        try:
            return self._check_response(connection, ws_request, response)
        except (TypeError, ValueError) as exc:
            self.report(exc)
            return _internal_error()

    def _check_response(
        self, connection: ServerConnection, ws_request: _WsRequest, response: Any
    ) -> Any:
        if response.type == "error":
            raise TypeError(MSG_ERROR_RESPONSE)
        ws = response.socket
        if ws is None:
            return _to_ws_response(response)
        if (ws_request.headers.get("Upgrade") or "").lower() != "websocket":
            raise TypeError(texts.RETURN_NO_UPGRADE)
        try:
            ws.check_returnable()
        except TypeError as exc:
            # workerd couples the socket after the 101 is on the wire, so these
            # errors drop the connection after the handshake (findings F9).
            self.report(exc)
            self._pending[connection] = (response, None)
            return None
        self._pending[connection] = (response, ws)  # picked up by _handle_connection
        ext = response.headers.get("Sec-WebSocket-Extensions")
        if ext is not None and ext.strip() == "":
            connection.protocol.available_extensions = []  # the Worker asked for no compression
        return None  # let websockets complete the handshake (101)

    def _process_response(
        self, connection: ServerConnection, ws_request: _WsRequest, ws_response: _WsResponse
    ) -> None:
        pending = self._pending.get(connection)
        if pending is None or ws_response.status_code != 101:
            return None
        response = pending[0]
        headers = ws_response.headers
        if "Date" in headers:
            del headers["Date"]  # workerd's 101 has none (findings F11)
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
        return Request(f"http://{host}{ws_request.path}", headers=_WsHeaders(ws_request.headers))

    async def _handle_connection(self, conn: ServerConnection) -> None:
        _, ws = self._pending.pop(conn, (None, None))
        if ws is None:
            conn.transport.abort()  # the Worker's socket could not be coupled
            return
        from .transport import NetworkTransport

        transport = NetworkTransport(conn, limit=self.compat.max_message_size, log=self.log)
        self._transports.add(transport)
        try:
            self.run_in_worker_context(ws.couple, transport)
            # Keep the handler alive while the connection is open; websockets closes
            # the connection when this returns.
            await conn.wait_closed()
            if transport.reader is not None:
                await transport.finished
            # Never accepted: nobody reads. If the Worker accepts later, the reader
            # starts then, finds the connection closed and reports it.
        finally:
            self._transports.discard(transport)


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
    reason = response.statusText or reason_phrase(response.status)
    return _WsResponse(response.status, reason, headers, body)

"""Run a Worker locally: ``Server``, like ``wrangler dev``.

Every HTTP request goes to the Worker's ``fetch(request)``; its Response
decides what the client gets. A ``101`` response with ``web_socket=client``
*couples* that end to the network connection: from then on what the Worker's
``server`` end sends goes out on the wire, and what the client sends arrives
as events.

The server is thin on purpose. HTTP/1.1 is :mod:`wsguide.net.http1` (on
``h11``), the handshake :mod:`wsguide.net.upgrade`, the WebSocket leg
:mod:`wsguide.net.leg` (on ``websockets``' sans-I/O protocol), and every
WebSocket rule lives in :mod:`wsguide.core.websocket`. What stays here: the
server's life (start, addresses, close), building the Worker's
:class:`~wsguide.http.Request`, calling the Worker in its isolate, turning its
Response into a reply, and isolating every failure of the Worker (500 for HTTP,
close 1011 for a socket) so the server keeps serving everyone else.

Bindings (``self.env.X``) are given as factories, so layers above this one —
Durable Objects — plug in without this module knowing them.
"""

from __future__ import annotations

import asyncio
import contextvars
import errno
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..core import texts
from ..core.calls import maybe_await
from ..core.compat import Compat
from ..core.errors import JsError, PythonError
from ..core.isolate import Isolate
from ..core.log import WorkerLog
from ..http import Headers, Request, Response, reason_phrase
from . import printing
from .assets import assets_folder, response_for, static_file
from .http1 import HttpConnection, HttpReply, HttpRequest, Limits, error_reply
from .origins import OriginPolicy, refusal_text
from .worker import Env, ExecutionContext, resolve_worker, worker_name

if TYPE_CHECKING:
    from .leg import WebSocketLeg
    from .upgrade import Upgrade

__all__ = ["BindingFactory", "Limits", "PortInUseError", "Server", "running", "shutdown_all"]

#: Makes one binding of ``env`` for a server when it starts (e.g. a Durable Object namespace).
BindingFactory = Callable[["Server"], Any]

logger = logging.getLogger("wsguide")

MSG_ERROR_RESPONSE = (
    "Return value from serve handler must not be an error response (like Response.error())"
)

#: Seconds ``close()`` waits for connections to end before dropping them.
CLOSE_GRACE = 10.0

#: The methods kj's HTTP server knows (``KJ_HTTP_FOR_EACH_METHOD``, kj/compat/http.h); any other
#: gets ``501`` before the Worker runs. CONNECT, which kj handles on its own path, still reaches
#: the Worker here.
KNOWN_METHODS = frozenset({
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "PURGE", "OPTIONS", "TRACE",
    "COPY", "LOCK", "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "ACL",
    "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE",
    "MSEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE",
    "CONNECT",
})


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
        limits: Limits | None = None,
        pyodide: bool = True,
    ) -> None:
        self.worker = worker
        self._call = resolve_worker(worker)  # always an async function
        # The WebSocket side, loaded by start() (see there).
        self._leg_class: Any = None
        self._answer_upgrade: Any = None
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
        #: Which browser pages may open WebSockets (:mod:`wsguide.net.origins`).
        self.origins = OriginPolicy(allowed_origins)
        #: What one connection may cost: sizes and timeouts (:class:`~wsguide.net.http1.Limits`).
        self.limits = limits or Limits()
        self._env_init = env
        self._binding_factories = dict(bindings or {})
        #: The bindings made at start, by name (also reachable as ``env.<name>``).
        self.bindings: dict[str, Any] = {}
        #: The Worker's ``env``: a JavaScript object of its bindings (the isolate holds it too).
        self.env: Env = Env()
        self._server: asyncio.Server | None = None
        self._connections: set[HttpConnection] = set()
        self._legs: set[WebSocketLeg] = set()
        self._drained: asyncio.Event | None = None  # set when the last connection ends (close())
        self._tasks: set[asyncio.Future[Any]] = set()
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
        if self._server is not None:
            return self
        printing.install()
        # The WebSocket side (websockets' sans-I/O protocol, ~25 ms to import) loads now, while
        # nobody waits, not on the first upgrade.
        from . import leg, upgrade

        self._leg_class, self._answer_upgrade = leg.WebSocketLeg, upgrade.answer_upgrade

        env = Env()
        if isinstance(self._env_init, dict):
            env.update(self._env_init)
        elif self._env_init is not None:
            env.update(vars(self._env_init))
        self.env = self.isolate.env = env
        for binding, factory in self._binding_factories.items():
            self.bindings[binding] = env[binding] = factory(self)
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(self._connection, self.host, self._requested_port)
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)) or (
                sys.platform == "win32" and getattr(exc, "winerror", None) == 10048
            ):
                raise PortInUseError(
                    exc.errno,
                    f"Port {self._requested_port} on {self.host} is already in use, by another program or "
                    "by a server started earlier. Use port 0 to let the system pick a free port "
                    "(--port 0 for wsguide dev), stop the other server (await srv.close(); in a notebook, "
                    "await stop_all()), or choose another port.",
                ) from None
            raise
        self.origins.own(self.host, self.port)
        _running.add(self)
        return self

    @property
    def address(self) -> tuple[str, int]:
        """The ``(host, port)`` the server's socket is bound to."""
        if self._server is None:
            raise RuntimeError("the server is not started yet: await serve(...) first")
        host, port = self._server.sockets[0].getsockname()[:2]
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
        return self._server is not None and self._server.is_serving()

    async def close(self) -> None:
        """Stop accepting, close open WebSockets (1001 going away), and wait."""
        server = self._server
        if server is None:
            return
        _running.discard(self)
        server.close()
        for leg in list(self._legs):
            leg.shutdown()  # answers a Close the Worker still holds, too
        for conn in list(self._connections):
            conn.shutdown()
        self._drained = asyncio.Event()
        self._check_drained()
        try:
            async with asyncio.timeout(CLOSE_GRACE):
                await self._drained.wait()  # sockets close, connections finish their current answer
        except TimeoutError:
            logger.warning("wsguide: some connections did not close within %s s; dropped them", CLOSE_GRACE)
            for leg in list(self._legs):
                leg.abort()
            for conn in list(self._connections):
                conn.abort()
        for binding in self.bindings.values():
            closer = getattr(binding, "aclose", None)
            if closer is not None:
                await closer()
        for task in list(self._tasks):
            task.cancel()
        self._server = None

    aclose = close

    def abort_connections(self) -> int:
        """Drop every open WebSocket connection without a Close frame, like a network
        failure (wsguide only: the peers see 1006). Returns how many were dropped."""
        legs = list(self._legs)
        for leg in legs:
            leg.abort()
        return len(legs)

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
        where = self.url if self._server is not None else "not started"
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

    # -- connections ------------------------------------------------------------
    def _connection(self) -> HttpConnection:
        conn = HttpConnection(
            self._handle, limits=self.limits, on_lost=self._connection_lost, on_client_left=self._client_left
        )
        self._connections.add(conn)
        return conn

    def _connection_lost(self, conn: HttpConnection) -> None:
        self._connections.discard(conn)
        self._check_drained()

    def _leg_lost(self, leg: WebSocketLeg) -> None:
        self._legs.discard(leg)
        self._check_drained()

    def _check_drained(self) -> None:
        if self._drained is not None and not self._connections and not self._legs:
            self._drained.set()

    def _make_leg(self, protocol: Any) -> WebSocketLeg:
        leg = self._leg_class(protocol, log=self.log, unsent_limit=self.limits.unsent, on_lost=self._leg_lost)
        self._legs.add(leg)
        return leg

    def _client_left(self, request: HttpRequest) -> None:
        self.log.write(
            "warn",
            f"The client closed the connection while the Worker's fetch() was handling "
            f"{request.method} {request.target}.",
        )

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

    async def _handle(self, req: HttpRequest) -> HttpReply | Upgrade:
        headers = Headers.from_wire(req.headers)  # h11 checked them
        upgrade = (headers.get("Upgrade") or "").lower() == "websocket"
        if upgrade:
            origin = headers.get("Origin")
            if origin is not None and not self.origins.allows(origin, headers.get("Host")):
                body = refusal_text(origin or "").encode()
                return HttpReply(403, "Forbidden", [("Content-Type", "text/plain; charset=utf-8")], body)
        if self.assets is not None and req.method in ("GET", "HEAD"):
            found = static_file(self.assets, req.target)
            if found is not None:
                return response_for(found)
        if req.method.upper() not in KNOWN_METHODS:
            return error_reply(501, "Unrecognized request method.")  # kj's answer
        request = self._to_request(req, headers)
        # This runs in the connection's own task (its own context copy): enter the
        # Worker's isolate here rather than paying for another task.
        self.isolate.enter()
        try:
            response = await self._call(request, self.env, ExecutionContext(self.track))
        except Exception as exc:
            # workerd answers a plain 500 "Internal Server Error" and closes the connection;
            # the learner sees the traceback in the Worker log (echoed to the terminal / cell).
            self.report(exc)
            return _internal_error()
        try:
            return self._reply(req, response, upgrade)
        except (TypeError, ValueError) as exc:
            self.report(exc)
            return _internal_error()

    def _to_request(self, req: HttpRequest, headers: Headers) -> Request:
        target = req.target
        if target.startswith(("http://", "https://")):
            url = target  # absolute form
        else:
            host = headers.get("Host") or f"{self._url_host}:{self.port}"  # HTTP/1.0 may omit it
            url = f"http://{host}{target}"
        method = req.method.upper()
        # A GET or HEAD cannot carry a body in the Fetch API; a client's stray body is dropped.
        body = req.body if req.body and method not in ("GET", "HEAD") else None
        return Request._received(url, method, headers, body)

    def _reply(self, req: HttpRequest, response: Any, upgrade: bool) -> HttpReply | Upgrade:
        if response.type == "error":
            raise TypeError(MSG_ERROR_RESPONSE)
        ws = response.socket  # resolve_worker made sure it is a Response (response_of)
        if ws is None:
            return _http_reply(response)
        if not upgrade:
            raise TypeError(texts.RETURN_NO_UPGRADE)
        coupled = True
        try:
            ws.check_returnable()
        except TypeError as exc:
            # workerd couples the socket after the 101 is on the wire, so these
            # errors drop the connection after the handshake (findings F9).
            self.report(exc)
            coupled = False
        return self._answer_upgrade(
            req,
            response,
            self.compat,
            coupled=coupled,
            make_leg=self._make_leg,
            run=self.run_in_worker_context,
            on_refused=self._handshake_refused,
        )

    def _handshake_refused(self, why: str) -> None:
        self.log.write(
            "warn",
            f"The client's WebSocket handshake was refused after the Worker returned its 101 ({why}); "
            "the Worker's socket sees the client vanish (close 1006).",
        )


def _internal_error() -> HttpReply:
    # workerd's body (findings F9): no Content-Type, then the connection closes.
    return HttpReply(500, "Internal Server Error", [], b"Internal Server Error", close=True)


_HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection"})


def _http_reply(response: Response) -> HttpReply:
    headers = [(n, v) for n, v in response.headers.raw_items() if n.lower() not in _HOP_BY_HOP]
    reason = response.statusText or reason_phrase(response.status)
    body = response._stream if response._stream is not None else (response._body or b"")
    return HttpReply(response.status, reason, headers, body)

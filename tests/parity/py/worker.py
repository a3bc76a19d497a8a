"""wsguide parity scenarios — the Python twin of tests/parity/js/worker.js.

Same routes (``/<scenario>?id=<id>``, ``GET /report?id=<id>``, ``/_target``), same report
protocol and entry shapes, same scenarios, written the way a learner writes a Python Worker on
wsguide (``WorkerEntrypoint``, ``Response``, ``WebSocketPair``, ``fetch``, ``WebSocket``,
``DurableObject``, ``ctx.acceptWebSocket`` …). The protocol is documented at the top of
js/worker.js; only the differences are noted here:

* Error entries are ``js_error_string(exc)`` (``"<name>: <message>"``) and ``errorClass`` is the
  JavaScript class the Python exception stands for (TypeError / RangeError / DOMException /
  Error), see :func:`js_class`.
* Where the JS Worker uses the service binding ``SELF`` (``env.SELF.fetch("http://self/…")``) or
  ``globalOutbound`` (``new WebSocket("ws://self/…")``), this Worker uses ``fetch()`` /
  ``WebSocket()`` to its own server, whose origin it reads from the Request's URL (the Host header
  the client sent). Those are real loopback connections (docs/deviations.md).
* It is served with ``pyodide=False``: it holds wsguide's runtime objects directly, with
  JavaScript's classes and semantics (``Response(body, init)``), as the JS twin does — a
  Python Worker would reach them through the Pyodide boundary instead.

Serve it with ``wsguide.serve(Default, durable_objects={"ROOMS": HibernationRoom}, …)``.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import inspect
import json
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

# The twin of a JavaScript Worker holds the runtime's objects directly (serve(..., pyodide=False)):
# JavaScript's classes and semantics, without the Pyodide boundary a Python Worker has.
from wsguide.core.console import console
from wsguide.core.jsapi import JS_NULL
from wsguide.core.pair import WebSocketPair, WebSocketRequestResponsePair
from wsguide.core.values import Blob
from wsguide.core.websocket import WebSocket
from wsguide.http import Headers, Response
from wsguide.net.client import fetch
from wsguide.sdk import DurableObject, WorkerEntrypoint
from wsguide.core.errors import DOMException, js_error_string
from wsguide.core.errors import JsError as Error
from wsguide.core.errors import JsRangeError as RangeError

__all__ = ["Default", "HibernationRoom", "REPORTS", "reset"]

REPORTS: dict[str, Report] = {}
SOCKETS: dict[str, WebSocket] = {}  # socket-returned-twice: id → client end returned in phase 1
MAX_DATA = 1024


def js_class(exc: BaseException) -> str:
    """The JavaScript constructor name of the error a Python exception stands for."""
    if isinstance(exc, DOMException):
        return "DOMException"
    if isinstance(exc, RangeError):
        return "RangeError"
    if isinstance(exc, TypeError):
        return "TypeError"
    if isinstance(exc, Error):
        return "Error"
    return type(exc).__name__


def err_text(exc: Any) -> str | None:
    if exc is None:
        return None
    if not isinstance(exc, BaseException):
        return str(exc)
    return js_error_string(exc)


def _null(obj: Any) -> None:
    """JavaScript's null is JSON's ``null``; anything else JSON cannot hold is an error."""
    if obj is JS_NULL:
        return None
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def js_json(value: Any) -> str:
    """``JSON.stringify(value)`` (used in labels)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_null)


def jsonable(value: Any) -> Any:
    if value is None or value is JS_NULL or isinstance(value, (str, bool, int, float)):
        return None if value is JS_NULL else value
    if isinstance(value, WebSocket):
        return "[object WebSocket]"
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return str(value)


def js_join(items: list[Any]) -> str:
    """``String(array)``: items joined by "," (null → "")."""
    return ",".join("" if i is None else str(i) for i in items)


class Report:
    def __init__(self, scenario: str, rid: str) -> None:
        self.data: dict[str, Any] = {"scenario": scenario, "id": rid, "done": False, "log": []}
        self.pending: list[asyncio.Future[Any]] = []
        REPORTS[rid] = self

    def add(self, entry: dict[str, Any]) -> dict[str, Any]:
        if self.data["done"]:
            entry["afterDone"] = True
        self.data["log"].append(entry)
        console.log(f"[{self.data['id']}] {js_json(entry)}")
        return entry

    def note(self, label: str, value: Any) -> dict[str, Any]:
        return self.add({"note": label, "value": jsonable(value)})

    def call(self, label: str, fn: Any, ws: WebSocket | None = None) -> dict[str, Any]:
        try:
            entry = {"call": label, "ok": True, "value": jsonable(fn())}
        except Exception as exc:
            entry = {"call": label, "ok": False, "error": err_text(exc), "errorClass": js_class(exc)}
        if ws is not None:
            entry["readyState"] = ws.readyState
        return self.add(entry)

    async def call_async(self, label: str, fn: Any) -> dict[str, Any]:
        try:
            entry = {"call": label, "ok": True, "value": jsonable(await fn())}
        except Exception as exc:
            entry = {"call": label, "ok": False, "error": err_text(exc), "errorClass": js_class(exc)}
        return self.add(entry)

    def extra(self, key: str, value: Any) -> None:
        self.data.setdefault(key, []).append(value)
        console.log(f"[{self.data['id']}] {key} {js_json(value)}")

    def message_entry(self, event: str, socket: str, ws: WebSocket, data: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {"event": event, "socket": socket, "readyState": ws.readyState}
        if isinstance(data, str):
            size = len(data.encode("utf-8"))
            entry.update(dataType="string", size=size)
            if size <= MAX_DATA:
                entry["data"] = data
        elif isinstance(data, (bytes, bytearray, memoryview)):
            data = bytes(data)
            entry.update(dataType="ArrayBuffer", size=len(data))
            if len(data) <= MAX_DATA:
                entry["data"] = data.hex()
        elif isinstance(data, Blob):
            entry.update(dataType="Blob", size=data.size)
            if data.size <= MAX_DATA:
                entry["data"] = None  # filled in once the Blob has been read

                async def read(blob: Blob = data) -> None:
                    entry["data"] = (await blob.bytes()).hex()

                self.pending.append(asyncio.ensure_future(read()))
        else:
            entry.update(dataType=type(data).__name__, data=str(data))
        return entry

    def watch(self, name: str, ws: WebSocket, *, message: Any = None, close: Any = None,
              error: Any = None, open: Any = None) -> None:
        """Record every event of ``ws`` (then run the scenario's own handler, if any)."""

        def on_message(event: Any) -> None:
            self.add(self.message_entry("message", name, ws, event.data))
            if message:
                message(event)

        def on_close(event: Any) -> None:
            self.add({"event": "close", "socket": name, "readyState": ws.readyState, "code": event.code,
                      "reason": event.reason, "wasClean": event.wasClean})
            if close:
                close(event)

        def on_error(event: Any) -> None:
            self.add({"event": "error", "socket": name, "readyState": ws.readyState,
                      "message": getattr(event, "message", None), "error": err_text(getattr(event, "error", None))})
            if error:
                error(event)

        def on_open(event: Any) -> None:
            self.add({"event": "open", "socket": name, "readyState": ws.readyState, "protocol": ws.protocol,
                      "extensions": ws.extensions})
            if open:
                open(event)

        ws.addEventListener("message", on_message)
        ws.addEventListener("close", on_close)
        ws.addEventListener("error", on_error)
        ws.addEventListener("open", on_open)

    def finish(self) -> asyncio.Future[None]:
        """Mark the report done once every pending Blob read has settled (awaitable)."""
        if not self.pending:
            self._done()
            fut = asyncio.get_running_loop().create_future()
            fut.set_result(None)
            return fut
        return asyncio.ensure_future(self._finish_later())

    async def _finish_later(self) -> None:
        while self.pending:
            pending, self.pending = self.pending, []
            await asyncio.gather(*pending, return_exceptions=True)
        self._done()

    def _done(self) -> None:
        self.data["done"] = True
        console.log(f"[{self.data['id']}] done")


def deferred() -> asyncio.Future[Any]:
    return asyncio.get_running_loop().create_future()


def resolve(fut: asyncio.Future[Any]) -> None:
    if not fut.done():
        fut.set_result(None)


def header_object(headers: Headers) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def is_upgrade(request: Any) -> bool:
    """The guide's check: exact, case-sensitive comparison."""
    return request.headers.get("Upgrade") == "websocket"


def expected_upgrade() -> Response:
    return Response("Expected Upgrade: websocket", status=426)


def param(url: Any, name: str) -> str | None:
    values = parse_qs(url.query, keep_blank_values=True).get(name)
    return values[0] if values else None


def origin(request: Any) -> str:
    """``http://127.0.0.1:PORT``: this Worker's own server (stands in for SELF / globalOutbound)."""
    parts = urlsplit(request.url)
    return f"{parts.scheme}://{parts.netloc}"


def echo_server(r: Report, *, allow_half_open: bool | None = None, name: str = "server",
                on_close: Any = None) -> tuple[WebSocket, WebSocket]:
    client, server = WebSocketPair()
    if allow_half_open is None:
        server.accept()
    else:
        server.accept(allowHalfOpen=allow_half_open)

    def closed(event: Any) -> None:
        if on_close:
            on_close(event, server)
        r.finish()

    r.watch(name, server, message=lambda event: server.send(event.data), close=closed)
    return client, server


# ── scenarios ────────────────────────────────────────────────────────────────────────────

SCENARIOS: dict[str, Any] = {}


def scenario(name: str):
    def register(fn: Any) -> Any:
        SCENARIOS[name] = fn
        return fn
    return register


@scenario("upgrade-check-426")
def upgrade_check(request, env, ctx, r, url):
    r.note("Upgrade header", request.headers.get("Upgrade"))
    if not is_upgrade(request):
        r.finish()
        return expected_upgrade()
    client, _ = echo_server(r)
    r.finish()
    return Response(None, status=101, web_socket=client)


@scenario("echo-text")
def echo_text(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    client, server = echo_server(r)
    r.note("server.readyState after accept", server.readyState)
    r.note("client.readyState before return", client.readyState)
    return Response(None, status=101, web_socket=client)


@scenario("echo-binary")
def echo_binary(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    client, server = WebSocketPair()
    r.note("server.binaryType initially", server.binaryType)
    server.accept()

    def on_message(event):
        if isinstance(event.data, str) and event.data.startswith("binaryType="):
            value = event.data[len("binaryType="):]
            r.call(f"server.binaryType = {js_json(value)}", lambda: setattr(server, "binaryType", value))
            r.note("server.binaryType", server.binaryType)
            server.send("binaryType is " + server.binaryType)
            return
        r.call("server.send(event.data)", lambda: server.send(event.data))

    r.watch("server", server, message=on_message, close=lambda event: r.finish())
    return Response(None, status=101, web_socket=client)


@scenario("send-before-accept")
def send_before_accept(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    client, server = WebSocketPair()
    r.note("server.readyState before accept", server.readyState)
    r.note("client.readyState before accept", client.readyState)
    r.call('server.send("too early")', lambda: server.send("too early"), server)
    r.call("server.close(1000) before accept", lambda: server.close(1000), server)
    r.call("server.close(999) before accept", lambda: server.close(999), server)
    r.call("server.accept()", lambda: server.accept(), server)
    r.call("server.accept() again", lambda: server.accept(), server)
    r.watch("server", server, close=lambda event: r.finish())
    r.call('server.send("after accept")', lambda: server.send("after accept"), server)
    r.call('server.close(1000, "done")', lambda: server.close(1000, "done"), server)
    return Response(None, status=101, web_socket=client)


@scenario("send-after-close")
def send_after_close(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    client, server = WebSocketPair()
    server.accept()

    def on_close(event):
        r.call('server.send("in close handler")', lambda: server.send("in close handler"), server)
        r.finish()

    r.watch("server", server, close=on_close)
    r.call('server.close(4001, "server closing")', lambda: server.close(4001, "server closing"), server)
    r.call('server.send("after close")', lambda: server.send("after close"), server)
    r.call("server.close() again", lambda: server.close(), server)
    r.call('server.close(4002, "again")', lambda: server.close(4002, "again"), server)
    r.call("server.close(999) after close", lambda: server.close(999), server)
    r.call('server.close(1000, "x" * 124) after close', lambda: server.close(1000, "x" * 124), server)
    return Response(None, status=101, web_socket=client)


@scenario("close-invalid-codes")
def close_invalid_codes(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    client, server = WebSocketPair()
    server.accept()
    r.watch("server", server, close=lambda event: r.finish())
    for code in (0, 999, 1004, 1005, 1006, 1015, 5000, 65536):
        r.call(f"server.close({code})", lambda code=code: server.close(code), server)
    r.call('server.close(1000, "x" * 124)', lambda: server.close(1000, "x" * 124), server)
    r.call('server.close(1000, "é" * 62)', lambda: server.close(1000, "é" * 62), server)
    r.call('server.close(undefined, "reason")', lambda: server.close(None, "reason"), server)
    r.call('server.close(999, "x" * 124)', lambda: server.close(999, "x" * 124), server)
    r.note("server.readyState after invalid closes", server.readyState)
    r.call('server.close(4000, "x" * 123)', lambda: server.close(4000, "x" * 123), server)
    return Response(None, status=101, web_socket=client)


@scenario("close-without-code")
def close_without_code(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    client, server = WebSocketPair()
    server.accept()
    r.watch("server", server, close=lambda event: r.finish())
    r.call("server.close()", lambda: server.close(), server)
    return Response(None, status=101, web_socket=client)


@scenario("client-vanishes")
def client_vanishes(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    client, server = WebSocketPair()
    server.accept()

    def on_close(event):
        r.call('server.send("after vanish")', lambda: server.send("after vanish"), server)
        r.call("server.close(1000)", lambda: server.close(1000), server)
        r.finish()

    r.watch("server", server, message=lambda event: server.send("ready"), close=on_close,
            error=lambda event: r.finish())
    return Response(None, status=101, web_socket=client)


@scenario("buffer-before-accept")
async def buffer_before_accept(request, env, ctx, r, url):
    a, b = WebSocketPair()
    b_got3, a_closed, b_closed = deferred(), deferred(), deferred()
    count = {"b": 0}

    def b_message(event):
        count["b"] += 1
        if count["b"] == 3:
            resolve(b_got3)

    r.watch("a", a, close=lambda event: resolve(a_closed))
    r.watch("b", b, message=b_message, close=lambda event: resolve(b_closed))
    r.call("a.accept()", lambda: a.accept(), a)
    for m in ("one", "two", "three"):
        r.call(f'a.send("{m}")', lambda m=m: a.send(m), a)
    r.note("b.readyState before b.accept()", b.readyState)
    r.call("b.accept()", lambda: b.accept(), b)
    r.note("b.accept() returned; no message event yet", count["b"])
    await b_got3
    r.call('a.close(1000, "end")', lambda: a.close(1000, "end"), a)
    await asyncio.gather(a_closed, b_closed)
    r.note("a.readyState at end", a.readyState)
    r.note("b.readyState at end", b.readyState)

    # Second pair: a message and a Close both sent before the peer is accepted.
    c, d = WebSocketPair()
    c_closed, d_closed = deferred(), deferred()
    r.watch("c", c, close=lambda event: resolve(c_closed))
    r.watch("d", d, close=lambda event: resolve(d_closed))
    r.call("c.accept()", lambda: c.accept(), c)
    r.call('c.send("before close")', lambda: c.send("before close"), c)
    r.call('c.close(4000, "early")', lambda: c.close(4000, "early"), c)
    r.call("d.accept()", lambda: d.accept(), d)
    await asyncio.gather(c_closed, d_closed)
    await r.finish()
    return Response("done")


@scenario("returned-end-inert")
def returned_end_inert(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    client, server = WebSocketPair()
    server.accept()
    r.watch("client", client)

    def on_message(event):
        if event.data != "probe":
            return
        r.note("client.readyState after return", client.readyState)
        r.call('client.send("from returned end")', lambda: client.send("from returned end"), client)
        r.call('client.close(4005, "from returned end")', lambda: client.close(4005, "from returned end"), client)
        r.call("client.close(999)", lambda: client.close(999), client)
        r.call("client.accept()", lambda: client.accept(), client)
        r.note("client.readyState after pokes", client.readyState)
        server.send("probe ack")

    def on_close(event):
        r.note("client.readyState when server closed", client.readyState)
        r.finish()

    r.watch("server", server, message=on_message, close=on_close)
    return Response(None, status=101, web_socket=client)


@scenario("response-101-without-socket")
def response_101_without_socket(request, env, ctx, r, url):
    client, server = WebSocketPair()
    r.call("new Response(null, {status: 101})", lambda: Response(None, status=101).status)
    r.call("new Response(null, {status: 101, webSocket: null})",
           lambda: Response(None, status=101, web_socket=None).status)
    r.call('new Response("body", {status: 101, webSocket: client})',
           lambda: Response("body", status=101, web_socket=client).status)
    r.call("new Response(null, {status: 199})", lambda: Response(None, status=199).status)
    r.call("new Response(null, {status: 600})", lambda: Response(None, status=600).status)
    r.finish()
    return Response("recorded")


@scenario("response-socket-without-101")
def response_socket_without_101(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    client, server = WebSocketPair()
    r.call("new Response(null, {status: 200, webSocket: client})",
           lambda: Response(None, status=200, web_socket=client).status)
    r.call("new Response(null, {status: 426, webSocket: client})",
           lambda: Response(None, status=426, web_socket=client).status)
    resp = Response(None, status=101, web_socket=client)
    r.note("resp.status", resp.status)
    r.note("resp.statusText", resp.statusText)
    r.note("resp.webSocket === client", resp.webSocket is client)
    r.note("new Response(null).webSocket", Response(None).webSocket)
    r.call("resp.clone()", lambda: resp.clone().status)

    def which(ws):
        return None if not ws else "the same WebSocket" if ws is client else "another WebSocket"

    r.call("new Response(resp).webSocket (resp as the body)", lambda: which(Response(resp).webSocket))

    def copy_with_init():
        copy = Response(None, resp)  # resp as the init: its status, headers and webSocket are read
        return {"status": copy.status, "webSocket": which(copy.webSocket)}

    r.call("new Response(null, resp) (resp as the init)", copy_with_init)
    r.note("resp.webSocket === client after copying", resp.webSocket is client)
    server.accept()
    r.watch("server", server, close=lambda event: r.finish())
    server.send("ok")
    server.close(1000, "done")
    return resp


@scenario("socket-returned-twice")
def socket_returned_twice(request, env, ctx, r, url):
    if param(url, "phase") == "2":
        rid = r.data["id"]
        stored = SOCKETS.get(rid[: -len("-phase2")] if rid.endswith("-phase2") else rid)
        r.note("stored end found", stored is not None)
        r.call("stored.readyState", lambda: stored.readyState)
        r.call("stored.accept()", lambda: stored.accept())
        made: dict[str, Response] = {}

        def build():
            made["resp"] = Response(None, status=101, web_socket=stored)
            return made["resp"].status

        r.call("new Response(null, {status: 101, webSocket: stored})", build)
        r.finish()
        return made.get("resp") or Response("could not build the response", status=500)
    if not is_upgrade(request):
        return expected_upgrade()
    client, server = WebSocketPair()
    server.accept()
    r.watch("server", server, message=lambda event: server.send(event.data), close=lambda event: r.finish())
    SOCKETS[r.data["id"]] = client
    return Response(None, status=101, web_socket=client)


@scenario("socket-returned-after-accept")
def socket_returned_after_accept(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    client, server = WebSocketPair()
    server.accept()
    r.note("returning the accepted end", True)
    r.finish()
    return Response(None, status=101, web_socket=server)


@scenario("socket-returned-without-upgrade")
def socket_returned_without_upgrade(request, env, ctx, r, url):
    client, server = WebSocketPair()
    server.accept()
    r.note("Upgrade header", request.headers.get("Upgrade"))
    r.finish()
    return Response(None, status=101, web_socket=client)


@scenario("auto-reply-to-close")
def auto_reply_to_close(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    client, server = WebSocketPair()
    server.accept()

    def on_close(event):
        r.call('server.send("in close handler")', lambda: server.send("in close handler"), server)
        r.call('server.close(1000, "handler close")', lambda: server.close(1000, "handler close"), server)
        r.finish()

    r.watch("server", server, close=on_close)
    return Response(None, status=101, web_socket=client)


@scenario("allow-half-open")
def allow_half_open(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    client, server = WebSocketPair()
    r.call("server.accept({allowHalfOpen: true})", lambda: server.accept(allowHalfOpen=True), server)

    def later():
        r.call('server.close(4002, "server done")', lambda: server.close(4002, "server done"), server)
        r.finish()

    def on_close(event):
        r.call('server.send("still here")', lambda: server.send("still here"), server)
        asyncio.get_running_loop().call_soon(later)  # setTimeout(…, 0)

    r.watch("server", server, close=on_close)
    return Response(None, status=101, web_socket=client)


@scenario("too-big-message")
def too_big_message(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    client, server = WebSocketPair()
    server.binaryType = "arraybuffer"
    server.accept()
    r.watch("server", server, message=lambda event: server.send(f"got {len(event.data)}"),
            close=lambda event: r.finish(), error=lambda event: r.finish())
    return Response(None, status=101, web_socket=client)


@scenario("subprotocol-chosen-by-worker")
def subprotocol_chosen_by_worker(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    r.note("request Sec-WebSocket-Protocol", request.headers.get("Sec-WebSocket-Protocol"))
    client, server = echo_server(r)
    r.note("server.protocol", server.protocol)
    return Response(None, status=101, web_socket=client, headers={"Sec-WebSocket-Protocol": "b"})


@scenario("subprotocol-not-echoed")
def subprotocol_not_echoed(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    r.note("request Sec-WebSocket-Protocol", request.headers.get("Sec-WebSocket-Protocol"))
    client, _ = echo_server(r)
    return Response(None, status=101, web_socket=client)


def compression_echo(request, r):
    """Also run under date 2023-08-14 (no automatic close reply): the close handler answers."""
    if not is_upgrade(request):
        return expected_upgrade()
    r.note("request Sec-WebSocket-Extensions", request.headers.get("Sec-WebSocket-Extensions"))

    def on_close(event, server):
        r.call(f"server.close({event.code}, {js_json(event.reason)}) in close handler",
               lambda: server.close(event.code, event.reason), server)

    client, server = echo_server(r, on_close=on_close)
    r.note("server.extensions", server.extensions)
    return Response(None, status=101, web_socket=client)


SCENARIOS["compression-on"] = lambda request, env, ctx, r, url: compression_echo(request, r)
SCENARIOS["compression-off"] = lambda request, env, ctx, r, url: compression_echo(request, r)


@scenario("fetch-extensions-empty")
async def fetch_extensions_empty(request, env, ctx, r, url):
    rid = r.data["id"]
    cases = [
        ("absent", {}),
        ("permessage-deflate", {"Sec-WebSocket-Extensions": "permessage-deflate"}),
        ("empty", {"Sec-WebSocket-Extensions": ""}),
    ]
    for label, extra in cases:
        headers = {"Upgrade": "websocket", **extra}
        resp = await fetch(f"{origin(request)}/_target?id={quote(rid)}&mode=echo&label={label}", headers=headers)
        r.note(f"{label}: resp.status", resp.status)
        r.note(f"{label}: resp Sec-WebSocket-Extensions", resp.headers.get("Sec-WebSocket-Extensions"))
        ws = resp.webSocket
        r.note(f"{label}: resp.webSocket is null", not ws)
        if not ws:
            continue
        r.note(f"{label}: ws.readyState", ws.readyState)
        r.note(f"{label}: ws.extensions", ws.extensions)
        r.note(f"{label}: ws.protocol", ws.protocol)
        r.note(f"{label}: ws.url", ws.url)
        r.call(f"{label}: ws.send before accept", lambda: ws.send("early"), ws)
        got, closed = deferred(), deferred()
        r.watch(label, ws, message=lambda event, got=got: resolve(got), close=lambda event, c=closed: resolve(c))
        ws.accept()
        ws.send("ping " + label)
        await got
        r.call(f"{label}: ws.close(1000)", lambda: ws.close(1000), ws)
        await closed
    await r.finish()
    return Response("done")


@scenario("fetch-upgrade")
async def fetch_upgrade(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    rid = r.data["id"]
    resp = await fetch(f"{origin(request)}/_target?id={quote(rid)}&mode=echo&label=upstream",
                       headers={"Upgrade": "websocket"})
    r.note("upstream resp.status", resp.status)
    r.note("upstream resp.statusText", resp.statusText)
    upstream = resp.webSocket
    r.note("upstream webSocket is null", not upstream)
    r.note("upstream.readyState before accept", upstream.readyState)
    r.call("upstream.accept()", lambda: upstream.accept(), upstream)
    client, server = WebSocketPair()
    server.accept()

    def server_close(event):
        r.call(f"upstream.close({event.code}, {js_json(event.reason)})",
               lambda: upstream.close(event.code, event.reason), upstream)

    r.watch("server", server, message=lambda event: upstream.send(event.data), close=server_close)
    r.watch("upstream", upstream, message=lambda event: server.send(event.data), close=lambda event: r.finish())
    return Response(None, status=101, web_socket=client)


@scenario("fetch-upgrade-proxy")
async def fetch_upgrade_proxy(request, env, ctx, r, url):
    if not is_upgrade(request):
        return expected_upgrade()
    rid = r.data["id"]
    headers = Headers(request.headers)
    resp = await fetch(f"{origin(request)}/_target?id={quote(rid)}&mode=echo&label=proxied", headers=headers)
    r.note("upstream resp.status", resp.status)
    r.note("upstream resp headers", header_object(resp.headers))
    r.note("upstream webSocket is null", not resp.webSocket)
    r.finish()
    return Response(None, status=101, web_socket=resp.webSocket, headers=resp.headers)


@scenario("fetch-upgrade-refused")
async def fetch_upgrade_refused(request, env, ctx, r, url):
    rid = r.data["id"]
    for mode in ("refuse", "plain"):
        async def attempt(mode=mode):
            resp = await fetch(f"{origin(request)}/_target?id={quote(rid)}&mode={mode}&label={mode}",
                               headers={"Upgrade": "websocket"})
            return {
                "status": resp.status,
                "statusText": resp.statusText,
                "contentType": resp.headers.get("Content-Type"),
                "webSocketIsNull": not resp.webSocket,
                "body": await resp.text(),
            }

        await r.call_async(f"{mode}: fetch", attempt)
    await r.finish()
    return Response("done")


@scenario("new-websocket-from-worker")
async def new_websocket_from_worker(request, env, ctx, r, url):
    rid = quote(r.data["id"])
    r.call('new WebSocket("http://self/x")', lambda: WebSocket("http://self/x").readyState)
    r.call('new WebSocket("ws://self/x#frag")', lambda: WebSocket("ws://self/x#frag").readyState)
    r.call('new WebSocket("not a url")', lambda: WebSocket("not a url").readyState)
    r.call('new WebSocket("ws://self/x", "a b")', lambda: WebSocket("ws://self/x", "a b").readyState)
    r.call('new WebSocket("ws://self/x", ["a", "a"])', lambda: WebSocket("ws://self/x", ["a", "a"]).readyState)
    r.call('new WebSocket("ws://self/x", ["a", "b,c"])', lambda: WebSocket("ws://self/x", ["a", "b,c"]).readyState)

    ws_origin = "ws" + origin(request)[len("http"):]
    target_url = f"{ws_origin}/_target?id={rid}&mode=echo&label=new-websocket&proto=chat"
    ws = WebSocket(target_url, ["chat", "superchat"])
    r.note("ws.readyState after construction", ws.readyState)
    r.note("ws.url is the string passed", ws.url == target_url)
    r.note("ws.protocol while connecting", ws.protocol)
    r.note("ws.extensions while connecting", ws.extensions)
    r.note("ws.binaryType", ws.binaryType)
    r.call("ws.accept() while connecting", lambda: ws.accept(), ws)
    r.call('ws.send("early") while connecting', lambda: ws.send("early"), ws)
    r.call("ws.close(999) while connecting", lambda: ws.close(999), ws)
    closed = deferred()

    def on_open(event):
        r.call("ws.accept() after open", lambda: ws.accept(), ws)
        ws.send("hello from new WebSocket")

    r.watch("ws", ws, open=on_open, message=lambda event: ws.close(1000, "done"),
            close=lambda event: resolve(closed))
    await closed

    # A target that refuses the upgrade.
    ws2 = WebSocket(f"{ws_origin}/_target?id={rid}&mode=refuse&label=new-websocket-refused")
    closed2 = deferred()
    r.watch("refused", ws2, close=lambda event: resolve(closed2))
    await closed2

    # close() while connecting.
    ws3 = WebSocket(f"{ws_origin}/_target?id={rid}&mode=echo&label=new-websocket-cancelled")
    closed3 = deferred()
    r.watch("cancelled", ws3, close=lambda event: resolve(closed3))
    r.call('ws3.close(1000, "never mind") while connecting', lambda: ws3.close(1000, "never mind"), ws3)
    await closed3
    await r.finish()
    return Response("done")


@scenario("durable-object-hibernation")
async def durable_object_hibernation(request, env, ctx, r, url):
    phase = param(url, "phase")
    if phase != "limits" and not is_upgrade(request):
        return expected_upgrade()
    room = f"{r.data['id']}:limits" if phase == "limits" else r.data["id"]
    return await env.ROOMS.getByName(room).fetch(request)


def target(request: Any, url: Any) -> Response:
    rid = param(url, "id")
    mode = param(url, "mode")
    label = param(url, "label")
    r = REPORTS.get(rid or "")
    seen: dict[str, Any] = {}
    for name in ("upgrade", "connection", "sec-websocket-extensions", "sec-websocket-protocol",
                 "sec-websocket-version"):
        seen[name] = request.headers.get(name)
    seen["sec-websocket-key present"] = request.headers.get("sec-websocket-key") is not None
    if r is not None:
        r.extra("target", {"label": label, "mode": mode, "headers": seen})
    if mode == "refuse":
        return Response("nope: no WebSocket here", status=403)
    if mode == "plain":
        return Response("plain response")
    client, server = WebSocketPair()
    server.accept()
    server.addEventListener("message", lambda event: server.send(event.data))
    headers = {}
    proto = param(url, "proto")
    offered = [s.strip() for s in (request.headers.get("Sec-WebSocket-Protocol") or "").split(",")]
    if proto and proto in offered:
        headers["Sec-WebSocket-Protocol"] = proto
    return Response(None, status=101, web_socket=client, headers=headers)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlsplit(request.url)
        name = url.path[1:]
        if name == "report":
            rep = REPORTS.get(param(url, "id") or "")
            if rep is None:
                return Response("unknown report id", status=404)
            return Response(json.dumps(rep.data, ensure_ascii=False, default=_null), headers={"Content-Type": "application/json"})
        if name == "_target":
            return target(request, url)
        handler = SCENARIOS.get(name)
        if handler is None:
            return Response("unknown scenario", status=404)
        rid = param(url, "id") or name
        if name == "socket-returned-twice" and param(url, "phase") == "2":
            rid += "-phase2"
        # The Durable Object scenario spans several requests that share one report.
        r = (REPORTS.get(rid) if name == "durable-object-hibernation" else None) or Report(name, rid)
        result = handler(request, self.env, self.ctx, r, url)
        if inspect.isawaitable(result):
            result = await result
        return result


# ── Durable Object: hibernation API (see js/worker.js for the phases and the done rule) ─────
ROOM_INSTANCES = 0  # constructor runs, to see an object being re-created
ENDED: dict[str, set[str]] = {}  # report id → names whose webSocketClose/webSocketError ran
LAST_INSTANCE: dict[str, int] = {}  # report id → instance number of the room that last recorded

ATTACHMENT_LIMIT_OK = "x" * 16379  # 16384 bytes serialized by V8


class HibernationRoom(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        global ROOM_INSTANCES
        ROOM_INSTANCES += 1
        self.instance = ROOM_INSTANCES

    def report(self, rid: str) -> Report:
        r = REPORTS[rid]
        last = LAST_INSTANCE.get(rid)
        if last is not None and last != self.instance:
            r.note("HibernationRoom was constructed again", True)
        LAST_INSTANCE[rid] = self.instance
        return r

    def ended(self, r: Report, name: str) -> None:
        names = ENDED.setdefault(r.data["id"], set())
        names.add(name)
        if len(names) == 4:
            r.finish()

    def names(self, tag: str | None = None) -> list[Any]:
        sockets = self.ctx.getWebSockets() if tag is None else self.ctx.getWebSockets(tag)
        return [(ws.deserializeAttachment() or {}).get("name") for ws in sockets]

    async def fetch(self, request):
        url = urlsplit(request.url)
        rid = param(url, "id")
        if param(url, "phase") == "limits":
            self.limits(REPORTS[rid])  # the separate object "<id>:limits"
            return Response("limits recorded")
        r = self.report(rid)
        name = param(url, "name")
        tags = [t for t in (param(url, "tags") or "").split(",") if t]
        client, server = WebSocketPair()
        r.call(f"{name}: ctx.acceptWebSocket(server, {js_json(tags)})",
               lambda: self.ctx.acceptWebSocket(server, tags), server)
        r.call(f"{name}: server.serializeAttachment({{name, id}})",
               lambda: server.serializeAttachment({"name": name, "id": rid}))
        r.call(f"{name}: ctx.getTags(server)", lambda: self.ctx.getTags(server))
        r.call(f"{name}: server.accept()", lambda: server.accept(), server)
        r.note(f"{name}: getWebSockets() names", self.names())
        if self.ctx.getWebSocketAutoResponse() is JS_NULL:
            r.call('setWebSocketAutoResponse("ping" → "pong")',
                   lambda: self.ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair("ping", "pong")))
        return Response(None, status=101, web_socket=client)

    def webSocketMessage(self, ws, message):
        att = ws.deserializeAttachment()
        r = self.report(att["id"])
        r.add(r.message_entry("webSocketMessage", att["name"], ws, message))
        if not isinstance(message, str):
            kind = "ArrayBuffer" if isinstance(message, (bytes, bytearray)) else type(message).__name__
            ws.send(f"binary {kind} {len(message)}")
        elif message == "who":
            tags = self.ctx.getTags(ws)
            ws.send(f"you={att['name']} all=[{js_join(self.names())}] room=[{js_join(self.names('room'))}] "
                    f"tags=[{js_join(tags)}]")
        elif message == "stamp":
            ts = self.ctx.getWebSocketAutoResponseTimestamp(ws)
            ws.send(f"autoResponseTimestamp: {'Date' if isinstance(ts, _dt.datetime) else 'null' if ts is JS_NULL else ts}")
        else:
            ws.send(f"echo {message}")

    def webSocketClose(self, ws, code, reason, wasClean):
        att = ws.deserializeAttachment()
        r = self.report(att["id"])
        name = att["name"]
        r.add({"event": "webSocketClose", "socket": name, "readyState": ws.readyState, "code": code,
               "reason": reason, "wasClean": wasClean})
        r.note(f"{name}: getWebSockets() names in webSocketClose", self.names())
        r.call(f'{name}: ws.send("in webSocketClose")', lambda: ws.send("in webSocketClose"), ws)
        reply = 1000 if code in (1005, 1006) else code
        r.call(f"{name}: ws.close({reply}, {js_json(reason)})", lambda: ws.close(reply, reason), ws)
        self.ended(r, name)

    def webSocketError(self, ws, error):
        att = ws.deserializeAttachment()
        r = self.report(att["id"])
        r.add({"event": "webSocketError", "socket": att["name"], "readyState": ws.readyState,
               "error": err_text(error)})
        self.ended(r, att["name"])

    def limits(self, r: Report) -> None:
        ctx = self.ctx

        def pair():
            return tuple(WebSocketPair())

        tags11 = [f"t{i}" for i in range(11)]
        tags10dup = [f"t{i}" for i in range(10)] + ["t0"]
        _, s1 = pair()
        r.call("acceptWebSocket(ws, 11 distinct tags)", lambda: ctx.acceptWebSocket(s1, tags11))
        r.note("getWebSockets().length after the failed accept", len(ctx.getWebSockets()))
        _, s2 = pair()
        r.call("acceptWebSocket(ws, 10 distinct tags + a duplicate)", lambda: ctx.acceptWebSocket(s2, tags10dup))
        _, s3 = pair()
        r.call("acceptWebSocket(ws, [257-byte ASCII tag])", lambda: ctx.acceptWebSocket(s3, ["x" * 257]))
        _, s4 = pair()
        r.call('acceptWebSocket(ws, ["é" * 129]) (258 bytes, 129 chars)',
               lambda: ctx.acceptWebSocket(s4, ["é" * 129]))
        _, s5 = pair()
        r.call("acceptWebSocket(ws, [256-byte ASCII tag])", lambda: ctx.acceptWebSocket(s5, ["y" * 256]))
        _, s6 = pair()
        r.call('acceptWebSocket(ws, ["dup", "dup"])', lambda: ctx.acceptWebSocket(s6, ["dup", "dup"]))
        r.call("getTags(ws with duplicate tags)", lambda: ctx.getTags(s6))
        _, s7 = pair()
        r.call("getTags(unaccepted ws)", lambda: ctx.getTags(s7))
        r.call("s7.accept()", lambda: s7.accept())
        r.call("getTags(ws accepted with accept())", lambda: ctx.getTags(s7))
        r.call("acceptWebSocket(ws accepted with accept())", lambda: ctx.acceptWebSocket(s7))
        c8, s8 = pair()
        r.call("acceptWebSocket(s8)", lambda: ctx.acceptWebSocket(s8))
        r.call("s8.accept() after acceptWebSocket", lambda: s8.accept())
        r.call("acceptWebSocket(c8) whose pair was hibernation-accepted", lambda: ctx.acceptWebSocket(c8))
        r.call("getTags(s8) without tags", lambda: ctx.getTags(s8))
        r.call("s8.deserializeAttachment() before any serialize", lambda: s8.deserializeAttachment())
        r.call("s8.serializeAttachment({a: 1, b: [2, 3]})", lambda: s8.serializeAttachment({"a": 1, "b": [2, 3]}))
        r.call("s8.deserializeAttachment()", lambda: s8.deserializeAttachment())
        r.call('s8.serializeAttachment("x" * 16379) (16384 bytes serialized)',
               lambda: s8.serializeAttachment(ATTACHMENT_LIMIT_OK))
        r.call('s8.serializeAttachment("x" * 16380) (16385 bytes serialized)',
               lambda: s8.serializeAttachment("x" * 16380))
        r.call('s8.serializeAttachment("x" * 20000)', lambda: s8.serializeAttachment("x" * 20000))
        r.call("s8.deserializeAttachment() length after the failed ones", lambda: len(s8.deserializeAttachment()))
        _, s9 = pair()
        r.call("s9 (unaccepted) serializeAttachment(1)", lambda: s9.serializeAttachment(1))
        r.call("s9 deserializeAttachment()", lambda: s9.deserializeAttachment())
        r.call("getWebSocketAutoResponse() before set", lambda: ctx.getWebSocketAutoResponse())

        def construct_big():
            WebSocketRequestResponsePair("x" * 2049, "y")
            return "constructed"

        r.call('new WebSocketRequestResponsePair("x" * 2049, "y")', construct_big)
        r.call('setWebSocketAutoResponse(pair("x" * 2049, "y"))',
               lambda: ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair("x" * 2049, "y")))
        r.call('setWebSocketAutoResponse(pair("y", "x" * 2049))',
               lambda: ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair("y", "x" * 2049)))
        r.call('setWebSocketAutoResponse(pair("x" * 2048, "y" * 2048))',
               lambda: ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair("x" * 2048, "y" * 2048)))
        r.call('setWebSocketAutoResponse(pair("é" * 1025, "y")) (2050 bytes, 1025 chars)',
               lambda: ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair("é" * 1025, "y")))
        r.call('setWebSocketAutoResponse(pair("req", "res"))',
               lambda: ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair("req", "res")))

        def shape():
            p = ctx.getWebSocketAutoResponse()
            get_request = getattr(p, "getRequest", None)
            get_response = getattr(p, "getResponse", None)
            return {
                "constructor": type(p).__name__ if p is not None else None,
                "request": getattr(p, "request", None),
                "response": getattr(p, "response", None),
                "getRequest": get_request() if callable(get_request) else None,
                "getResponse": get_response() if callable(get_response) else None,
            }

        r.call("getWebSocketAutoResponse() shape", shape)
        r.call("getWebSocketAutoResponseTimestamp(s8)", lambda: ctx.getWebSocketAutoResponseTimestamp(s8))
        r.call("setWebSocketAutoResponse()", lambda: ctx.setWebSocketAutoResponse())
        r.call("getWebSocketAutoResponse() after unset", lambda: ctx.getWebSocketAutoResponse())
        r.call("getHibernatableWebSocketEventTimeout()", lambda: ctx.getHibernatableWebSocketEventTimeout())
        r.call("setHibernatableWebSocketEventTimeout(604800001)",
               lambda: ctx.setHibernatableWebSocketEventTimeout(604800001))
        r.call("setHibernatableWebSocketEventTimeout(5000)", lambda: ctx.setHibernatableWebSocketEventTimeout(5000))
        r.call("getHibernatableWebSocketEventTimeout() after set", lambda: ctx.getHibernatableWebSocketEventTimeout())
        r.call("setHibernatableWebSocketEventTimeout()", lambda: ctx.setHibernatableWebSocketEventTimeout())
        r.call("getWebSockets().length", lambda: len(ctx.getWebSockets()))
        r.call('getWebSockets("dup").length', lambda: len(ctx.getWebSockets("dup")))
        r.call('getWebSockets("t0").length', lambda: len(ctx.getWebSockets("t0")))


def reset() -> None:
    """Forget every report and stored socket (the parity harness calls it before each run)."""
    REPORTS.clear()
    SOCKETS.clear()
    ENDED.clear()
    LAST_INSTANCE.clear()

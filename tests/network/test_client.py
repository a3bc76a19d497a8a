"""Outbound connections: WebSocket(url), fetch() upgrades and plain fetch().

Workers and the clients outside them are written the Python Workers way: ``WebSocket.new(url)``
(``wsguide.js``), ``fetch`` from ``wsguide.workers`` (a fetched socket is
``resp.js_object.webSocket``), listeners through ``create_proxy`` (the :class:`Recorder`'s),
and the runtime's errors caught as ``JsException``.
"""

from __future__ import annotations

import socket

import pytest

from wsguide import serve
from wsguide.ffi import JsException, create_proxy, jsnull, to_js
from wsguide.js import WebSocket, WebSocketPair
from wsguide.workers import Response, WorkerEntrypoint, fetch

from .helpers import AbortError, Recorder
from .workers import Echo, Pages


async def test_websocket_url_fires_open_before_any_message():
    class Greeter(WorkerEntrypoint):
        async def fetch(self, request):
            client, server = WebSocketPair.new().object_values()
            server.accept()
            server.send("welcome")  # sent before the 101 goes out
            return Response(None, status=101, web_socket=client)

    async with serve(Greeter) as srv:
        ws = WebSocket.new(srv.ws_url)
        rec = Recorder(ws)
        assert ws.readyState == WebSocket.CONNECTING
        await rec.wait_for("message")
        ws.close(1000)
    assert rec.types()[:2] == ["open", "message"]
    assert rec.events[1].data == "welcome"


async def test_websocket_url_is_accepted_for_you_and_echoes():
    async with serve(Echo) as srv:
        ws = WebSocket.new(srv.ws_url)
        rec = Recorder(ws)
        await rec.wait_for("open")
        assert ws.readyState == WebSocket.OPEN
        ws.accept()  # a no-op once open
        ws.send("ping")
        [msg] = await rec.wait_for("message")
        ws.close(1000, "done")
        [close] = await rec.wait_for("close")
    assert msg.data == "ping"
    assert (close.code, close.reason, close.wasClean) == (1000, "done", True)


async def test_accept_while_connecting_raises_the_runtime_typeerror():
    async with serve(Echo) as srv:
        ws = WebSocket.new(srv.ws_url)
        with pytest.raises(JsException) as info:
            ws.accept()
        ws.close()
    assert (info.value.name, info.value.message) == (
        "TypeError", "Websockets obtained from the 'new WebSocket()' constructor cannot call accept"
    )


async def test_websocket_url_refused_gives_error_then_close_1006():
    async with serve(Pages) as srv:  # Pages answers 200, never 101
        ws = WebSocket.new(srv.ws_url + "/x")
        rec = Recorder(ws)
        await rec.wait_for("close")
    assert rec.types() == ["error", "close"]
    assert rec.events[0].message == (
        "Uncaught TypeError: Failed to establish the WebSocket connection: expected server to "
        "reply with HTTP status code 101 (switching protocols), but received 200 instead."
    )
    close = rec.events[1]
    assert (close.code, close.reason, close.wasClean) == (1006, "Failed to establish websocket connection", False)
    assert ws.readyState == WebSocket.CLOSED


async def test_websocket_url_to_a_closed_port_gives_error_then_close_1006():
    port = _a_closed_port()
    ws = WebSocket.new(f"ws://127.0.0.1:{port}/")
    rec = Recorder(ws)
    await rec.wait_for("close")
    assert rec.types() == ["error", "close"]
    assert rec.events[1].code == 1006


async def test_close_while_connecting_gives_error_then_close_1006():
    async with serve(Echo) as srv:
        ws = WebSocket.new(srv.ws_url)
        rec = Recorder(ws)
        ws.close()
        assert ws.readyState == WebSocket.OPEN  # workerd's quirk: 1 until the failure lands
        await rec.wait_for("close")
    assert rec.types() == ["error", "close"]
    assert rec.events[1].reason == "Failed to establish websocket connection"


async def test_websocket_url_reports_protocol_and_extensions():
    class Proto(WorkerEntrypoint):
        async def fetch(self, request):
            client, server = WebSocketPair.new().object_values()
            server.accept()
            return Response(None, status=101, web_socket=client, headers={"Sec-WebSocket-Protocol": "chat"})

    async with serve(Proto) as srv:
        ws = WebSocket.new(srv.ws_url, to_js(["chat", "other"]))
        rec = Recorder(ws)
        await rec.wait_for("open")
        ws.close(1000)
    assert ws.protocol == "chat"
    # workerd offers a bare "permessage-deflate", so the answer carries no window bits
    # (tests/parity golden new-websocket-from-worker).
    assert ws.extensions == "permessage-deflate"


async def test_fetch_upgrade_offers_bare_deflate_and_has_the_wire_status_text():
    seen = []

    class Target(WorkerEntrypoint):
        async def fetch(self, request):
            seen.append(request.headers.get("Sec-WebSocket-Extensions"))
            client, server = WebSocketPair.new().object_values()
            server.accept()
            return Response(None, status=101, web_socket=client)

    async with serve(Target) as srv:
        resp = await fetch(srv.url, headers={"Upgrade": "websocket", "Sec-WebSocket-Extensions": "permessage-deflate"})
        ws = resp.js_object.webSocket
        ws.accept()
        ws.close(1000)
    assert seen == ["permessage-deflate"]
    assert resp.headers.get("Sec-WebSocket-Extensions") == "permessage-deflate"
    # workerd's statusText (tests/parity golden fetch-upgrade); the SDK names it status_text.
    assert (resp.status, resp.status_text) == (101, "Switching Protocols")


async def test_fetch_upgrade_returns_a_socket_to_accept():
    async with serve(Echo) as srv:
        resp = await fetch(srv.url, headers={"Upgrade": "websocket"})
        ws = resp.js_object.webSocket
        assert resp.status == 101
        # Each read crosses the boundary again: a new proxy of the same JavaScript socket
        # (golden socket_identity in tests/pyodide_workerd).
        assert resp.js_object.webSocket == ws
        with pytest.raises(JsException) as info:
            ws.send("too early")
        ws.accept()
        rec = Recorder(ws)
        ws.send("hello")
        [msg] = await rec.wait_for("message")
        ws.close(1000)
        await rec.wait_for("close")
    assert (info.value.name, info.value.message) == (
        "TypeError",
        "You must call one of accept() or state.acceptWebSocket() on this WebSocket before sending messages.",
    )
    assert msg.data == "hello"


async def test_refused_fetch_upgrade_returns_the_real_status_headers_and_body():
    async with serve(Pages) as srv:
        resp = await fetch(srv.url + "/teapot", headers={"Upgrade": "websocket"})
    # JavaScript's null reaches Python as jsnull, not None (golden attachment_never_set).
    assert resp.js_object.webSocket is jsnull
    assert resp.status == 418
    assert resp.headers.get("X-Reason") == "teapot"
    assert await resp.text() == "no"


async def test_fetch_with_ws_scheme_raises_the_runtime_typeerror():
    # The SDK's fetch is Pyodide's pyfetch: a rejected fetch() is an AbortError (an OSError)
    # carrying the JavaScript error's message.
    with pytest.raises(AbortError) as info:
        await fetch("ws://127.0.0.1:1/", headers={"Upgrade": "websocket"})
    assert str(info.value) == "Fetch API cannot load: ws://127.0.0.1:1/"


async def test_fetch_to_nothing_listening_raises_an_abort_error():
    port = _a_closed_port()
    with pytest.raises(AbortError) as info:
        await fetch(f"http://127.0.0.1:{port}/")
    assert str(info.value).startswith(f"fetch failed: could not reach http://127.0.0.1:{port}/")


async def test_plain_fetch_sends_method_headers_and_body():
    class Mirror(WorkerEntrypoint):
        async def fetch(self, request):
            return Response.json({"method": request.method.value, "h": request.headers.get("X-Test"),
                                  "body": await request.text()})

    async with serve(Mirror) as srv:
        resp = await fetch(srv.url + "/m", method="PUT", headers={"X-Test": "yes"}, body="a body")
    assert await resp.json() == {"method": "PUT", "h": "yes", "body": "a body"}


@pytest.mark.parametrize("var", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "HTTPS_PROXY"])
async def test_loopback_connections_ignore_proxy_variables(monkeypatch, var):
    monkeypatch.setenv(var, "http://127.0.0.1:9/")  # nothing listens on the discard port
    async with serve(Echo) as srv:
        plain = await fetch(srv.url)
        upgraded = await fetch(srv.url, headers={"Upgrade": "websocket"})
        ws = WebSocket.new(srv.ws_url)
        rec = Recorder(ws)
        await rec.wait_for("open")
        ws.close(1000)
        upgraded.js_object.webSocket.accept()
        upgraded.js_object.webSocket.close(1000)
    assert plain.status == 426
    assert upgraded.status == 101


async def test_worker_can_proxy_a_fetched_socket_by_returning_it():
    async with serve(Echo) as origin:

        class Proxy(WorkerEntrypoint):
            async def fetch(self, request):
                resp = await fetch(origin.url, headers={"Upgrade": "websocket"})
                return Response(None, status=101, web_socket=resp.js_object.webSocket)

        async with serve(Proxy) as front:
            ws = WebSocket.new(front.ws_url)
            rec = Recorder(ws)
            await rec.wait_for("open")
            ws.send("through the proxy")
            [msg] = await rec.wait_for("message")
            ws.close(1000)
    assert msg.data == "through the proxy"


async def test_worker_relays_between_a_client_and_another_worker_with_fetch():
    async with serve(Echo) as origin:

        class Relay(WorkerEntrypoint):
            async def fetch(self, request):
                upstream = (await fetch(origin.url, headers={"Upgrade": "websocket"})).js_object.webSocket
                if not upstream:  # jsnull when the origin refused the upgrade
                    return Response("upstream refused", status=502)
                upstream.accept()
                client, server = WebSocketPair.new().object_values()
                server.accept()

                def to_origin(event):
                    upstream.send("relayed:" + event.data)

                def to_client(event):
                    server.send(event.data)

                server.addEventListener("message", create_proxy(to_origin))
                upstream.addEventListener("message", create_proxy(to_client))
                return Response(None, status=101, web_socket=client)

        async with serve(Relay) as front:
            ws = WebSocket.new(front.ws_url)
            rec = Recorder(ws)
            await rec.wait_for("open")
            ws.send("hi")
            [msg] = await rec.wait_for("message")
            ws.close(1000)
    assert msg.data == "relayed:hi"


def _a_closed_port() -> int:
    """A port of 127.0.0.1 where nothing listens (bound once, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

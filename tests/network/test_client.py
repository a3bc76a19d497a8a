"""Outbound connections: WebSocket(url), fetch() upgrades and plain fetch()."""

from __future__ import annotations

import asyncio

import pytest

from wsguide import FetchError, Response, WebSocket, WebSocketPair, WorkerEntrypoint, fetch, serve

from .helpers import Recorder, bounded
from .workers import Echo, Pages


async def test_websocket_url_fires_open_before_any_message():
    class Greeter(WorkerEntrypoint):
        async def fetch(self, request):
            client, server = WebSocketPair()
            server.accept()
            server.send("welcome")  # sent before the 101 goes out
            return Response(None, status=101, web_socket=client)

    async with serve(Greeter) as srv:
        ws = WebSocket(srv.ws_url)
        rec = Recorder(ws)
        assert ws.readyState == WebSocket.CONNECTING
        await rec.wait_for("message")
        ws.close(1000)
    assert rec.types()[:2] == ["open", "message"]
    assert rec.events[1].data == "welcome"


async def test_websocket_url_is_accepted_for_you_and_echoes():
    async with serve(Echo) as srv:
        ws = WebSocket(srv.ws_url)
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
        ws = WebSocket(srv.ws_url)
        with pytest.raises(TypeError) as info:
            ws.accept()
        ws.close()
    assert str(info.value) == "Websockets obtained from the 'new WebSocket()' constructor cannot call accept"


async def test_websocket_url_refused_gives_error_then_close_1006():
    async with serve(Pages) as srv:  # Pages answers 200, never 101
        ws = WebSocket(srv.ws_url + "/x")
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
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ws = WebSocket(f"ws://127.0.0.1:{port}/")
    rec = Recorder(ws)
    await rec.wait_for("close")
    assert rec.types() == ["error", "close"]
    assert rec.events[1].code == 1006


async def test_close_while_connecting_gives_error_then_close_1006():
    async with serve(Echo) as srv:
        ws = WebSocket(srv.ws_url)
        rec = Recorder(ws)
        ws.close()
        assert ws.readyState == WebSocket.OPEN  # workerd's quirk: 1 until the failure lands
        await rec.wait_for("close")
    assert rec.types() == ["error", "close"]
    assert rec.events[1].reason == "Failed to establish websocket connection"


async def test_websocket_url_reports_protocol_and_extensions():
    class Proto(WorkerEntrypoint):
        async def fetch(self, request):
            client, server = WebSocketPair()
            server.accept()
            return Response(None, status=101, web_socket=client, headers={"Sec-WebSocket-Protocol": "chat"})

    async with serve(Proto) as srv:
        ws = WebSocket(srv.ws_url, ["chat", "other"])
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
            client, server = WebSocketPair()
            server.accept()
            return Response(None, status=101, web_socket=client)

    async with serve(Target) as srv:
        resp = await fetch(srv.url, headers={"Upgrade": "websocket", "Sec-WebSocket-Extensions": "permessage-deflate"})
        resp.web_socket.accept()
        resp.web_socket.close(1000)
    assert seen == ["permessage-deflate"]
    assert resp.headers.get("Sec-WebSocket-Extensions") == "permessage-deflate"
    assert (resp.status, resp.statusText) == (101, "Switching Protocols")  # workerd (golden fetch-upgrade)


async def test_fetch_upgrade_returns_a_socket_to_accept():
    async with serve(Echo) as srv:
        resp = await fetch(srv.url, headers={"Upgrade": "websocket"})
        ws = resp.web_socket
        assert resp.status == 101
        assert resp.js_object.webSocket is ws
        with pytest.raises(TypeError) as info:
            ws.send("too early")
        ws.accept()
        rec = Recorder(ws)
        ws.send("hello")
        [msg] = await rec.wait_for("message")
        ws.close(1000)
        await rec.wait_for("close")
    assert str(info.value) == (
        "You must call one of accept() or state.acceptWebSocket() on this WebSocket before sending messages."
    )
    assert msg.data == "hello"


async def test_refused_fetch_upgrade_returns_the_real_status_headers_and_body():
    async with serve(Pages) as srv:
        resp = await fetch(srv.url + "/teapot", headers={"Upgrade": "websocket"})
    assert resp.web_socket is None
    assert resp.status == 418
    assert resp.headers.get("X-Reason") == "teapot"
    assert await resp.text() == "no"


async def test_fetch_with_ws_scheme_raises_the_runtime_typeerror():
    with pytest.raises(TypeError) as info:
        await fetch("ws://127.0.0.1:1/", headers={"Upgrade": "websocket"})
    assert str(info.value) == "Fetch API cannot load: ws://127.0.0.1:1/"


async def test_fetch_to_nothing_listening_raises_fetch_error():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError):
        await fetch(f"http://127.0.0.1:{port}/")


async def test_plain_fetch_sends_method_headers_and_body():
    class Mirror(WorkerEntrypoint):
        async def fetch(self, request):
            return Response.json({"h": request.headers.get("X-Test")})

    async with serve(Mirror) as srv:
        resp = await fetch(srv.url + "/m", headers={"X-Test": "yes"})
    assert await resp.json() == {"h": "yes"}


@pytest.mark.parametrize("var", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "HTTPS_PROXY"])
async def test_loopback_connections_ignore_proxy_variables(monkeypatch, var):
    monkeypatch.setenv(var, "http://127.0.0.1:9/")  # nothing listens on the discard port
    async with serve(Echo) as srv:
        plain = await fetch(srv.url)
        upgraded = await fetch(srv.url, headers={"Upgrade": "websocket"})
        ws = WebSocket(srv.ws_url)
        rec = Recorder(ws)
        await rec.wait_for("open")
        ws.close(1000)
        upgraded.web_socket.accept()
        upgraded.web_socket.close(1000)
    assert plain.status == 426
    assert upgraded.status == 101


async def test_worker_can_proxy_a_fetched_socket_by_returning_it():
    async with serve(Echo) as origin:

        class Proxy(WorkerEntrypoint):
            async def fetch(self, request):
                resp = await fetch(origin.url, headers={"Upgrade": "websocket"})
                return Response(None, status=101, web_socket=resp.web_socket)

        async with serve(Proxy) as front:
            ws = WebSocket(front.ws_url)
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
                upstream = (await fetch(origin.url, headers={"Upgrade": "websocket"})).web_socket
                if upstream is None:
                    return Response("upstream refused", status=502)
                upstream.accept()
                client, server = WebSocketPair()
                server.accept()
                server.addEventListener("message", lambda e: upstream.send("relayed:" + e.data))
                upstream.addEventListener("message", lambda e: server.send(e.data))
                return Response(None, status=101, web_socket=client)

        async with serve(Relay) as front:
            ws = WebSocket(front.ws_url)
            rec = Recorder(ws)
            await rec.wait_for("open")
            ws.send("hi")
            [msg] = await rec.wait_for("message")
            ws.close(1000)
    assert msg.data == "relayed:hi"

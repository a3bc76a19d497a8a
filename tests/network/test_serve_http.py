"""serve(): the Worker's fetch() decides every HTTP response.

The Workers are Python Workers (tests/network/workers.py); the client is ``fetch`` from
``wsguide.workers``, used from outside any Worker.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from wsguide import PortInUseError, serve
from wsguide.workers import fetch

from .workers import Echo, Pages


async def test_plain_get_without_upgrade_gets_the_workers_426():
    async with serve(Echo) as srv:
        resp = await fetch(srv.url)
    assert resp.status == 426
    assert await resp.text() == "Expected Upgrade: websocket"


async def test_text_response_keeps_status_and_body():
    async with serve(Pages) as srv:
        resp = await fetch(srv.url + "/hello")
    assert resp.status == 200
    assert await resp.text() == "GET /hello"
    assert resp.headers.get("Content-Type") == "text/plain;charset=UTF-8"


async def test_html_response_keeps_content_type():
    async with serve(Pages) as srv:
        resp = await fetch(srv.url + "/html")
    assert resp.headers.get("Content-Type") == "text/html; charset=utf-8"
    assert await resp.text() == "<h1>hi</h1>"


async def test_json_response_round_trips():
    async with serve(Pages) as srv:
        resp = await fetch(srv.url + "/json")
    assert resp.headers.get("Content-Type") == "application/json"
    assert await resp.json() == {"ok": True, "n": 1}


async def test_custom_status_and_headers_reach_the_client():
    async with serve(Pages) as srv:
        resp = await fetch(srv.url + "/teapot")
    assert (resp.status, resp.headers.get("X-Reason")) == (418, "teapot")


async def test_worker_exception_gives_500_and_logs_the_traceback():
    async with serve(Pages, echo_log=False) as srv:
        resp = await fetch(srv.url + "/boom")
        after = await fetch(srv.url + "/hello")
    assert resp.status == 500
    assert await resp.text() == "Internal Server Error"  # workerd's body (findings F9)
    # Other answers keep the connection alive; after a Worker's exception workerd closes it (deviations row 16).
    assert resp.headers.get("Connection") == "close"
    assert any("ValueError: the learner's bug" in t for t in srv.log.texts("error"))
    assert isinstance(srv.errors[0], ValueError)
    assert after.status == 200  # the server keeps serving


async def test_fetch_returning_a_non_response_gives_500_that_says_so():
    # The text is workerd's (golden fetch_returns_string in tests/pyodide_workerd).
    async with serve(Pages, echo_log=False) as srv:
        resp = await fetch(srv.url + "/not-a-response")
    assert resp.status == 500
    assert srv.log.texts("error") == [
        "Uncaught (in promise) TypeError: Incorrect type for Promise: the Promise did not resolve to 'Response'."
    ]


async def test_websocket_in_response_to_plain_request_is_the_runtime_typeerror():
    async with serve(Pages, echo_log=False) as srv:
        resp = await fetch(srv.url + "/socket-without-upgrade")
    assert resp.status == 500
    assert await resp.text() == "Internal Server Error"
    assert str(srv.errors[0]) == (
        "Worker tried to return a WebSocket in a response to a request which did not "
        'contain the header "Upgrade: websocket".'
    )


async def test_console_log_lands_in_the_server_log():
    async with serve(Pages, echo_log=False) as srv:
        await fetch(srv.url + "/log")
    assert srv.log.texts("log") == ["hello from the Worker"]


async def test_binds_loopback_by_default():
    async with serve(Pages) as srv:
        host, _port = srv.address
        url = srv.url
    assert host == "127.0.0.1"
    assert url.startswith("http://127.0.0.1:")


async def test_busy_port_raises_port_in_use_with_advice():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUseError) as info:
            await serve(Pages, port=port)
    message = str(info.value)
    assert f"Port {port} on 127.0.0.1 is already in use" in message
    # The advice fits both a notebook and wsguide dev (the port-busy message of the new front).
    assert "Use port 0 to let the system pick a free port (--port 0 for wsguide dev)" in message
    assert "await stop_all()" in message


async def test_malformed_handshake_gets_an_error_and_server_keeps_serving():
    async with serve(Echo) as srv:
        reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
        async with asyncio.timeout(5):
            head = await reader.readuntil(b"\r\n\r\n")
        writer.close()
        assert head.startswith(b"HTTP/1.1 400")
        resp = await fetch(srv.url)
        assert resp.status == 426


async def test_garbage_bytes_do_not_stop_the_server():
    async with serve(Echo) as srv:
        reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
        writer.write(b"\x00\xff not http at all\r\n\r\n")
        async with asyncio.timeout(5):
            await reader.read()  # the server answers or hangs up; either way it ends
        writer.close()
        resp = await fetch(srv.url)
        assert resp.status == 426

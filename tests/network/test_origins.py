"""Which browser pages may open a WebSocket: the server's own, and those it is told (deviation 21)."""

from __future__ import annotations

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from wsguide import serve

from .helpers import bounded, open_http, read_answer, request_bytes
from .test_cli_dev import _start
from .workers import Echo, Pages

KEY = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
       "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


async def upgrade_status(port: int, origin: str | None, host: str | None = None) -> int:
    headers = dict(KEY)
    if origin is not None:
        headers["Origin"] = origin
    if host is not None:
        headers["Host"] = host
    reader, writer = await open_http(port)
    writer.write(request_bytes("GET", "/", headers))
    answer = await read_answer(reader)
    writer.close()
    return answer.status


async def test_a_client_without_origin_connects():
    async with serve(Echo) as srv:
        assert await upgrade_status(srv.port, None) == 101


async def test_pages_served_by_the_server_itself_connect():
    async with serve(Echo) as srv:
        statuses = [await upgrade_status(srv.port, f"http://{name}:{srv.port}")
                    for name in ("127.0.0.1", "localhost", "[::1]")]
    assert statuses == [101, 101, 101]


async def test_a_page_from_another_origin_is_refused_by_default():
    async with serve(Echo) as srv:
        with pytest.raises(InvalidStatus) as info:
            async with connect(srv.ws_url, proxy=None, origin="http://evil.example"):
                pass
    response = info.value.response
    assert response.status_code == 403
    assert bytes(response.body).decode().startswith(
        "Origin http://evil.example is not allowed to connect to this server. Pages served by this "
        "server may open WebSockets to it; to let pages from elsewhere in, start it with --allowed-origin "
        "http://evil.example"
    )


async def test_another_port_on_the_same_machine_is_another_origin():
    async with serve(Echo) as srv:
        assert await upgrade_status(srv.port, f"http://127.0.0.1:{srv.port + 1}") == 403


async def test_a_page_served_under_an_ip_address_connects_back_to_it():
    # A classroom on --host 0.0.0.0: the page came from http://<this machine's address>:PORT.
    async with serve(Echo) as srv:
        assert await upgrade_status(srv.port, f"http://192.0.2.10:{srv.port}", f"192.0.2.10:{srv.port}") == 101


async def test_a_name_that_points_here_is_not_the_servers_own_origin():
    # DNS rebinding: evil.example made to resolve to 127.0.0.1 must not count as "this server".
    async with serve(Echo) as srv:
        status = await upgrade_status(srv.port, f"http://evil.example:{srv.port}", f"evil.example:{srv.port}")
    assert status == 403


async def test_allowed_origins_add_to_the_servers_own():
    async with serve(Echo, allowed_origins=["http://class.example:8787"]) as srv:
        assert await upgrade_status(srv.port, "http://class.example:8787") == 101
        assert await upgrade_status(srv.port, f"http://127.0.0.1:{srv.port}") == 101
        assert await upgrade_status(srv.port, "http://evil.example") == 403


async def test_a_star_lets_every_page_in():
    async with serve(Echo, allowed_origins=["*"]) as srv:
        assert await upgrade_status(srv.port, "http://anywhere.example") == 101


async def test_plain_requests_from_other_origins_still_reach_the_worker():
    async with serve(Pages) as srv:
        reader, writer = await open_http(srv.port)
        writer.write(request_bytes("GET", "/hello", {"Origin": "http://evil.example"}))
        answer = await read_answer(reader)
        writer.close()
    assert (answer.status, answer.body) == (200, b"GET /hello")


async def test_wsguide_dev_refuses_other_pages_and_takes_allowed_origin():
    proc, banner = await _start("examples/echo.py", "--port", "0", "--allowed-origin", "http://class.example:8000")
    try:
        url = banner.split("WebSocket: ", 1)[1].split(")", 1)[0]
        port = int(url.rsplit(":", 1)[1])
        allowed = await upgrade_status(port, "http://class.example:8000")
        refused = await upgrade_status(port, "http://evil.example")
    finally:
        proc.terminate()
        await bounded(proc.wait(), "wsguide dev to stop")
    assert "WebSockets: pages served by this server, http://class.example:8000 may connect" in banner
    assert (allowed, refused) == (101, 403)

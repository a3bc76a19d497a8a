"""permessage-deflate follows the compatibility date and flags, on the wire.

The Workers are Python Workers; the clients are a :class:`RawPeer`, `websockets`, or ``fetch``
from ``wsguide.workers``.
"""

from __future__ import annotations

import zlib

import pytest
from websockets.asyncio.client import connect

from wsguide import serve
from wsguide.js import WebSocket
from wsguide.workers import Response, WorkerEntrypoint, fetch

from .helpers import RawPeer, Recorder
from .workers import Echo, Recording

ON = [
    {},  # today's default date
    {"compatibility_date": "2023-08-15"},
    {"compatibility_date": "2022-01-01", "compatibility_flags": ["web_socket_compression"]},
]
OFF = [
    {"compatibility_date": "2023-08-14"},
    {"compatibility_flags": ["no_web_socket_compression"]},
]
OFFER = {"Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits"}
TEXT = "compress me " * 50


async def _echo_frame(settings):
    async with serve(Echo, **settings) as srv:
        peer = await RawPeer.connect(srv.port, extra_headers=OFFER)
        negotiated = peer.headers.get("sec-websocket-extensions")
        rsv1 = bool(negotiated)
        if negotiated:
            c = zlib.compressobj(wbits=-15)
            data = c.compress(TEXT.encode()) + c.flush(zlib.Z_SYNC_FLUSH)
            peer.send_frame(0x1, data[:-4], rsv1=True)
        else:
            peer.send_frame(0x1, TEXT.encode())
        opcode, frame_rsv1, payload = await peer.read_frame()
        peer.close_transport()
    return negotiated, frame_rsv1, payload, rsv1


@pytest.mark.parametrize("settings", ON, ids=["default", "date-2023-08-15", "flag-on"])
async def test_compression_on_negotiates_deflate_and_sets_rsv1(settings):
    negotiated, frame_rsv1, payload, _ = await _echo_frame(settings)
    assert negotiated.startswith("permessage-deflate")
    assert frame_rsv1 is True
    assert len(payload) < len(TEXT)  # really compressed


@pytest.mark.parametrize("settings", OFF, ids=["date-2023-08-14", "no_web_socket_compression"])
async def test_compression_off_strips_the_header_and_sends_plain_frames(settings):
    negotiated, frame_rsv1, payload, _ = await _echo_frame(settings)
    assert negotiated is None
    assert frame_rsv1 is False
    assert payload == TEXT.encode()


async def test_websockets_client_sees_the_negotiated_extension():
    async with serve(Echo) as srv, connect(srv.ws_url, proxy=None) as ws:
        assert ws.response.headers["Sec-WebSocket-Extensions"].startswith("permessage-deflate")


async def test_answer_to_a_browser_style_offer_is_workerds():
    # Chromium and websockets offer "permessage-deflate; client_max_window_bits";
    # workerd answers exactly this (docs/findings.md F6).
    async with serve(Echo) as srv:
        peer = await RawPeer.connect(srv.port, extra_headers=OFFER)
        peer.close_transport()
    assert peer.headers["sec-websocket-extensions"] == "permessage-deflate; client_max_window_bits=15"


async def test_worker_response_with_empty_extensions_header_turns_compression_off():
    Recording.reset()
    Recording.extensions = ""
    async with serve(Recording) as srv:
        peer = await RawPeer.connect(srv.port, extra_headers=OFFER)
        peer.close_transport()
    assert "sec-websocket-extensions" not in peer.headers


async def _upstream_extensions(settings, headers):
    async with serve(Echo, **settings) as origin:
        seen = {}

        class Client(WorkerEntrypoint):
            async def fetch(self, request):
                resp = await fetch(origin.url, headers=headers)
                seen["ext"] = resp.headers.get("Sec-WebSocket-Extensions")
                ws = resp.js_object.webSocket
                seen["ws_ext"] = ws.extensions
                ws.accept()
                ws.close(1000)
                return Response("done")

        async with serve(Client, **settings) as front:
            await fetch(front.url)
    return seen


async def test_worker_fetch_with_empty_extensions_header_gets_no_compression():
    seen = await _upstream_extensions({}, {"Upgrade": "websocket", "Sec-WebSocket-Extensions": ""})
    assert seen["ext"] is None


async def test_worker_fetch_without_extensions_header_offers_none():
    seen = await _upstream_extensions({}, {"Upgrade": "websocket"})
    assert seen["ext"] is None


async def test_worker_fetch_asking_for_deflate_gets_it_when_the_flag_is_on():
    seen = await _upstream_extensions({}, {"Upgrade": "websocket", "Sec-WebSocket-Extensions": "permessage-deflate"})
    assert seen["ext"].startswith("permessage-deflate")
    assert seen["ws_ext"] == ""  # workerd reports "" on a fetched socket (findings F7)


async def test_worker_fetch_asking_for_deflate_is_stripped_when_the_flag_is_off():
    seen = await _upstream_extensions(
        {"compatibility_flags": ["no_web_socket_compression"]},
        {"Upgrade": "websocket", "Sec-WebSocket-Extensions": "permessage-deflate"},
    )
    assert seen["ext"] is None


async def test_new_websocket_offers_deflate_when_on():
    async with serve(Echo) as srv:

        class Opener(WorkerEntrypoint):
            async def fetch(self, request):
                ws = WebSocket.new(srv.ws_url)
                rec = Recorder(ws)
                await rec.wait_for("open")
                ext = ws.extensions
                ws.close(1000)
                return Response(ext or "none")

        async with serve(Opener) as front:
            on = await (await fetch(front.url)).text()
        async with serve(Opener, compatibility_flags=["no_web_socket_compression"]) as front:
            off = await (await fetch(front.url)).text()
    assert on.startswith("permessage-deflate")
    assert off == "none"

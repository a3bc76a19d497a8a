"""The guide's echo Worker, written as in the guide with only the imports changed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from websockets.asyncio.client import connect

from wsguide import serve
from wsguide.ffi import create_proxy
from wsguide.js import WebSocket, WebSocketPair
from wsguide.workers import Response, WorkerEntrypoint

from .helpers import Recorder, bounded

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "echo.py"


def _load():
    spec = importlib.util.spec_from_file_location("guide_echo", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_example_echo_imports_only_the_workers_js_and_ffi_mirrors():
    source = EXAMPLE.read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports == [
        "from wsguide.workers import Response, WorkerEntrypoint",
        "from wsguide.js import WebSocketPair",
        "from wsguide.ffi import create_proxy",
    ]


async def test_example_echo_serves_a_websockets_client():
    async with serve(_load()) as srv, connect(srv.ws_url, proxy=None) as ws:
        await ws.send("text")
        assert await bounded(ws.recv(), "text echo") == "text"
        await ws.send(b"\x00bin")
        assert await bounded(ws.recv(), "binary echo") == b"\x00bin"


async def test_example_echo_serves_the_wsguide_client():
    async with serve(_load()) as srv:
        ws = WebSocket.new(srv.ws_url)
        rec = Recorder(ws)
        await rec.wait_for("open")
        ws.send("via wsguide")
        [msg] = await rec.wait_for("message")
        ws.close(1000, "bye")
        [close] = await rec.wait_for("close")
    assert msg.data == "via wsguide"
    assert (close.code, close.reason) == (1000, "bye")


async def test_guide_echo_without_binary_type_sends_object_blob_for_binary():
    # The guide's `server.send(event.data)` on today's Workers: binary arrives as a
    # Blob and send() turns it into text. wsguide does the same and warns.
    class GuideEcho(WorkerEntrypoint):
        async def fetch(self, request):
            client, server = WebSocketPair.new().object_values()
            server.accept()

            def on_message(event):
                server.send(event.data)

            server.addEventListener("message", create_proxy(on_message))
            return Response(None, status=101, web_socket=client)

    async with serve(GuideEcho, echo_log=False) as srv, connect(srv.ws_url, proxy=None) as ws:
        await ws.send(b"\x01\x02")
        assert await bounded(ws.recv(), "the echo") == "[object Blob]"
    assert any("[object Blob]" in t for t in srv.log.texts("warn"))

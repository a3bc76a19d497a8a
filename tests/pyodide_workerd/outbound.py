"""A Worker that probes the host's vars and its echo service (host/echo.mjs), for test_outbound.py.

Each path is one question; the answer is one line of text (``repr`` of what the Worker saw):

    /vars         the two vars, as the Worker reads them
    /get          fetch(self.env.HTTP_URL): status and body
    /websocket    WebSocket.new(self.env.WS_URL): sends a text and a binary message, then closes
    /fetched      fetch(self.env.HTTP_URL, headers={"Upgrade": "websocket"}): the same exchange
    /ws-http      WebSocket.new(self.env.HTTP_URL): what it raises
    /fetch-ws     fetch(self.env.WS_URL): what it raises
"""

from __future__ import annotations

from .harness import WorkerSpec, echo_url

OUTBOUND_VARS = {"HTTP_URL": echo_url("http", "/HTTP_URL"), "WS_URL": echo_url("ws", "/WS_URL")}

OUTBOUND_WORKER = '''
import asyncio

from js import WebSocket
from pyodide.ffi import create_once_callable, create_proxy, to_js
from workers import Response, WorkerEntrypoint, fetch


async def exchange(ws):
    """Send "hello" and the bytes 01 02 03 on an open socket; the two replies, then close."""
    ws.binaryType = "arraybuffer"
    replies = []
    done = asyncio.get_running_loop().create_future()

    def on_message(event):
        data = event.data
        replies.append(data if isinstance(data, str) else bytes(data.to_py()).hex())
        if len(replies) == 2 and not done.done():
            done.set_result(None)

    listener = create_proxy(on_message)
    ws.addEventListener("message", listener)
    ws.send("hello")
    ws.send(to_js(b"\\x01\\x02\\x03"))  # bytes would cross as text; a Uint8Array is binary
    await asyncio.wait_for(done, 5)
    ws.close(1000, "done")
    listener.destroy()
    return replies


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = "/" + request.url.split("/", 3)[3]
        if path == "/vars":
            return Response(repr([self.env.HTTP_URL, self.env.WS_URL]))
        if path == "/get":
            resp = await fetch(self.env.HTTP_URL)
            return Response(repr([resp.status, await resp.text()]))
        if path == "/websocket":
            ws = WebSocket.new(self.env.WS_URL)
            opened = asyncio.get_running_loop().create_future()
            ws.addEventListener("open", create_once_callable(lambda event: opened.set_result(None)))
            await asyncio.wait_for(opened, 5)
            return Response(repr(await exchange(ws)))
        if path == "/fetched":
            resp = await fetch(self.env.HTTP_URL, headers={"Upgrade": "websocket"})
            ws = resp.js_object.webSocket
            ws.accept()
            return Response(repr([resp.status] + await exchange(ws)))
        try:
            if path == "/ws-http":
                WebSocket.new(self.env.HTTP_URL)
            elif path == "/fetch-ws":
                await fetch(self.env.WS_URL)
        except Exception as error:
            return Response(f"{type(error).__name__}: {error}")
        return Response("not found", status=404)
'''

OUTBOUND_SPEC = WorkerSpec("outbound_probe", OUTBOUND_WORKER, vars=OUTBOUND_VARS)

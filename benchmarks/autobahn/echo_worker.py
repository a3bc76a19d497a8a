"""The guide's echo Worker (examples/echo.py), as wstest can reach it.

wstest sends ``Upgrade: WebSocket``. examples/echo.py compares the header with
"websocket" exactly, as the guide does, and so answers every wstest case with 426
(on Workers too). The value is a case-insensitive token (RFC 6455, section
4.2.1), so this copy compares it case-insensitively; the rest is examples/echo.py,
in the Python Workers dialect (deployable with only the imports changed).

    python -m wsguide dev benchmarks/autobahn/echo_worker.py
"""

from wsguide.ffi import create_proxy
from wsguide.js import WebSocketPair
from wsguide.workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if (request.headers.get("Upgrade") or "").lower() != "websocket":
            return Response("Expected Upgrade: websocket", status=426)

        client, server = WebSocketPair.new().object_values()
        server.accept()
        # Binary messages are echoed as binary (not as a Blob's "[object Blob]").
        server.binaryType = "arraybuffer"

        def on_message(event):
            server.send(event.data)

        # A plain function would be a borrowed proxy, destroyed when addEventListener returns.
        server.addEventListener("message", create_proxy(on_message))
        return Response(None, status=101, web_socket=client)

"""The guide's echo Worker, in Python.

Run it like `wrangler dev`:   python -m wsguide dev examples/echo.py
On Python Workers, change the two imports to:
    from workers import Response, WorkerEntrypoint
    from js import WebSocketPair
"""

from wsguide.workers import Response, WorkerEntrypoint
from wsguide.js import WebSocketPair


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        # Only WebSocket upgrade requests are welcome here.
        if request.headers.get("Upgrade") != "websocket":
            return Response("Expected Upgrade: websocket", status=426)

        client, server = WebSocketPair.new().object_values()
        server.accept()
        # Binary messages would arrive as a Blob (the default since compatibility
        # date 2026-03-17), and send(blob) sends the text "[object Blob]".
        # Ask for bytes instead, so binary is echoed as binary.
        server.binaryType = "arraybuffer"

        def on_message(event):
            server.send(event.data)

        server.addEventListener("message", on_message)
        return Response(None, status=101, web_socket=client)

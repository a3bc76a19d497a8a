"""The guide's echo Worker, in Python.

Run it like `wrangler dev`:   python -m wsguide dev examples/echo.py
Deploy it to Python Workers:  python -m wsguide export examples/echo.py build/echo
(export rewrites the imports to `workers`, `js` and `pyodide.ffi`).
"""

from wsguide.workers import Response, WorkerEntrypoint
from wsguide.js import WebSocketPair
from wsguide.ffi import create_proxy


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

        # create_proxy keeps the function callable from JavaScript: on Python Workers a
        # plain function would be destroyed as soon as addEventListener returns.
        server.addEventListener("message", create_proxy(on_message))
        return Response(None, status=101, web_socket=client)

// The guide's echo Worker in JavaScript, for workerd (run.py --servers workerd):
// the same Worker as echo_worker.py, so workerd's column is the real runtime's.
export default {
  async fetch(request) {
    // wstest sends "Upgrade: WebSocket"; the header's value is case-insensitive.
    if ((request.headers.get("Upgrade") || "").toLowerCase() !== "websocket") {
      return new Response("Expected Upgrade: websocket", { status: 426 });
    }
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    server.binaryType = "arraybuffer"; // echo binary as binary, not as a Blob
    server.addEventListener("message", (event) => server.send(event.data));
    return new Response(null, { status: 101, webSocket: client });
  },
};

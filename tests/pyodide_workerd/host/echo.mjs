// The host's outbound service: every Worker's `globalOutbound` (see ../harness.py), so a Worker
// that is a WebSocket client (`WebSocket.new(url)`, or `fetch(url, headers={"Upgrade":
// "websocket"})`) has a server to talk to without leaving workerd. Whatever the URL's host, the
// request arrives here.
//
// - A WebSocket upgrade is accepted: each text or binary message is sent back as it came (binary
//   as an ArrayBuffer). The Close reply is the runtime's own (`web_socket_auto_reply_to_close`,
//   on at the compatibility date the harness gives this Worker).
// - Any other request gets 200 and one line of text naming its method and path.

export default {
  async fetch(request) {
    if ((request.headers.get("Upgrade") || "").toLowerCase() === "websocket") {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.binaryType = "arraybuffer";
      server.addEventListener("message", (event) => server.send(event.data));
      return new Response(null, { status: 101, webSocket: client });
    }
    const url = new URL(request.url);
    return new Response(`echo service: ${request.method} ${url.pathname}\n`, {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  },
};

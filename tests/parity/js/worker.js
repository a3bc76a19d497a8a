// wsguide parity scenarios — the Workers JavaScript twin.
//
// One ES-module Worker that routes by URL path: `/<scenario-name>?id=<id>`. A Python twin of
// this file (same routes, same protocol, same report entries) runs on wsguide; the driver in
// tests/parity/driver.py runs the same scenario against both and the transcripts must match.
//
// ── Report protocol ────────────────────────────────────────────────────────────────────────
// * Every scenario request carries `?id=<id>` (chosen by the driver, [A-Za-z0-9._-]+). The
//   Worker keeps a module-level `Map` id → report and records what it observes from inside.
// * `GET /report?id=<id>` → 200 `application/json` with the report, or 404 `unknown report id`
//   (text/plain). The driver polls it (bounded) until `done` is true.
// * A report is `{"scenario": s, "id": id, "done": bool, "log": [entry, ...]}`. `done` turns
//   true at the scenario's last observation (documented per scenario below) and only after
//   every pending asynchronous read (Blob bodies) has settled. Entries are appended in the
//   order they are observed; each one has exactly one of the keys "note", "call", "event":
//     {"note": label, "value": v}                       a value the Worker looked at
//     {"call": label, "ok": true,  "value": v  [, "readyState": n]}   a call that returned
//     {"call": label, "ok": false, "error": "<e.name>: <e.message>", "errorClass": "<ctor name>"
//        [, "readyState": n]}                          a call that threw (readyState read after)
//     {"event": type, "socket": name, "readyState": n, ...}   an event delivered to a listener
//        message: "dataType": "string" | "ArrayBuffer" | "Blob", "size": bytes (UTF-8 for
//                 strings), "data": the string or lower-case hex of the bytes (omitted when
//                 size > 1024)
//        close:   "code", "reason", "wasClean"
//        error:   "message" (ErrorEvent.message), "error" ("<name>: <message>" of .error)
//        open:    "protocol", "extensions"
//     Durable Object hooks are recorded as events too: "event": "webSocketMessage" |
//     "webSocketClose" | "webSocketError" (same fields; "code"/"reason"/"wasClean" from the
//     hook arguments).
//   `undefined` values are recorded as null. An entry recorded after `done` was set carries
//   `"afterDone": true` (such late events — e.g. workerd's error event that follows some close
//   events — are in the report only if they happened before the driver fetched it). Every
//   entry is also printed with console.log as `[<id>] <json>` so that workerd's own output
//   shows the timeline.
// * Helper routes used by scenarios that talk to "another Worker" (this same Worker reached
//   through the service binding SELF, or through globalOutbound for `new WebSocket(url)`):
//   `/_target?id=<id>&mode=echo|refuse|plain&label=<label>[&proto=<p>]` appends
//   `{"label", "headers": {...}}` to the report's extra list `"target"` and then:
//     echo   → WebSocketPair, accept(), echo every message, (answers Sec-WebSocket-Protocol
//              = proto when the client offered it)
//     refuse → 403 "nope: no WebSocket here"
//     plain  → 200 "plain response"
// Any other path → 404 "unknown scenario".
//
// Compatibility: written for compatibility date 2026-11-01; a few scenarios are also run
// under other dates/flags (see tests/parity/test_workerd_smoke.py RUNS).

const REPORTS = new Map();
const SOCKETS = new Map(); // socket-returned-twice: id → client end returned in phase 1

function errText(e) {
  if (e === null || typeof e !== "object") return String(e);
  return `${e.name}: ${e.message}`;
}

function jsonable(v) {
  if (v === undefined) return null;
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  if (v instanceof WebSocket) return "[object WebSocket]";
  try {
    return JSON.parse(JSON.stringify(v));
  } catch (e) {
    return String(v);
  }
}

const HEX = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, "0"));
function hex(buf) {
  const bytes = new Uint8Array(buf);
  let out = "";
  for (const b of bytes) out += HEX[b];
  return out;
}

const MAX_DATA = 1024;

class Report {
  constructor(scenario, id) {
    this.data = { scenario, id, done: false, log: [] };
    this.pending = [];
    REPORTS.set(id, this);
  }
  add(entry) {
    if (this.data.done) entry.afterDone = true;
    this.data.log.push(entry);
    console.log(`[${this.data.id}] ${JSON.stringify(entry)}`);
    return entry;
  }
  note(label, value) {
    return this.add({ note: label, value: jsonable(value) });
  }
  call(label, fn, ws) {
    let entry;
    try {
      entry = { call: label, ok: true, value: jsonable(fn()) };
    } catch (e) {
      entry = { call: label, ok: false, error: errText(e), errorClass: e?.constructor?.name ?? null };
    }
    if (ws) entry.readyState = ws.readyState;
    return this.add(entry);
  }
  async callAsync(label, fn) {
    let entry;
    try {
      entry = { call: label, ok: true, value: jsonable(await fn()) };
    } catch (e) {
      entry = { call: label, ok: false, error: errText(e), errorClass: e?.constructor?.name ?? null };
    }
    return this.add(entry);
  }
  extra(key, value) {
    (this.data[key] ??= []).push(value);
    console.log(`[${this.data.id}] ${key} ${JSON.stringify(value)}`);
  }
  messageEntry(event, socket, ws, data) {
    const entry = { event: event, socket, readyState: ws.readyState };
    if (typeof data === "string") {
      const size = new TextEncoder().encode(data).length;
      entry.dataType = "string";
      entry.size = size;
      if (size <= MAX_DATA) entry.data = data;
    } else if (data instanceof ArrayBuffer) {
      entry.dataType = "ArrayBuffer";
      entry.size = data.byteLength;
      if (data.byteLength <= MAX_DATA) entry.data = hex(data);
    } else if (typeof Blob !== "undefined" && data instanceof Blob) {
      entry.dataType = "Blob";
      entry.size = data.size;
      if (data.size <= MAX_DATA) {
        entry.data = null; // filled in once the Blob has been read
        this.pending.push(data.arrayBuffer().then((b) => { entry.data = hex(b); }));
      }
    } else {
      entry.dataType = Object.prototype.toString.call(data);
      entry.data = String(data);
    }
    return entry;
  }
  // Attach message/close/error/open listeners that record every event (and optionally run
  // scenario code after recording it).
  watch(name, ws, handlers = {}) {
    ws.addEventListener("message", (event) => {
      this.add(this.messageEntry("message", name, ws, event.data));
      handlers.message?.(event);
    });
    ws.addEventListener("close", (event) => {
      this.add({ event: "close", socket: name, readyState: ws.readyState, code: event.code,
                 reason: event.reason, wasClean: event.wasClean });
      handlers.close?.(event);
    });
    ws.addEventListener("error", (event) => {
      this.add({ event: "error", socket: name, readyState: ws.readyState, message: event.message ?? null,
                 error: event.error === undefined ? null : errText(event.error) });
      handlers.error?.(event);
    });
    ws.addEventListener("open", (event) => {
      this.add({ event: "open", socket: name, readyState: ws.readyState, protocol: ws.protocol ?? null,
                 extensions: ws.extensions ?? null });
      handlers.open?.(event);
    });
  }
  finish() {
    const pending = this.pending.splice(0);
    return Promise.allSettled(pending).then(() => {
      if (this.pending.length) return this.finish();
      this.data.done = true;
      console.log(`[${this.data.id}] done`);
    });
  }
}

// A promise plus its resolve function (Promise.withResolvers without relying on it).
function deferred() {
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  return { promise, resolve };
}

function headerObject(headers) {
  const out = {};
  for (const [k, v] of headers) out[k.toLowerCase()] = v;
  return out;
}

// The guide's upgrade check, verbatim in spirit: exact, case-sensitive comparison.
function isUpgrade(request) {
  const upgradeHeader = request.headers.get("Upgrade");
  return !(!upgradeHeader || upgradeHeader !== "websocket");
}

function expectedUpgrade() {
  return new Response("Expected Upgrade: websocket", { status: 426 });
}

// Echo server end used by several scenarios: accept(), record, echo like the guide
// (`server.send(event.data)`), finish on close.
function echoServer(r, { acceptOptions, name = "server", onClose } = {}) {
  const [client, server] = Object.values(new WebSocketPair());
  if (acceptOptions === undefined) server.accept();
  else server.accept(acceptOptions);
  r.watch(name, server, {
    message: (event) => server.send(event.data),
    close: (event) => { onClose?.(event, server); r.finish(); },
  });
  return { client, server };
}

// ── scenarios ────────────────────────────────────────────────────────────────────────────

const SCENARIOS = {
  // Plain GET (and variants) → the guide's check. done: before the Response is returned.
  "upgrade-check-426"(request, env, ctx, r) {
    r.note("Upgrade header", request.headers.get("Upgrade"));
    if (!isUpgrade(request)) {
      r.finish();
      return expectedUpgrade();
    }
    const { client } = echoServer(r);
    r.finish();
    return new Response(null, { status: 101, webSocket: client });
  },

  // Guide echo, text. done: server close event.
  "echo-text"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    const { client, server } = echoServer(r);
    r.note("server.readyState after accept", server.readyState);
    r.note("client.readyState before return", client.readyState);
    return new Response(null, { status: 101, webSocket: client });
  },

  // Guide echo with binary data. Text "binaryType=<v>" switches binaryType and answers
  // "binaryType is <current>". done: server close event.
  "echo-binary"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    const [client, server] = Object.values(new WebSocketPair());
    r.note("server.binaryType initially", server.binaryType);
    server.accept();
    r.watch("server", server, {
      message: (event) => {
        if (typeof event.data === "string" && event.data.startsWith("binaryType=")) {
          const value = event.data.slice("binaryType=".length);
          r.call(`server.binaryType = ${JSON.stringify(value)}`, () => { server.binaryType = value; });
          r.note("server.binaryType", server.binaryType);
          server.send("binaryType is " + server.binaryType);
          return;
        }
        r.call("server.send(event.data)", () => server.send(event.data));
      },
      close: () => r.finish(),
    });
    return new Response(null, { status: 101, webSocket: client });
  },

  // send()/close() before accept(). done: server close event.
  "send-before-accept"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    const [client, server] = Object.values(new WebSocketPair());
    r.note("server.readyState before accept", server.readyState);
    r.note("client.readyState before accept", client.readyState);
    r.call('server.send("too early")', () => server.send("too early"), server);
    r.call("server.close(1000) before accept", () => server.close(1000), server);
    r.call("server.close(999) before accept", () => server.close(999), server);
    r.call("server.accept()", () => server.accept(), server);
    r.call("server.accept() again", () => server.accept(), server);
    r.watch("server", server, { close: () => r.finish() });
    r.call('server.send("after accept")', () => server.send("after accept"), server);
    r.call('server.close(1000, "done")', () => server.close(1000, "done"), server);
    return new Response(null, { status: 101, webSocket: client });
  },

  // send()/close() after own close(). done: server close event.
  "send-after-close"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    r.watch("server", server, {
      close: () => {
        r.call('server.send("in close handler")', () => server.send("in close handler"), server);
        r.finish();
      },
    });
    r.call('server.close(4001, "server closing")', () => server.close(4001, "server closing"), server);
    r.call('server.send("after close")', () => server.send("after close"), server);
    r.call("server.close() again", () => server.close(), server);
    r.call('server.close(4002, "again")', () => server.close(4002, "again"), server);
    r.call("server.close(999) after close", () => server.close(999), server);
    r.call('server.close(1000, "x" * 124) after close', () => server.close(1000, "x".repeat(124)), server);
    return new Response(null, { status: 101, webSocket: client });
  },

  // Close code / reason validation. done: server close event.
  "close-invalid-codes"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    r.watch("server", server, { close: () => r.finish() });
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 65536]) {
      if (code === 2999) continue; // valid in default mode; kept out so the socket stays open
      r.call(`server.close(${code})`, () => server.close(code), server);
    }
    r.call('server.close(1000, "x" * 124)', () => server.close(1000, "x".repeat(124)), server);
    r.call('server.close(1000, "é" * 62)', () => server.close(1000, "é".repeat(62)), server);
    r.call('server.close(undefined, "reason")', () => server.close(undefined, "reason"), server);
    r.call('server.close(999, "x" * 124)', () => server.close(999, "x".repeat(124)), server);
    r.note("server.readyState after invalid closes", server.readyState);
    r.call('server.close(4000, "x" * 123)', () => server.close(4000, "x".repeat(123)), server);
    return new Response(null, { status: 101, webSocket: client });
  },

  // close() without a code → the peer sees 1005. done: server close event.
  "close-without-code"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    r.watch("server", server, { close: () => r.finish() });
    r.call("server.close()", () => server.close(), server);
    return new Response(null, { status: 101, webSocket: client });
  },

  // Client says "hi", gets "ready", then drops TCP without a Close frame.
  // done: server close event (or error event, whichever comes first).
  "client-vanishes"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    r.watch("server", server, {
      message: () => server.send("ready"),
      close: () => {
        r.call('server.send("after vanish")', () => server.send("after vanish"), server);
        r.call("server.close(1000)", () => server.close(1000), server);
        r.finish();
      },
      error: () => r.finish(),
    });
    return new Response(null, { status: 101, webSocket: client });
  },

  // Pair inside the Worker: messages to a not-yet-accepted end wait, in order, and arrive
  // asynchronously after accept(). Plain GET; done: before the 200 is returned.
  async "buffer-before-accept"(request, env, ctx, r) {
    const [a, b] = Object.values(new WebSocketPair());
    const bGot3 = deferred();
    const aClosed = deferred();
    const bClosed = deferred();
    let bCount = 0;
    r.watch("a", a, { close: () => aClosed.resolve() });
    r.watch("b", b, {
      message: () => { if (++bCount === 3) bGot3.resolve(); },
      close: () => bClosed.resolve(),
    });
    r.call("a.accept()", () => a.accept(), a);
    for (const m of ["one", "two", "three"]) r.call(`a.send("${m}")`, () => a.send(m), a);
    r.note("b.readyState before b.accept()", b.readyState);
    r.call("b.accept()", () => b.accept(), b);
    r.note("b.accept() returned; no message event yet", bCount);
    await bGot3.promise;
    r.call('a.close(1000, "end")', () => a.close(1000, "end"), a);
    await Promise.all([aClosed.promise, bClosed.promise]);
    r.note("a.readyState at end", a.readyState);
    r.note("b.readyState at end", b.readyState);

    // Second pair: a message and a Close both sent before the peer is accepted.
    const [c, d] = Object.values(new WebSocketPair());
    const dClosed = deferred();
    const cClosed = deferred();
    r.watch("c", c, { close: () => cClosed.resolve() });
    r.watch("d", d, { close: () => dClosed.resolve() });
    r.call("c.accept()", () => c.accept(), c);
    r.call('c.send("before close")', () => c.send("before close"), c);
    r.call('c.close(4000, "early")', () => c.close(4000, "early"), c);
    r.call("d.accept()", () => d.accept(), d);
    await Promise.all([cClosed.promise, dClosed.promise]);
    await r.finish();
    return new Response("done");
  },

  // The end returned in the Response is inert. Client sends "probe"; the server end then pokes
  // the returned end and answers "probe ack". done: server close event.
  "returned-end-inert"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    r.watch("client", client);
    r.watch("server", server, {
      message: (event) => {
        if (event.data !== "probe") return;
        r.note("client.readyState after return", client.readyState);
        r.call('client.send("from returned end")', () => client.send("from returned end"), client);
        r.call('client.close(4005, "from returned end")', () => client.close(4005, "from returned end"), client);
        r.call("client.close(999)", () => client.close(999), client);
        r.call("client.accept()", () => client.accept(), client);
        r.note("client.readyState after pokes", client.readyState);
        server.send("probe ack");
      },
      close: () => {
        r.note("client.readyState when server closed", client.readyState);
        r.finish();
      },
    });
    return new Response(null, { status: 101, webSocket: client });
  },

  // Response constructor rules. The handshake is answered with 200 "recorded".
  // done: before the Response is returned.
  "response-101-without-socket"(request, env, ctx, r) {
    const [client, server] = Object.values(new WebSocketPair());
    r.call("new Response(null, {status: 101})", () => new Response(null, { status: 101 }).status);
    r.call("new Response(null, {status: 101, webSocket: null})",
           () => new Response(null, { status: 101, webSocket: null }).status);
    r.call('new Response("body", {status: 101, webSocket: client})',
           () => new Response("body", { status: 101, webSocket: client }).status);
    r.call("new Response(null, {status: 199})", () => new Response(null, { status: 199 }).status);
    r.call("new Response(null, {status: 600})", () => new Response(null, { status: 600 }).status);
    r.finish();
    return new Response("recorded");
  },

  // webSocket without status 101, clone(), copy. Then a real 101; the server end sends "ok"
  // and closes 1000 "done". done: server close event.
  "response-socket-without-101"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    const [client, server] = Object.values(new WebSocketPair());
    r.call("new Response(null, {status: 200, webSocket: client})",
           () => new Response(null, { status: 200, webSocket: client }).status);
    r.call("new Response(null, {status: 426, webSocket: client})",
           () => new Response(null, { status: 426, webSocket: client }).status);
    const resp = new Response(null, { status: 101, webSocket: client });
    r.note("resp.status", resp.status);
    r.note("resp.statusText", resp.statusText);
    r.note("resp.webSocket === client", resp.webSocket === client);
    r.note("new Response(null).webSocket", new Response(null).webSocket);
    r.call("resp.clone()", () => resp.clone().status);
    const which = (ws) => (ws === null ? null : ws === client ? "the same WebSocket" : "another WebSocket");
    r.call("new Response(resp).webSocket (resp as the body)", () => which(new Response(resp).webSocket));
    r.call("new Response(null, resp) (resp as the init)", () => {
      const copy = new Response(null, resp);
      return { status: copy.status, webSocket: which(copy.webSocket) };
    });
    r.note("resp.webSocket === client after copying", resp.webSocket === client);
    server.accept();
    r.watch("server", server, { close: () => r.finish() });
    server.send("ok");
    server.close(1000, "done");
    return resp;
  },

  // Phase 1 (WebSocket handshake): returns the client end and keeps it in a module Map.
  // Phase 2 (`&phase=2`, raw handshake, same id): returns that same end again from a second
  // request. Coupling errors happen after the handler returns: they are in workerd's output,
  // not in the report. done: phase 1 server close event; phase 2 before returning.
  "socket-returned-twice"(request, env, ctx, r, url) {
    if (url.searchParams.get("phase") === "2") {
      const stored = SOCKETS.get(r.data.id.replace(/-phase2$/, ""));
      r.note("stored end found", stored !== undefined);
      r.call("stored.readyState", () => stored.readyState);
      r.call("stored.accept()", () => stored.accept());
      let resp = null;
      r.call("new Response(null, {status: 101, webSocket: stored})",
             () => { resp = new Response(null, { status: 101, webSocket: stored }); return resp.status; });
      r.finish();
      return resp ?? new Response("could not build the response", { status: 500 });
    }
    if (!isUpgrade(request)) return expectedUpgrade();
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    r.watch("server", server, {
      message: (event) => server.send(event.data),
      close: () => r.finish(),
    });
    SOCKETS.set(r.data.id, client);
    return new Response(null, { status: 101, webSocket: client });
  },

  // Returning an end after accept() on it. The TypeError is raised when the Response is sent.
  // done: before returning.
  "socket-returned-after-accept"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    r.note("returning the accepted end", true);
    r.finish();
    return new Response(null, { status: 101, webSocket: server });
  },

  // Returning a WebSocket to a request without "Upgrade: websocket" (plain GET).
  // done: before returning.
  "socket-returned-without-upgrade"(request, env, ctx, r) {
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    r.note("Upgrade header", request.headers.get("Upgrade"));
    r.finish();
    return new Response(null, { status: 101, webSocket: client });
  },

  // Client closes 4000 "bye". The close handler records readyState and tries send/close.
  // done: server close event.
  "auto-reply-to-close"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    r.watch("server", server, {
      close: (event) => {
        r.call('server.send("in close handler")', () => server.send("in close handler"), server);
        r.call('server.close(1000, "handler close")', () => server.close(1000, "handler close"), server);
        r.finish();
      },
    });
    return new Response(null, { status: 101, webSocket: client });
  },

  // accept({allowHalfOpen: true}); client closes 4001 "half"; the server still sends
  // "still here", then closes 4002 "server done" itself in a later task.
  // done: after the server's own close().
  "allow-half-open"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    const [client, server] = Object.values(new WebSocketPair());
    r.call("server.accept({allowHalfOpen: true})", () => server.accept({ allowHalfOpen: true }), server);
    r.watch("server", server, {
      close: () => {
        r.call('server.send("still here")', () => server.send("still here"), server);
        setTimeout(() => {
          r.call('server.close(4002, "server done")', () => server.close(4002, "server done"), server);
          r.finish();
        }, 0);
      },
    });
    return new Response(null, { status: 101, webSocket: client });
  },

  // 32 MiB receive limit. binaryType "arraybuffer"; every message is answered "got <size>".
  // done: server close event or error event (whichever comes first).
  "too-big-message"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    const [client, server] = Object.values(new WebSocketPair());
    server.binaryType = "arraybuffer";
    server.accept();
    r.watch("server", server, {
      message: (event) => {
        const size = typeof event.data === "string" ? event.data.length : event.data.byteLength;
        server.send(`got ${size}`);
      },
      close: () => r.finish(),
      error: () => r.finish(),
    });
    return new Response(null, { status: 101, webSocket: client });
  },

  // Client offers "a, b"; the Worker answers "b". done: server close event.
  "subprotocol-chosen-by-worker"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    r.note("request Sec-WebSocket-Protocol", request.headers.get("Sec-WebSocket-Protocol"));
    const { client, server } = echoServer(r);
    r.note("server.protocol", server.protocol);
    return new Response(null, { status: 101, webSocket: client, headers: { "Sec-WebSocket-Protocol": "b" } });
  },

  // Client offers "a, b"; the Worker answers none. done: server close event.
  "subprotocol-not-echoed"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    r.note("request Sec-WebSocket-Protocol", request.headers.get("Sec-WebSocket-Protocol"));
    const { client } = echoServer(r);
    return new Response(null, { status: 101, webSocket: client });
  },

  // Same echo for both; the configuration (date / flag) decides. done: server close event.
  "compression-on"(request, env, ctx, r) {
    return compressionEcho(request, r);
  },
  "compression-off"(request, env, ctx, r) {
    return compressionEcho(request, r);
  },

  // fetch() upgrades to another Worker (SELF) with Sec-WebSocket-Extensions absent, set to
  // "permessage-deflate", and set to "" (ask for no compression). Plain GET; done: before the
  // 200 is returned.
  async "fetch-extensions-empty"(request, env, ctx, r, url) {
    const id = r.data.id;
    const cases = [
      ["absent", {}],
      ["permessage-deflate", { "Sec-WebSocket-Extensions": "permessage-deflate" }],
      ["empty", { "Sec-WebSocket-Extensions": "" }],
    ];
    for (const [label, extra] of cases) {
      const headers = { Upgrade: "websocket", ...extra };
      const resp = await env.SELF.fetch(
        `http://self/_target?id=${encodeURIComponent(id)}&mode=echo&label=${label}`, { headers });
      r.note(`${label}: resp.status`, resp.status);
      r.note(`${label}: resp Sec-WebSocket-Extensions`, resp.headers.get("Sec-WebSocket-Extensions"));
      const ws = resp.webSocket;
      r.note(`${label}: resp.webSocket is null`, ws === null);
      if (!ws) continue;
      r.note(`${label}: ws.readyState`, ws.readyState);
      r.note(`${label}: ws.extensions`, ws.extensions);
      r.note(`${label}: ws.protocol`, ws.protocol);
      r.note(`${label}: ws.url`, ws.url);
      r.call(`${label}: ws.send before accept`, () => ws.send("early"), ws);
      const got = deferred();
      const closed = deferred();
      r.watch(label, ws, { message: () => got.resolve(), close: () => closed.resolve() });
      ws.accept();
      ws.send("ping " + label);
      await got.promise;
      r.call(`${label}: ws.close(1000)`, () => ws.close(1000), ws);
      await closed.promise;
    }
    await r.finish();
    return new Response("done");
  },

  // The client's socket is relayed through a Worker-side fetch() upgrade to SELF's echo
  // target. done: upstream close event.
  async "fetch-upgrade"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    const id = r.data.id;
    const resp = await env.SELF.fetch(`http://self/_target?id=${encodeURIComponent(id)}&mode=echo&label=upstream`,
                                      { headers: { Upgrade: "websocket" } });
    r.note("upstream resp.status", resp.status);
    r.note("upstream resp.statusText", resp.statusText);
    const upstream = resp.webSocket;
    r.note("upstream webSocket is null", upstream === null);
    r.note("upstream.readyState before accept", upstream.readyState);
    r.call("upstream.accept()", () => upstream.accept(), upstream);
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    r.watch("server", server, {
      message: (event) => upstream.send(event.data),
      close: (event) => {
        r.call(`upstream.close(${event.code}, ${JSON.stringify(event.reason)})`,
               () => upstream.close(event.code, event.reason), upstream);
      },
    });
    r.watch("upstream", upstream, {
      message: (event) => server.send(event.data),
      close: () => r.finish(),
    });
    return new Response(null, { status: 101, webSocket: client });
  },

  // Proxy by returning the fetched socket itself. done: before returning.
  async "fetch-upgrade-proxy"(request, env, ctx, r) {
    if (!isUpgrade(request)) return expectedUpgrade();
    const id = r.data.id;
    const headers = new Headers(request.headers);
    const resp = await env.SELF.fetch(`http://self/_target?id=${encodeURIComponent(id)}&mode=echo&label=proxied`,
                                      { headers });
    r.note("upstream resp.status", resp.status);
    r.note("upstream resp headers", headerObject(resp.headers));
    r.note("upstream webSocket is null", resp.webSocket === null);
    r.finish();
    return new Response(null, { status: 101, webSocket: resp.webSocket, headers: resp.headers });
  },

  // fetch() upgrade that the target refuses (403 with a body) or answers with a plain 200.
  // Plain GET; done: before the 200 is returned.
  async "fetch-upgrade-refused"(request, env, ctx, r) {
    const id = r.data.id;
    for (const mode of ["refuse", "plain"]) {
      const resp = await r.callAsync(`${mode}: fetch`, async () => {
        const resp = await env.SELF.fetch(`http://self/_target?id=${encodeURIComponent(id)}&mode=${mode}&label=${mode}`,
                                          { headers: { Upgrade: "websocket" } });
        return {
          status: resp.status,
          statusText: resp.statusText,
          contentType: resp.headers.get("Content-Type"),
          webSocketIsNull: resp.webSocket === null,
          body: await resp.text(),
        };
      });
    }
    await r.finish();
    return new Response("done");
  },

  // new WebSocket(url) from inside the Worker (globalOutbound routes back to this Worker).
  // Plain GET; done: before the 200 is returned.
  async "new-websocket-from-worker"(request, env, ctx, r) {
    const id = encodeURIComponent(r.data.id);
    r.call('new WebSocket("http://self/x")', () => new WebSocket("http://self/x").readyState);
    r.call('new WebSocket("ws://self/x#frag")', () => new WebSocket("ws://self/x#frag").readyState);
    r.call('new WebSocket("not a url")', () => new WebSocket("not a url").readyState);
    r.call('new WebSocket("ws://self/x", "a b")', () => new WebSocket("ws://self/x", "a b").readyState);
    r.call('new WebSocket("ws://self/x", ["a", "a"])', () => new WebSocket("ws://self/x", ["a", "a"]).readyState);
    r.call('new WebSocket("ws://self/x", ["a", "b,c"])', () => new WebSocket("ws://self/x", ["a", "b,c"]).readyState);

    const url = `ws://self/_target?id=${id}&mode=echo&label=new-websocket&proto=chat`;
    const ws = new WebSocket(url, ["chat", "superchat"]);
    r.note("ws.readyState after construction", ws.readyState);
    r.note("ws.url is the string passed", ws.url === url);
    r.note("ws.protocol while connecting", ws.protocol);
    r.note("ws.extensions while connecting", ws.extensions);
    r.note("ws.binaryType", ws.binaryType);
    r.call("ws.accept() while connecting", () => ws.accept(), ws);
    r.call('ws.send("early") while connecting', () => ws.send("early"), ws);
    r.call("ws.close(999) while connecting", () => ws.close(999), ws);
    const closed = deferred();
    r.watch("ws", ws, {
      open: () => {
        r.call("ws.accept() after open", () => ws.accept(), ws);
        ws.send("hello from new WebSocket");
      },
      message: () => ws.close(1000, "done"),
      close: () => closed.resolve(),
    });
    await closed.promise;

    // A target that refuses the upgrade.
    const ws2 = new WebSocket(`ws://self/_target?id=${id}&mode=refuse&label=new-websocket-refused`);
    const closed2 = deferred();
    r.watch("refused", ws2, { close: () => closed2.resolve() });
    await closed2.promise;

    // close() while connecting.
    const ws3 = new WebSocket(`ws://self/_target?id=${id}&mode=echo&label=new-websocket-cancelled`);
    const closed3 = deferred();
    r.watch("cancelled", ws3, { close: () => closed3.resolve() });
    r.call('ws3.close(1000, "never mind") while connecting', () => ws3.close(1000, "never mind"), ws3);
    await closed3.promise;
    await r.finish();
    return new Response("done");
  },

  // Durable Object with the hibernation API; the DO named after the id records into the same
  // report. See HibernationRoom below for the phases and the done condition.
  "durable-object-hibernation"(request, env, ctx, r, url) {
    const phase = url.searchParams.get("phase");
    if (phase !== "limits" && !isUpgrade(request)) return expectedUpgrade();
    const room = phase === "limits" ? `${r.data.id}:limits` : r.data.id;
    return env.ROOMS.getByName(room).fetch(request);
  },
};

// Also run under compatibility date 2023-08-14 (no automatic close reply then), so the close
// handler answers the Close itself, the pre-2026 idiom (a silent no-op with auto-reply on).
function compressionEcho(request, r) {
  if (!isUpgrade(request)) return expectedUpgrade();
  r.note("request Sec-WebSocket-Extensions", request.headers.get("Sec-WebSocket-Extensions"));
  const { client, server } = echoServer(r, {
    onClose: (event, server) => r.call(`server.close(${event.code}, ${JSON.stringify(event.reason)}) in close handler`,
                                       () => server.close(event.code, event.reason), server),
  });
  r.note("server.extensions", server.extensions);
  return new Response(null, { status: 101, webSocket: client });
}

function target(request, url) {
  const id = url.searchParams.get("id");
  const mode = url.searchParams.get("mode");
  const label = url.searchParams.get("label");
  const r = REPORTS.get(id);
  const seen = {};
  for (const name of ["upgrade", "connection", "sec-websocket-extensions", "sec-websocket-protocol",
                      "sec-websocket-version"]) {
    seen[name] = request.headers.get(name);
  }
  seen["sec-websocket-key present"] = request.headers.get("sec-websocket-key") !== null;
  r?.extra("target", { label, mode, headers: seen });
  if (mode === "refuse") return new Response("nope: no WebSocket here", { status: 403 });
  if (mode === "plain") return new Response("plain response");
  const [client, server] = Object.values(new WebSocketPair());
  server.accept();
  server.addEventListener("message", (event) => server.send(event.data));
  const headers = {};
  const proto = url.searchParams.get("proto");
  const offered = (request.headers.get("Sec-WebSocket-Protocol") ?? "").split(",").map((s) => s.trim());
  if (proto && offered.includes(proto)) headers["Sec-WebSocket-Protocol"] = proto;
  return new Response(null, { status: 101, webSocket: client, headers });
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const name = url.pathname.slice(1);
    if (name === "report") {
      const rep = REPORTS.get(url.searchParams.get("id"));
      if (!rep) return new Response("unknown report id", { status: 404 });
      return new Response(JSON.stringify(rep.data), { headers: { "Content-Type": "application/json" } });
    }
    if (name === "_target") return target(request, url);
    const scenario = SCENARIOS[name];
    if (!scenario) return new Response("unknown scenario", { status: 404 });
    let id = url.searchParams.get("id") ?? name;
    if (name === "socket-returned-twice" && url.searchParams.get("phase") === "2") id += "-phase2";
    // The Durable Object scenario spans several requests that share one report.
    const r = (name === "durable-object-hibernation" && REPORTS.get(id)) || new Report(name, id);
    return scenario(request, env, ctx, r, url);
  },
};

// ── Durable Object: hibernation API ──────────────────────────────────────────────────────────
// Requests (all with ?id=<id>):
//   phase=limits (plain GET) → the object "<id>:limits" runs the limit/error checks on fresh
//       pairs and answers 200 "limits recorded".
//   phase=join&name=<n>&tags=<t1,t2> (WebSocket) → the object "<id>" hibernation-accepts the
//       server end with those tags and attachment {name, id}; the first join also sets the
//       auto-response "ping" → "pong".
// Messages: "who" → "you=<n> all=[..] room=[..] tags=[..]" (getWebSockets() order by
//   attachment name); "stamp" → "autoResponseTimestamp: Date" | "...: null"; binary →
//   "binary <dataType> <size>"; anything else → "echo <msg>".
// webSocketClose records the hook arguments, readyState, getWebSockets() names, then tries
//   send() and close(code, reason) (1005/1006 → 1000). webSocketError records the error.
// When a hook runs on a new instance of the room object (its constructor ran again), the
//   report gets the note "HibernationRoom was constructed again".
// done: once webSocketClose or webSocketError has run for each of alice, bob, carol and dave
//   (the driver's four sockets; carol sends a 1 MiB + 1 byte message, dave 32 MiB + 1 bytes).
// V8 serializes a one-byte string of n < 16384 chars as n + 5 bytes (2 header, 1 tag, 2 varint).
let ROOM_INSTANCES = 0; // constructor runs, to see an object being re-created
const ENDED = new Map(); // report id → names whose webSocketClose/webSocketError ran
const LAST_INSTANCE = new Map(); // report id → instance number of the room that last recorded

const ATTACHMENT_LIMIT_OK = "x".repeat(16379); // 16384 bytes serialized

export class HibernationRoom {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
    this.instance = ++ROOM_INSTANCES;
  }

  // The report for `id`; notes when this hook runs on a different object instance than the
  // previous one that recorded (the constructor ran again).
  report(id) {
    const r = REPORTS.get(id);
    const last = LAST_INSTANCE.get(id);
    if (last !== undefined && last !== this.instance) r.note("HibernationRoom was constructed again", true);
    LAST_INSTANCE.set(id, this.instance);
    return r;
  }

  ended(r, name) {
    const set = ENDED.get(r.data.id) ?? new Set();
    ENDED.set(r.data.id, set.add(name));
    if (set.size === 4) r.finish();
  }

  names(tag) {
    const list = tag === undefined ? this.ctx.getWebSockets() : this.ctx.getWebSockets(tag);
    return list.map((ws) => ws.deserializeAttachment()?.name ?? null);
  }

  async fetch(request) {
    const url = new URL(request.url);
    const id = url.searchParams.get("id");
    if (url.searchParams.get("phase") === "limits") {
      this.limits(REPORTS.get(id)); // the separate object "<id>:limits"
      return new Response("limits recorded");
    }
    const r = this.report(id);
    const name = url.searchParams.get("name");
    const tags = (url.searchParams.get("tags") ?? "").split(",").filter((t) => t);
    const [client, server] = Object.values(new WebSocketPair());
    r.call(`${name}: ctx.acceptWebSocket(server, ${JSON.stringify(tags)})`,
           () => this.ctx.acceptWebSocket(server, tags), server);
    r.call(`${name}: server.serializeAttachment({name, id})`, () => server.serializeAttachment({ name, id }));
    r.call(`${name}: ctx.getTags(server)`, () => this.ctx.getTags(server));
    r.call(`${name}: server.accept()`, () => server.accept(), server);
    r.note(`${name}: getWebSockets() names`, this.names());
    if (this.ctx.getWebSocketAutoResponse() === null) {
      r.call('setWebSocketAutoResponse("ping" → "pong")',
             () => this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong")));
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage(ws, message) {
    const att = ws.deserializeAttachment();
    const r = this.report(att.id);
    r.add(r.messageEntry("webSocketMessage", att.name, ws, message));
    if (typeof message !== "string") {
      const kind = message instanceof ArrayBuffer ? "ArrayBuffer" : Object.prototype.toString.call(message);
      ws.send(`binary ${kind} ${message.byteLength}`);
    } else if (message === "who") {
      const tags = this.ctx.getTags(ws);
      ws.send(`you=${att.name} all=[${this.names()}] room=[${this.names("room")}] tags=[${tags}]`);
    } else if (message === "stamp") {
      const ts = this.ctx.getWebSocketAutoResponseTimestamp(ws);
      ws.send(`autoResponseTimestamp: ${ts instanceof Date ? "Date" : String(ts)}`);
    } else {
      ws.send(`echo ${message}`);
    }
  }

  webSocketClose(ws, code, reason, wasClean) {
    const att = ws.deserializeAttachment();
    const r = this.report(att.id);
    r.add({ event: "webSocketClose", socket: att.name, readyState: ws.readyState, code, reason, wasClean });
    r.note(`${att.name}: getWebSockets() names in webSocketClose`, this.names());
    r.call(`${att.name}: ws.send("in webSocketClose")`, () => ws.send("in webSocketClose"), ws);
    const replyCode = code === 1005 || code === 1006 ? 1000 : code;
    r.call(`${att.name}: ws.close(${replyCode}, ${JSON.stringify(reason)})`, () => ws.close(replyCode, reason), ws);
    this.ended(r, att.name);
  }

  webSocketError(ws, error) {
    const att = ws.deserializeAttachment();
    const r = this.report(att.id);
    r.add({ event: "webSocketError", socket: att.name, readyState: ws.readyState, error: errText(error) });
    this.ended(r, att.name);
  }

  limits(r) {
    const ctx = this.ctx;
    const pair = () => Object.values(new WebSocketPair());
    const tags11 = Array.from({ length: 11 }, (_, i) => `t${i}`);
    const tags10dup = [...Array.from({ length: 10 }, (_, i) => `t${i}`), "t0"];
    const [, s1] = pair();
    r.call("acceptWebSocket(ws, 11 distinct tags)", () => ctx.acceptWebSocket(s1, tags11));
    r.note("getWebSockets().length after the failed accept", ctx.getWebSockets().length);
    const [, s2] = pair();
    r.call("acceptWebSocket(ws, 10 distinct tags + a duplicate)", () => ctx.acceptWebSocket(s2, tags10dup));
    const [, s3] = pair();
    r.call("acceptWebSocket(ws, [257-byte ASCII tag])", () => ctx.acceptWebSocket(s3, ["x".repeat(257)]));
    const [, s4] = pair();
    r.call('acceptWebSocket(ws, ["é" * 129]) (258 bytes, 129 chars)', () => ctx.acceptWebSocket(s4, ["é".repeat(129)]));
    const [, s5] = pair();
    r.call("acceptWebSocket(ws, [256-byte ASCII tag])", () => ctx.acceptWebSocket(s5, ["y".repeat(256)]));
    const [, s6] = pair();
    r.call('acceptWebSocket(ws, ["dup", "dup"])', () => ctx.acceptWebSocket(s6, ["dup", "dup"]));
    r.call("getTags(ws with duplicate tags)", () => ctx.getTags(s6));
    const [, s7] = pair();
    r.call("getTags(unaccepted ws)", () => ctx.getTags(s7));
    r.call("s7.accept()", () => s7.accept());
    r.call("getTags(ws accepted with accept())", () => ctx.getTags(s7));
    r.call("acceptWebSocket(ws accepted with accept())", () => ctx.acceptWebSocket(s7));
    const [c8, s8] = pair();
    r.call("acceptWebSocket(s8)", () => ctx.acceptWebSocket(s8));
    r.call("s8.accept() after acceptWebSocket", () => s8.accept());
    r.call("acceptWebSocket(c8) whose pair was hibernation-accepted", () => ctx.acceptWebSocket(c8));
    r.call("getTags(s8) without tags", () => ctx.getTags(s8));
    r.call("s8.deserializeAttachment() before any serialize", () => s8.deserializeAttachment());
    r.call("s8.serializeAttachment({a: 1, b: [2, 3]})", () => s8.serializeAttachment({ a: 1, b: [2, 3] }));
    r.call("s8.deserializeAttachment()", () => s8.deserializeAttachment());
    r.call('s8.serializeAttachment("x" * 16379) (16384 bytes serialized)',
           () => s8.serializeAttachment(ATTACHMENT_LIMIT_OK));
    r.call('s8.serializeAttachment("x" * 16380) (16385 bytes serialized)',
           () => s8.serializeAttachment("x".repeat(16380)));
    r.call('s8.serializeAttachment("x" * 20000)', () => s8.serializeAttachment("x".repeat(20000)));
    r.call("s8.deserializeAttachment() length after the failed ones", () => s8.deserializeAttachment().length);
    const [, s9] = pair();
    r.call("s9 (unaccepted) serializeAttachment(1)", () => s9.serializeAttachment(1));
    r.call("s9 deserializeAttachment()", () => s9.deserializeAttachment());
    r.call("getWebSocketAutoResponse() before set", () => ctx.getWebSocketAutoResponse());
    r.call('new WebSocketRequestResponsePair("x" * 2049, "y")',
           () => { new WebSocketRequestResponsePair("x".repeat(2049), "y"); return "constructed"; });
    r.call('setWebSocketAutoResponse(pair("x" * 2049, "y"))',
           () => ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("x".repeat(2049), "y")));
    r.call('setWebSocketAutoResponse(pair("y", "x" * 2049))',
           () => ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("y", "x".repeat(2049))));
    r.call('setWebSocketAutoResponse(pair("x" * 2048, "y" * 2048))',
           () => ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("x".repeat(2048), "y".repeat(2048))));
    r.call('setWebSocketAutoResponse(pair("é" * 1025, "y")) (2050 bytes, 1025 chars)',
           () => ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("é".repeat(1025), "y")));
    r.call("setWebSocketAutoResponse(pair(\"req\", \"res\"))",
           () => ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("req", "res")));
    r.call("getWebSocketAutoResponse() shape", () => {
      const p = ctx.getWebSocketAutoResponse();
      return {
        constructor: p?.constructor?.name ?? null,
        request: p?.request ?? null,
        response: p?.response ?? null,
        getRequest: typeof p?.getRequest === "function" ? p.getRequest() : null,
        getResponse: typeof p?.getResponse === "function" ? p.getResponse() : null,
      };
    });
    r.call("getWebSocketAutoResponseTimestamp(s8)", () => ctx.getWebSocketAutoResponseTimestamp(s8));
    r.call("setWebSocketAutoResponse()", () => ctx.setWebSocketAutoResponse());
    r.call("getWebSocketAutoResponse() after unset", () => ctx.getWebSocketAutoResponse());
    r.call("getHibernatableWebSocketEventTimeout()", () => ctx.getHibernatableWebSocketEventTimeout());
    r.call("setHibernatableWebSocketEventTimeout(604800001)", () => ctx.setHibernatableWebSocketEventTimeout(604800001));
    r.call("setHibernatableWebSocketEventTimeout(5000)", () => ctx.setHibernatableWebSocketEventTimeout(5000));
    r.call("getHibernatableWebSocketEventTimeout() after set", () => ctx.getHibernatableWebSocketEventTimeout());
    r.call("setHibernatableWebSocketEventTimeout()", () => ctx.setHibernatableWebSocketEventTimeout());
    r.call("getWebSockets().length", () => ctx.getWebSockets().length);
    r.call('getWebSockets("dup").length', () => ctx.getWebSockets("dup").length);
    r.call('getWebSockets("t0").length', () => ctx.getWebSockets("t0").length);
  }
}

"""Write notebooks/00-…06-*.ipynb and 99-appendix-*.ipynb, and their solutions, and execute them to fill outputs.

    .venv/bin/python tools/build_notebooks.py                  # write and execute every notebook
    .venv/bin/python tools/build_notebooks.py 03 05            # only some
    .venv/bin/python tools/build_notebooks.py --no-execute 03  # write only

Executing runs `jupyter nbconvert --execute --inplace` (without per-cell timestamps, so
re-running changes a notebook only where its outputs change). Check the result with nbval
(the README's test command).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nbbuild import NOTEBOOKS, code, footer, header, md, raises, write

SOL = NOTEBOOKS / "solutions"

PANIC = "await stop_all()"


# ---------------------------------------------------------------------------
# 00 set-up check
# ---------------------------------------------------------------------------
def nb00():
    cells = [
        header(
            "00 · Is this machine ready?",
            ["Will the notebooks run here?", "What do I do when a cell seems stuck?"],
            [
                "Run the set-up check and read its verdict.",
                "See why these notebooks use `await` directly in cells, never `asyncio.run()`.",
                "Start a local Worker on a free port and stop it again.",
            ],
            [],
            5,
            5,
            "",
        ),
        md(
            """
## How these notebooks work

- Run cells one by one with **Shift-Enter**, or all at once with **Run → Run All Cells**. Both work.
- Every wait in these notebooks has a time limit (usually 5 seconds). If something does not
  happen in time you get an error that says what was expected, never a cell that hangs.
- On a slow machine, set the environment variable `WSGUIDE_TIMEOUT_FACTOR=10` before starting
  JupyterLab: every limit is multiplied by it.
- Servers run on `127.0.0.1` only, on a port the system picks (port 0), so re-running a cell
  never hits "address already in use".
"""
        ),
        md("## The check\n\nThe same checks run in a terminal with `wsguide check` (or `python -m wsguide check`)."),
        code("from wsguide import check\nfrom wsguide.notebook import stop_all"),
        md("Each line is `[ OK ]`, `[FAIL]` with how to fix it, or `[ -- ]` for something optional. Versions and paths differ from machine to machine."),
        code("report = await check.run_all()\nreport.show()", "nbval-ignore-output"),
        md("The verdict counts only what the notebooks need (the browser is optional: notebook 04 skips its browser demo without one)."),
        code("print(report.summary())"),
        md(
            """
## Why `await` works in a cell

A notebook kernel already runs an asyncio event loop, and your cells run inside it. So you write
`await something()` directly in a cell. `asyncio.run()` tries to start a *second* loop, which
Python refuses. The error below is expected:
"""
        ),
        code(
            """
import asyncio


async def greet():
    return "hello from a coroutine"
"""
        ),
        raises(
            """
coro = greet()
try:
    asyncio.run(coro)  # does not work in a notebook
finally:
    coro.close()  # tidy up the coroutine that never ran
"""
        ),
        code("await greet()  # works: the cell already runs in the event loop"),
        md(
            """
Much advice on the web says to fix that error by patching asyncio with the `nest-asyncio` package. Don't: it is
unmaintained and breaks "Run All" in current JupyterLab. Top-level `await` needs no patch; the
check above warns if one was applied.

## A first local Worker

`serve()` runs a Worker on `127.0.0.1` at a free port. Inside the `async with` block it serves;
at the end of the block it stops.
"""
        ),
        code(
            """
from wsguide import Response, WorkerEntrypoint, fetch, serve


class Hello(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("hello from a local Worker")
"""
        ),
        code(
            """
async with serve(Hello) as srv:
    print(srv)  # the port changes from run to run
    resp = await fetch(srv.url)
    print(resp.status, await resp.text())
print("stopped:", not srv.is_serving)
"""
        ),
    ]
    cells += footer(
        [
            "`wsguide check` (or this notebook) tells you whether the machine is ready, and how to fix it if not.",
            "Write `await …` directly in cells; never `asyncio.run()` or an event-loop patch in a notebook.",
            "`async with serve(Worker) as srv:` starts a Worker on a free port and stops it at the end of the block.",
            "`await stop_all()` stops every server left running.",
        ],
        [
            "Start two `Hello` servers at the same time (two nested `async with` blocks) and check that they got different ports (`srv.port`).",
            "Inside and after an `async with serve(Hello)` block, call `show_running()` (from `wsguide.notebook`) to see which servers run.",
        ],
        "[01 · Refusing what is not a WebSocket](01-upgrade-check.ipynb): the first step of the guide.",
        "00-setup-check-solutions.ipynb",
    )
    write("00-setup-check.ipynb", cells)

    sol = [
        md("# Solutions to 00 · Is this machine ready?"),
        code(
            """
from wsguide import Response, WorkerEntrypoint, serve
from wsguide.notebook import show_running, stop_all


class Hello(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("hello from a local Worker")
"""
        ),
        md("**Exercise 1.** Port 0 asks the system for any free port, so two servers never clash."),
        code(
            """
async with serve(Hello) as first, serve(Hello) as second:
    print("different ports:", first.port != second.port)
"""
        ),
        md("**Exercise 2.**"),
        code(
            """
async with serve(Hello):
    show_running()
show_running()
"""
        ),
        code(PANIC),
    ]
    write("00-setup-check-solutions.ipynb", sol, SOL)


# ---------------------------------------------------------------------------
# 01 the Upgrade check and the 426 answer
# ---------------------------------------------------------------------------
WORKER_01 = '''
class Default(WorkerEntrypoint):
    async def fetch(self, request):
        upgrade = request.headers.get("Upgrade")
        if upgrade != "websocket":  # the guide's check: exact text
            return Response("This address speaks WebSocket only: send Upgrade: websocket.", status=426)
        # Notebook 02 creates the WebSocket here. For now, just say so.
        return Response("Welcome! This request would become a WebSocket.")
'''


def nb01():
    cells = [
        header(
            "01 · Refusing what is not a WebSocket",
            [
                "How does a WebSocket connection begin?",
                "How does a Worker tell a WebSocket request from an ordinary one, and refuse the ordinary one?",
            ],
            [
                "Read the `Upgrade` header in a Worker's `fetch`.",
                "Answer `426 Upgrade Required` to requests without it.",
                "Call a Worker with and without the header, directly and over the network, and see both answers.",
                "Know why the exact-text check refuses `Upgrade: WebSocket`, and how to fix it.",
            ],
            [("HTTP requests and status codes", "Necessary", "GET, headers, 200 vs 4xx"),
             ("[00 · set-up check](00-setup-check.ipynb)", "Necessary", "`await` in cells, `serve()`")],
            10,
            10,
            "Writing a WebSocket Server (the Upgrade check)",
            "#writing-a-websocket-server",
        ),
        code(
            """
from websockets.asyncio.client import connect

from wsguide import Request, Response, WebSocket, WorkerEntrypoint, fetch, serve
from wsguide.notebook import EventLog, check_upgrade_check, stop_all, wire_tap
"""
        ),
        md(
            """
## A WebSocket starts as an HTTP request

A client that wants a WebSocket sends an ordinary `GET` with two extra headers:
`Upgrade: websocket` and `Connection: Upgrade`. If the server agrees, it answers
`101 Switching Protocols` and the same TCP connection carries WebSocket frames from then on.

A Worker's `fetch(request)` sees *every* request, so its first job is to tell the two kinds apart.
"""
        ),
        md("Here is a Worker that does only that. Plain requests get **426 Upgrade Required**, with a body that says what to do."),
        code(WORKER_01),
        md("## Calling the Worker directly\n\nA Worker is a class with an `async def fetch`. You can call it without any network: build a `Request` and await the answer."),
        code(
            """
worker = Default(ctx=None, env=None)
plain = await worker.fetch(Request("http://example.com/"))
print(plain.status, plain.status_text, "|", await plain.text())
"""
        ),
        code(
            """
asking = await worker.fetch(Request("http://example.com/", headers={"Upgrade": "websocket"}))
print(asking.status, asking.status_text, "|", await asking.text())
"""
        ),
        md("### Self-check\n\nThis function calls your Worker with and without the header and tells you what it sees."),
        code("await check_upgrade_check(Default)"),
        md("## Over the network\n\nNow serve the Worker on a free port and use `fetch()`, the same function a Worker uses to call other servers."),
        code(
            """
async with serve(Default) as srv:
    without = await fetch(srv.url)
    with_header = await fetch(srv.url, headers={"Upgrade": "websocket"})

print("without Upgrade:", without.status, "|", await without.text())
print("with Upgrade:   ", with_header.status, "|", await with_header.text())
print("web_socket:     ", with_header.web_socket)
"""
        ),
        md(
            """
The second `fetch()` asked for a WebSocket, but the Worker answered an ordinary `200`. So `fetch()`
returns that ordinary response and `web_socket` is `None`: a refused upgrade is not an exception.
Notebook 05 comes back to this.

## On the wire

`wire_tap(srv)` is a small relay between client and server that prints what crosses it.
Random header values are shown as placeholders.
"""
        ),
        code(
            """
async with serve(Default) as srv, wire_tap(srv, client="fetch") as tap:
    await fetch(tap.url)
    await fetch(tap.url, headers={"Upgrade": "websocket"})
tap.show()
"""
        ),
        md("The same conversation as a sequence diagram (JupyterLab draws it):"),
        code("tap.diagram()"),
        md(
            """
## What a WebSocket client sees

A WebSocket client sends `Upgrade: websocket` and expects `101` back. Our Worker answers `200`
where the `101` belongs (the WebSocket part comes in notebook 02), so for the client the
connection failed: an `error` event, then `close` with code 1006.
"""
        ),
        code(
            """
async with serve(Default) as srv:
    log = EventLog()
    log.watch(WebSocket(srv.ws_url), "client")
    await log.wait_for(type="close")
log.show()
"""
        ),
        md("The `websockets` library, used by most Python programs, raises an exception instead (expected here):"),
        raises(
            """
async with serve(Default) as srv:
    async with connect(srv.ws_url, open_timeout=5) as conn:
        print("never printed")
"""
        ),
        md(
            """
## Surprise: `Upgrade: WebSocket` is refused

The check compares exact text, but the WebSocket standard (RFC 6455) says the server must treat
this value without regard to case, and some real clients (the Autobahn test suite, for one) send
`WebSocket`. The runtime itself accepts any case; only the Worker's own check is too strict.
"""
        ),
        code(
            """
for value in ["websocket", "WebSocket", "WEBSOCKET"]:
    resp = await worker.fetch(Request("http://example.com/", headers={"Upgrade": value}))
    print(f"Upgrade: {value:<10} -> {resp.status}")
"""
        ),
        md(
            """
Header *names* are already case-insensitive (`request.headers.get("upgrade")` works too); the
*value* is the problem. Lower-case it before comparing, and treat a missing header as empty:

```python
if (request.headers.get("Upgrade") or "").lower() != "websocket":
```

The self-check can test this too: `await check_upgrade_check(Default, mixed_case=True)`.
That is exercise 1.
"""
        ),
        code("await check_upgrade_check(Default, mixed_case=True)  # the guide's check fails this line"),
    ]
    cells += footer(
        [
            "A WebSocket begins as a `GET` with `Upgrade: websocket`; a Worker's `fetch` must recognise it.",
            "Anything else gets `426 Upgrade Required`, with a body that explains.",
            "`fetch()` with `Upgrade: websocket` returns an ordinary response with `web_socket` `None` when the server does not upgrade.",
            "Compare the header value case-insensitively: real clients send `WebSocket` too.",
        ],
        [
            "Write a Worker `Tolerant` that accepts the header in any case, and pass `await check_upgrade_check(Tolerant, mixed_case=True)`.",
            "HTTP asks a `426` response to say which protocol to switch to, in an `Upgrade: websocket` response header. Add it, and read it back with `fetch()` (`resp.headers.get(\"Upgrade\")`).",
        ],
        "[02 · The WebSocketPair](02-websocket-pair.ipynb): what the Worker creates once the check passes.",
        "01-upgrade-check-solutions.ipynb",
    )
    write("01-upgrade-check.ipynb", cells)

    sol = [
        md("# Solutions to 01 · Refusing what is not a WebSocket"),
        code(
            """
from wsguide import Response, WorkerEntrypoint, fetch, serve
from wsguide.notebook import check_upgrade_check, stop_all
"""
        ),
        md("**Exercise 1.** Lower-case the value; `or \"\"` turns a missing header into an empty string."),
        code(
            '''
class Tolerant(WorkerEntrypoint):
    async def fetch(self, request):
        if (request.headers.get("Upgrade") or "").lower() != "websocket":
            return Response("This address speaks WebSocket only: send Upgrade: websocket.", status=426)
        return Response("Welcome! This request would become a WebSocket.")


await check_upgrade_check(Tolerant, mixed_case=True)
'''
        ),
        md("**Exercise 2.**"),
        code(
            '''
class Polite(WorkerEntrypoint):
    async def fetch(self, request):
        if (request.headers.get("Upgrade") or "").lower() != "websocket":
            return Response(
                "This address speaks WebSocket only: send Upgrade: websocket.",
                status=426,
                headers={"Upgrade": "websocket"},
            )
        return Response("Welcome! This request would become a WebSocket.")


async with serve(Polite) as srv:
    resp = await fetch(srv.url)
print(resp.status, "| Upgrade:", resp.headers.get("Upgrade"))
'''
        ),
        code(PANIC),
    ]
    write("01-upgrade-check-solutions.ipynb", sol, SOL)


# ---------------------------------------------------------------------------
# 02 the pair
# ---------------------------------------------------------------------------
def nb02():
    cells = [
        header(
            "02 · The WebSocketPair",
            ["What does a Worker create to answer a WebSocket request?", "What happens to the end it returns?"],
            [
                "Create a `WebSocketPair` and take out its two ends.",
                "Read `readyState` and know why both ends start `OPEN`.",
                "Return one end in a `101` response, and know the rules a `Response` enforces.",
                "See that the returned end becomes inert.",
            ],
            [("[01 · the Upgrade check](01-upgrade-check.ipynb)", "Necessary", "426 vs upgrade"),
             ("Python unpacking (`a, b = pair`)", "Helpful", "")],
            10,
            10,
            "Writing a WebSocket Server (WebSocketPair and the 101 response)",
            "#writing-a-websocket-server",
        ),
        code(
            """
from wsguide import Response, WebSocket, WebSocketPair, WorkerEntrypoint, serve
from wsguide.js import Object
from wsguide.notebook import check_pair, check_returned_end, next_event, stop_all, wire_tap
"""
        ),
        md(
            """
## Two connected sockets

A `WebSocketPair` holds two WebSockets joined to each other: what one end sends, the other
receives. The Worker keeps one end to talk through, and hands the other to the runtime, which
connects it to the client on the network.

Python Workers write `WebSocketPair.new()` (JavaScript's `new WebSocketPair()`); `WebSocketPair()`
works here too.
"""
        ),
        code("pair = WebSocketPair.new()\npair"),
        md("The ends are at keys `0` and `1`. By convention the first is called `client` (it goes back to the client), the second `server` (the Worker keeps it)."),
        code(
            """
client = pair[0]
server = pair[1]
print(client is pair[0], server is pair[1])
"""
        ),
        md("JavaScript grabs both with `Object.values(pair)`; Python Workers can use `Object` from `js` the same way, and wsguide adds `pair.object_values()`:"),
        code(
            """
client, server = Object.values(WebSocketPair.new())
client, server = WebSocketPair.new().object_values()  # same thing
"""
        ),
        md("### Self-check"),
        code("check_pair(client, server)"),
        md(
            """
## `readyState`: both ends start OPEN

`readyState` is 0 (`CONNECTING`), 1 (`OPEN`), 2 (`CLOSING`) or 3 (`CLOSED`). A browser's
WebSocket starts at `CONNECTING`; the ends of a pair start at `OPEN`, because there is nothing to
connect: they are already joined. (They still cannot send before `accept()`; notebook 03.)
"""
        ),
        code(
            """
print("client:", client.readyState, " server:", server.readyState)
print("CONNECTING, OPEN, CLOSING, CLOSED =", WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED)
"""
        ),
        md("wsguide also shows the runtime's internal state (wsguide only: real Workers don't expose it). Both ends wait to be either accepted or returned:"),
        code("print(client.state.value)\nprint(server.state.value)"),
        md(
            """
## Returning an end: status 101

`101 Switching Protocols` with `web_socket=client` tells the runtime: "connect this end to the
client". A 101 response has no body.
"""
        ),
        code(
            """
resp = Response(None, status=101, web_socket=client)
print(resp, "| carries our end:", resp.web_socket is client)
"""
        ),
        md("The runtime enforces the pairing both ways. A 101 without a socket (expected error):"),
        raises("Response(None, status=101)"),
        md("A socket without 101 (expected error):"),
        raises('Response("hello", status=200, web_socket=WebSocketPair.new()[0])'),
        md(
            """
## A Worker that upgrades

This Worker creates a pair and returns the client end. It does not accept its own end yet
(notebook 03), so it cannot talk. It keeps both ends in `kept` only so this notebook can look at
them afterwards; a real Worker would not.
"""
        ),
        code(
            '''
kept = {}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if (request.headers.get("Upgrade") or "").lower() != "websocket":
            return Response("This address speaks WebSocket only: send Upgrade: websocket.", status=426)
        client, server = WebSocketPair.new().object_values()
        kept["client"], kept["server"] = client, server  # only for this notebook
        return Response(None, status=101, web_socket=client)
'''
        ),
        md("Connect with a WebSocket client (playing the browser) through a wire tap, and look at both ends once the client is open:"),
        code(
            """
async with serve(Default) as srv, wire_tap(srv) as tap:
    browser = WebSocket(tap.ws_url)
    await next_event(browser, "open")
    handshake = tap.snapshot()  # what crossed the wire up to now
    print("returned end:", kept["client"])
    print("kept end:    ", kept["server"])
"""
        ),
        md("The handshake on the wire: the client asked to upgrade, and the runtime answered 101 on the Worker's behalf."),
        code("handshake.show()"),
        code("handshake.diagram()"),
        md(
            """
## The returned end is inert

Surprise: the returned end still says `OPEN`. From the Worker's point of view it is finished:
the runtime took it over, and nothing you do with it has any effect.
"""
        ),
        code('check_returned_end(kept["client"])'),
        md("Trying to use it as if it were yours is an error (expected):"),
        raises('kept["client"].accept()'),
    ]
    cells += footer(
        [
            "`WebSocketPair.new()` makes two joined sockets: keep one (`server`), return the other (`client`).",
            "Both ends start `OPEN` (readyState 1): nothing needs connecting.",
            "`Response(None, status=101, web_socket=client)` hands `client` to the runtime; 101 and a socket always go together.",
            "The returned end becomes inert, yet still reads `OPEN`.",
        ],
        [
            "Return the `server` end instead and keep `client`. Does a client still connect? Why?",
            "Call `accept()` on the end *before* returning it. What does the connecting client get, and what does the Worker's log say (`show_log(srv)`)?",
        ],
        "[03 · accept() and listeners](03-accept-and-listeners.ipynb): making the kept end talk.",
        "02-websocket-pair-solutions.ipynb",
    )
    write("02-websocket-pair.ipynb", cells)

    sol = [
        md("# Solutions to 02 · The WebSocketPair"),
        code(
            """
from wsguide import Response, WebSocket, WebSocketPair, WorkerEntrypoint, fetch, serve
from wsguide.notebook import next_event, show_log, stop_all
"""
        ),
        md("**Exercise 1.** The two ends are alike: either one can be returned. `client`/`server` are only names."),
        code(
            '''
class Swapped(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        return Response(None, status=101, web_socket=server)


async with serve(Swapped) as srv:
    ws = WebSocket(srv.ws_url)
    event = await next_event(ws, "open")
    print("connected:", event.type)
    ws.close(1000)
'''
        ),
        md("**Exercise 2.** The runtime refuses to send such a response: the client gets a 500, and the Worker's log has the reason."),
        code(
            '''
class TooEager(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        client.accept()
        return Response(None, status=101, web_socket=client)


async with serve(TooEager, echo_log=False) as srv:
    resp = await fetch(srv.url, headers={"Upgrade": "websocket"})
    print(resp.status, "|", (await resp.text()).strip())
show_log(srv)
'''
        ),
        code(PANIC),
    ]
    write("02-websocket-pair-solutions.ipynb", sol, SOL)


# ---------------------------------------------------------------------------
# 03 accept and listeners
# ---------------------------------------------------------------------------
WORKER_03 = '''
class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if (request.headers.get("Upgrade") or "").lower() != "websocket":
            return Response("This address speaks WebSocket only: send Upgrade: websocket.", status=426)
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_message(event):
            console.log("message:", event.data)

        def on_close(event):
            console.log("close:", event.code, repr(event.reason), "wasClean:", event.wasClean)

        server.addEventListener("message", on_message)
        server.addEventListener("close", on_close)
        return Response(None, status=101, web_socket=client)
'''


def nb03():
    cells = [
        header(
            "03 · accept() and listeners",
            ["How does the Worker start talking on its end?", "What happens to messages that arrive early, and how does a connection end?"],
            [
                "Call `accept()` and add `message` and `close` listeners.",
                "See that messages sent before `accept()` wait, in order.",
                "Recognise the exact errors of sending too early and too late.",
                "Read close codes: 1000, 1005 (closed without a code), 1006 (vanished), and which codes `close()` refuses.",
            ],
            [("[02 · the pair](02-websocket-pair.ipynb)", "Necessary", "the two ends"),
             ("Python functions as values (callbacks)", "Helpful", "")],
            15,
            10,
            "Writing a WebSocket Server (accept and addEventListener)",
            "#writing-a-websocket-server",
        ),
        code(
            """
from websockets.asyncio.client import connect

from wsguide import Response, WebSocket, WebSocketPair, WorkerEntrypoint, serve
from wsguide.errors import js_error_string
from wsguide.js import console
from wsguide.notebook import EventLog, check_close, show_log, stop_all, wait_for_events, wait_for_log, wire_tap
"""
        ),
        md(
            """
## Nothing flows before `accept()`

`accept()` tells the runtime "I will handle this end here, in the Worker". Until then the end can
neither send nor receive. Sending first is an error, with the runtime's exact words (expected):
"""
        ),
        raises(
            """
client, server = WebSocketPair.new().object_values()
server.send("too early")
"""
        ),
        md(
            """
## Messages sent to an unaccepted end wait

They are not lost. Below, the `client` end is accepted and sends twice; the `server` end is not
accepted yet, so nothing arrives (the bounded wait runs out after 0.2 s):
"""
        ),
        code(
            """
client, server = WebSocketPair.new().object_values()
log = EventLog()
log.watch(client, "client")
log.watch(server, "server")

client.accept()
client.send("first")
client.send("second")
try:
    await wait_for_events(log, 1, timeout=0.2)
except TimeoutError:
    print("nothing arrived: the server end is not accepted yet")
"""
        ),
        md("Now accept. The messages arrive in order, but not inside `accept()` itself: on a later turn of the event loop."),
        code(
            """
server.accept()
print("events right after accept():", len(log))
await wait_for_events(log, 2)
log.show()
"""
        ),
        md(
            """
## Listeners

`addEventListener(type, function)` calls the function for every event of that type:
`message` (`event.data`), `close` (`event.code`, `event.reason`, `event.wasClean`) and `error`.
The `on<type>` properties (`server.onmessage = fn`) work too. A listener may be a plain function
or an `async def` one.

## Closing, and code 1005

`close()` without arguments sends a Close frame with no code in it. The other side reports that
as **1005** ("no status received"), a code that never travels on the wire. Here the server end
closes; the client end answers automatically, so both see 1005:
"""
        ),
        code(
            """
server.close()
await wait_for_events(log, 4)
log.show(by_source=True)
"""
        ),
        md("### Self-check"),
        code('check_close(log.events("client", "close")[0], 1005)'),
        md("After `close()`, sending is an error (expected):"),
        raises('server.send("too late")'),
        md(
            """
## Which codes `close()` accepts

1000 means a normal close, and 1001–1014 have standard meanings; 3000–3999 are registered for
libraries and frameworks, and 4000–4999 are yours to define. 1004, 1005, 1006 and 1015 are
reserved: they describe situations and are never sent. A reason needs a code, and may be at most
123 bytes of UTF-8.
"""
        ),
        code(
            """
attempts = [(1000, "done"), (4000, "my own code"), (1005, None), (999, None), (5000, None), (None, "why?"), (1000, "x" * 124)]
for code, reason in attempts:
    a, b = WebSocketPair.new().object_values()
    a.accept()
    shown_reason = reason if reason is None or len(reason) < 20 else f"<{len(reason)} characters>"
    try:
        a.close(code, reason)
        result = "ok"
    except Exception as exc:
        result = js_error_string(exc)
    print(f"close({code}, {shown_reason!r}) -> {result}")
"""
        ),
        md("One of them as a real traceback (expected):"),
        raises(
            """
a, b = WebSocketPair.new().object_values()
a.accept()
a.close(1006)
"""
        ),
        md(
            """
## The same over the network

This is the guide's server so far: accept, then log every message. It logs `close` events too.
`console.log` writes to the Worker's log, like `wrangler dev` prints it in a terminal. Here the
lines appear under the cell (on a red background: they go to stderr), and `show_log(srv)` prints
them on demand.
"""
        ),
        code(WORKER_03),
        code(
            """
async with serve(Default) as srv, wire_tap(srv) as tap:
    log = EventLog()
    ws = log.watch(WebSocket(tap.ws_url), "client")
    await log.wait_for(type="open")
    ws.send("hello, Worker")
    ws.close()
    await log.wait_for(type="close")
    await wait_for_log(srv, "close:")
    await tap.wait_closed()
log.show()
show_log(srv)
"""
        ),
        md("On the wire, the client's Close frame is empty: there is no code to read, hence 1005."),
        code("tap.show()"),
        code("tap.diagram()"),
        md(
            """
## 1006: the other side vanished

When a connection drops without a Close frame (a crashed client, a lost network), the close
event has code **1006** and `wasClean` is `False`. Below, a `websockets` client drops its TCP
connection on purpose:
"""
        ),
        code(
            """
async with serve(Default, echo_log=False) as srv:
    conn = await connect(srv.ws_url, open_timeout=5)
    conn.transport.abort()  # drop the connection: no Close frame
    await wait_for_log(srv, "close:")
show_log(srv)
"""
        ),
    ]
    cells += footer(
        [
            "`server.accept()` starts the flow; before it, `send()` raises and incoming messages wait, in order.",
            "Events arrive on a later turn of the event loop, never inside the call that caused them.",
            "`close()` with no code is seen as 1005; a vanished peer is 1006 with `wasClean` False.",
            "`close()` checks its code (1000–4999, not 1004/1005/1006/1015) and reason (≤ 123 bytes, needs a code) first.",
        ],
        [
            "Write a Worker that echoes each message and, after the third, closes with code 4000 and reason `\"enough\"`. Check the client's close event with `check_close(event, 4000, reason=\"enough\")`.",
            "Give one socket both `server.onmessage = …` and an `addEventListener(\"message\", …)` listener that log different lines. Which runs first?",
        ],
        "[04 · The 101 response and a client](04-the-101-response-and-a-client.ipynb): a complete echo server, and clients for it.",
        "03-accept-and-listeners-solutions.ipynb",
    )
    write("03-accept-and-listeners.ipynb", cells)

    sol = [
        md("# Solutions to 03 · accept() and listeners"),
        code(
            """
from wsguide import Response, WebSocket, WebSocketPair, WorkerEntrypoint, serve
from wsguide.js import console
from wsguide.notebook import EventLog, check_close, show_log, stop_all, wait_for_events, wait_for_log
"""
        ),
        md("**Exercise 1.** Count in a variable the listener can change (`nonlocal`)."),
        code(
            '''
class ThreeAndOut(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()
        count = 0

        def on_message(event):
            nonlocal count
            count += 1
            server.send(event.data)
            if count == 3:
                server.close(4000, "enough")

        server.addEventListener("message", on_message)
        return Response(None, status=101, web_socket=client)


async with serve(ThreeAndOut) as srv:
    log = EventLog()
    ws = log.watch(WebSocket(srv.ws_url), "client")
    await log.wait_for(type="open")
    for word in ["one", "two", "three"]:
        ws.send(word)
    await log.wait_for(type="close")
log.show()
check_close(log.events("client", "close")[0], 4000, reason="enough")
'''
        ),
        md("**Exercise 2.** The `on<type>` property runs first, then listeners in the order they were added."),
        code(
            '''
client, server = WebSocketPair.new().object_values()
order = EventLog()
server.addEventListener("message", lambda event: order.add("server", "addEventListener listener"))
server.onmessage = lambda event: order.add("server", "onmessage property")
server.accept()
client.accept()
client.send("hi")
await wait_for_events(order, 2)
order.show()
'''
        ),
        code(PANIC),
    ]
    write("03-accept-and-listeners-solutions.ipynb", sol, SOL)


# ---------------------------------------------------------------------------
# 04 the 101 response and a client
# ---------------------------------------------------------------------------
ECHO_GUIDE = '''
class Echo(WorkerEntrypoint):
    async def fetch(self, request):
        if (request.headers.get("Upgrade") or "").lower() != "websocket":
            return Response("This address speaks WebSocket only: send Upgrade: websocket.", status=426)
        client, server = WebSocketPair.new().object_values()
        server.accept()
        server.addEventListener("message", lambda event: server.send(event.data))
        return Response(None, status=101, web_socket=client)
'''

ECHO_ANSWERS_CLOSE = (
    '        # Before compatibility date 2026-04-07 nobody answers a Close frame for you, so\n'
    '        # answer it here (a silent no-op when the runtime has already replied).\n'
    '        server.addEventListener("close", lambda event: server.close(1000, "bye"))\n'
)

ECHO_FIXED = '''
class FixedEcho(WorkerEntrypoint):
    async def fetch(self, request):
        if (request.headers.get("Upgrade") or "").lower() != "websocket":
            return Response("This address speaks WebSocket only: send Upgrade: websocket.", status=426)
        client, server = WebSocketPair.new().object_values()
        server.accept()
        server.binaryType = "arraybuffer"  # binary messages arrive as bytes, not Blob
        server.addEventListener("message", lambda event: server.send(event.data))
        return Response(None, status=101, web_socket=client)
'''


def nb04():
    cells = [
        header(
            "04 · The 101 response and a client",
            ["What does a complete WebSocket Worker look like?", "How do clients connect to it, send, and close?"],
            [
                "Assemble check, pair, `accept()`, listener and 101 response into an echo server.",
                "Spot and fix the `\"[object Blob]\"` echo of binary messages.",
                "Use the `WebSocket(url)` client: `open`, `send`, `message`, `close`, `readyState`.",
                "Talk to the same server from the `websockets` library and from a browser.",
            ],
            [("[03 · accept and listeners](03-accept-and-listeners.ipynb)", "Necessary", ""),
             ("Text vs binary data (`str` vs `bytes`)", "Helpful", "")],
            15,
            10,
            "Connecting to the WebSocket server from a client",
            "#connecting-to-the-websocket-server-from-a-client",
        ),
        code(
            """
import asyncio

from websockets.asyncio.client import connect

from wsguide import Blob, Response, WebSocket, WebSocketPair, WorkerEntrypoint, serve
from wsguide.check import browser_path, browser_ready
from wsguide.notebook import EventLog, check_close, check_echo, next_event, show_log, stop_all, wire_tap
"""
        ),
        md("## The whole server\n\nEverything from notebooks 01–03 in one Worker: it answers every message with the same message (an *echo* server)."),
        code(ECHO_GUIDE),
        md("### Self-check\n\n`check_echo` starts the Worker, sends a text and a binary message, and looks at what comes back."),
        code("await check_echo(Echo)"),
        md(
            """
## Surprise: binary comes back as `"[object Blob]"`

With today's compatibility date a binary message arrives as a `Blob` (`event.data.size`,
`await event.data.bytes()`), not as bytes. `send()` accepts text or bytes; anything else is
turned into text, as JavaScript does, and a Blob's text is `"[object Blob]"`. Real Workers do
exactly this. wsguide also warns in the Worker's log:
"""
        ),
        code(
            """
async with serve(Echo) as srv:
    ws = WebSocket(srv.ws_url)
    await next_event(ws, "open")
    ws.send(b"\\x01\\x02\\x03")
    reply = await next_event(ws, "message")
    print("sent b'\\\\x01\\\\x02\\\\x03', got back:", repr(reply.data))
    ws.close(1000)
    await next_event(ws, "close")
show_log(srv)
"""
        ),
        md("The fix: ask for bytes with `binaryType = \"arraybuffer\"` (or read the Blob first: `data = await event.data.bytes()` in an `async def` listener)."),
        code(ECHO_FIXED),
        code("await check_echo(FixedEcho)"),
        md(
            """
## The client: `WebSocket(url)`

`WebSocket(url)` starts connecting and returns at once, in `CONNECTING`. Add listeners, then wait
for `open` before sending. `close(code, reason)` ends the conversation.
"""
        ),
        code(
            """
async with serve(FixedEcho) as srv, wire_tap(srv) as tap:
    log = EventLog()
    ws = log.watch(WebSocket(tap.ws_url), "client")
    print("just created:", ws.readyState, "(CONNECTING)")
    await log.wait_for(type="open")
    print("after open:  ", ws.readyState, "(OPEN)")
    ws.send("hello, Worker")
    await log.wait_for(1, type="message")
    ws.send(b"\\x00\\xff")
    await log.wait_for(2, type="message")
    ws.close(1000, "bye")
    await log.wait_for(type="close")
    print("after close: ", ws.readyState, "(CLOSED)")
    await tap.wait_closed()
log.show()
"""
        ),
        md("The client's `binaryType` is `\"blob\"` too, so the binary echo arrives as a Blob. Read it like this:"),
        code(
            """
blob = log.events("client", "message")[1].data
print(blob, await blob.bytes())
"""
        ),
        md("### Self-check"),
        code('check_close(log.events("client", "close")[0], 1000, reason="bye", was_clean=True)'),
        md("## The whole conversation on the wire\n\n`RSV1` marks a compressed frame (compression is on by default: notebook 06); the tap shows its size compressed and inflated. The client's frames are masked, the server's are not, as the WebSocket standard requires."),
        code("tap.show()"),
        code("tap.diagram()"),
        md("## A plain `websockets` client\n\nMost Python programs use the `websockets` library. The server cannot tell the difference. Every wait is bounded:"),
        code(
            """
async with serve(FixedEcho) as srv:
    async with connect(srv.ws_url, open_timeout=5) as conn:
        await conn.send("from the websockets library")
        async with asyncio.timeout(5):
            print(await conn.recv())
"""
        ),
        md(
            """
## A browser

A small page whose JavaScript connects, sends one message, and writes the answer into the page.
The Worker serves the page for ordinary requests and upgrades the others. The cell drives a
headless Chromium when one is installed (`wsguide check` says), and skips otherwise.

To try it in your own browser instead: `srv = await serve(WithPage)`, open `srv.url`, and
`await srv.close()` afterwards.
"""
        ),
        code(
            '''
PAGE = """<!doctype html><meta charset="utf-8"><title>echo</title><pre id="out">connecting</pre>
<script>
const ws = new WebSocket(`ws://${location.host}/`);
ws.onopen = () => ws.send("hello from the browser");
ws.onmessage = (event) => {
  document.getElementById("out").textContent = "got: " + event.data;
  ws.close(1000);
};
</script>"""


class WithPage(FixedEcho):
    async def fetch(self, request):
        if (request.headers.get("Upgrade") or "").lower() != "websocket":
            return Response(PAGE, headers={"Content-Type": "text/html; charset=utf-8"})
        return await super().fetch(request)
'''
        ),
        code(
            """
if not browser_ready():
    print("no Chromium/playwright here: skipped")
else:
    from playwright.async_api import async_playwright

    async with serve(WithPage) as srv, async_playwright() as p:
        browser = await p.chromium.launch(executable_path=browser_path(), headless=True)
        page = await browser.new_page()
        await page.goto(srv.url, timeout=10_000)
        await page.wait_for_function("document.getElementById('out').textContent.startsWith('got')", timeout=10_000)
        print(await page.text_content("#out"))
        await browser.close()
""",
            "nbval-ignore-output",
        ),
    ]
    cells += footer(
        [
            "A WebSocket Worker: check `Upgrade`, make a pair, `accept()` your end, add listeners, return the other end with 101.",
            "Binary arrives as a `Blob` by default; echoing `event.data` sends `\"[object Blob]\"`. Set `binaryType = \"arraybuffer\"` or read the Blob.",
            "`WebSocket(url)` starts in `CONNECTING`; send after `open`; `close(code, reason)` ends it.",
            "Any WebSocket client (the `websockets` library, a browser) talks to the same Worker.",
        ],
        [
            "Change the echo: text comes back upper-cased, binary comes back unchanged. Check both with a `WebSocket(url)` client.",
            "Make the Worker number its answers per connection: `\"1: hello\"`, `\"2: again\"`. Open two clients: does each count from 1?",
        ],
        "[05 · fetch() with Upgrade](05-fetch-upgrade.ipynb): the other way for a Worker to open a WebSocket.",
        "04-the-101-response-and-a-client-solutions.ipynb",
    )
    write("04-the-101-response-and-a-client.ipynb", cells)

    sol = [
        md("# Solutions to 04 · The 101 response and a client"),
        code(
            """
from wsguide import Response, WebSocket, WebSocketPair, WorkerEntrypoint, serve
from wsguide.notebook import EventLog, next_event, stop_all
"""
        ),
        md("**Exercise 1.** `isinstance(event.data, str)` tells text from binary."),
        code(
            '''
class Shout(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()
        server.binaryType = "arraybuffer"

        def on_message(event):
            data = event.data
            server.send(data.upper() if isinstance(data, str) else data)

        server.addEventListener("message", on_message)
        return Response(None, status=101, web_socket=client)


async with serve(Shout) as srv:
    ws = WebSocket(srv.ws_url)
    ws.binaryType = "arraybuffer"
    await next_event(ws, "open")
    for message in ["quiet please", b"\\x01\\x02"]:
        ws.send(message)
        print(repr((await next_event(ws, "message")).data))
    ws.close(1000)
'''
        ),
        md("**Exercise 2.** `fetch` runs once per connection, so a counter made inside it belongs to that connection."),
        code(
            '''
class Numbered(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()
        count = 0

        def on_message(event):
            nonlocal count
            count += 1
            server.send(f"{count}: {event.data}")

        server.addEventListener("message", on_message)
        return Response(None, status=101, web_socket=client)


async with serve(Numbered) as srv:
    log = EventLog()
    a = log.watch(WebSocket(srv.ws_url), "a")
    b = log.watch(WebSocket(srv.ws_url), "b")
    await log.wait_for(2, type="open")
    a.send("hello")
    await log.wait_for(1, type="message", source="a")
    a.send("again")
    b.send("hello")
    await log.wait_for(3, type="message")
    a.close(1000)
    b.close(1000)
    await log.wait_for(2, type="close")
log.show(by_source=True)
'''
        ),
        code(PANIC),
    ]
    write("04-the-101-response-and-a-client-solutions.ipynb", sol, SOL)


# ---------------------------------------------------------------------------
# 05 fetch with Upgrade
# ---------------------------------------------------------------------------
def nb05():
    cells = [
        header(
            "05 · fetch() with Upgrade",
            ["How does a Worker open a WebSocket with `fetch()`?", "What does it get back when the server says no?"],
            [
                "Open a WebSocket with `fetch(url, headers={\"Upgrade\": \"websocket\"})`.",
                "Take the socket from `resp.web_socket` and `accept()` it before use.",
                "Handle a refused upgrade: an ordinary response, `web_socket` is `None`.",
            ],
            [("[04 · a client](04-the-101-response-and-a-client.ipynb)", "Necessary", "the echo server"),
             ("[01 · 426](01-upgrade-check.ipynb)", "Helpful", "what a refusal looks like")],
            10,
            10,
            "Writing a WebSocket client",
            "#writing-a-websocket-client",
        ),
        code(
            """
from wsguide import Response, WebSocketPair, WorkerEntrypoint, fetch, serve
from wsguide.errors import Error
from wsguide.notebook import EventLog, check_fetch_upgrade, stop_all, wire_tap
"""
        ),
        md("An echo server to connect to (notebook 04's, fixed for binary). This time it keeps running across cells; the last cells stop it."),
        code(ECHO_FIXED.replace("FixedEcho", "Echo")),
        code("srv = await serve(Echo)\nprint(srv.name, \"is serving\")"),
        md(
            """
## `fetch()` with `Upgrade: websocket`

Besides `WebSocket(url)`, a Worker can ask `fetch()` for a WebSocket. The URL is `http://` (or
`https://`), and the runtime writes the other handshake headers itself. In these cells the
notebook plays the Worker: inside a Worker's `fetch` you write exactly the same code (exercise 1
does).
"""
        ),
        code(
            """
resp = await fetch(srv.url, headers={"Upgrade": "websocket"})
print(resp.status, resp.status_text)
ws = resp.web_socket
print(ws)
"""
        ),
        md("### Self-check"),
        code("check_fetch_upgrade(resp)"),
        md("Like a pair end, this socket does nothing until accepted; sending first is an error (expected):"),
        raises('ws.send("hello")'),
        md("Accept, then use it like any WebSocket:"),
        code(
            """
log = EventLog(ws=ws)
ws.accept()
ws.send("hello through fetch")
await log.wait_for(type="message")
log.show()
"""
        ),
        code("check_fetch_upgrade(resp)"),
        code(
            """
ws.close(1000, "done")
await log.wait_for(type="close")
log.show()
"""
        ),
        md(
            """
## A helper that says no clearly

Code that needs a socket should check `resp.web_socket` and stop with a clear message when it is
missing:
"""
        ),
        code(
            '''
async def open_socket(url):
    """fetch() a WebSocket from url and accept it, or raise if the server refused."""
    resp = await fetch(url, headers={"Upgrade": "websocket"})
    ws = resp.web_socket
    if ws is None:
        raise Error(f"the server did not accept the WebSocket: HTTP {resp.status} {await resp.text()!r}")
    ws.accept()
    return ws
'''
        ),
        code(
            """
ws = await open_socket(srv.url)
log = EventLog(ws=ws)
ws.send("second connection")
await log.wait_for(type="message")
ws.close(1000)
await log.wait_for(type="close")
log.show()
"""
        ),
        md("## A refused upgrade\n\nA server that answers 426 (notebook 01's Worker). `fetch()` does not raise: it returns that answer."),
        code(
            '''
class Refuser(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("No WebSockets here.", status=426)


async with serve(Refuser) as refuser:
    refused = await fetch(refuser.url, headers={"Upgrade": "websocket"})
print(refused.status, "|", await refused.text(), "| web_socket:", refused.web_socket)
'''
        ),
        md("Our helper turns that into an error (expected):"),
        raises(
            """
async with serve(Refuser) as refuser:
    await open_socket(refuser.url)
"""
        ),
        md("`fetch()` wants `http://`/`https://` URLs even for WebSockets; `ws://` is refused (expected):"),
        raises('await fetch("ws://example.com/", headers={"Upgrade": "websocket"})'),
        md(
            """
## On the wire

Compare with notebook 04: `fetch()` does not offer compression unless you ask for it
(`Sec-WebSocket-Extensions` is missing from the request), so the frames are plain.
"""
        ),
        code(
            """
async with wire_tap(srv, client="fetch") as tap:
    ws = await open_socket(tap.url)
    log = EventLog(ws=ws)
    ws.send("hi")
    await log.wait_for(type="message")
    ws.close(1000)
    await log.wait_for(type="close")
    await tap.wait_closed()
tap.show()
"""
        ),
        code("tap.diagram()"),
        md("Stop the server started above:"),
        code("await srv.close()"),
    ]
    cells += footer(
        [
            "`fetch(http_url, headers={\"Upgrade\": \"websocket\"})` opens a WebSocket; a 101 puts it in `resp.web_socket`.",
            "Call `accept()` on it before sending or receiving.",
            "A refused upgrade is an ordinary response (its real status and body) with `web_socket` `None`; check for it.",
            "Use `http://`/`https://` URLs with `fetch()`, never `ws://`.",
        ],
        [
            "Build a Worker `Proxy` that, for each client, opens a socket to the echo server with `open_socket()` (start an `Echo` server of your own and pass its URL as `serve(Proxy, env={\"UPSTREAM\": echo.url})`; the Worker reads it as `self.env.UPSTREAM`) and relays text both ways.",
            "Ask `fetch()` for compression by adding `\"Sec-WebSocket-Extensions\": \"permessage-deflate\"` to the headers, and look at `ws.extensions`.",
        ],
        "[06 · Compression](06-compression.ipynb): what the guide calls experimental, and what it costs.",
        "05-fetch-upgrade-solutions.ipynb",
    )
    write("05-fetch-upgrade.ipynb", cells)

    sol = [
        md("# Solutions to 05 · fetch() with Upgrade"),
        code(
            """
from wsguide import Response, WebSocket, WebSocketPair, WorkerEntrypoint, fetch, serve
from wsguide.errors import Error
from wsguide.notebook import EventLog, check_compression, next_event, stop_all
"""
        ),
        code(ECHO_FIXED.replace("FixedEcho", "Echo")),
        code(
            '''
async def open_socket(url, headers=None):
    resp = await fetch(url, headers={"Upgrade": "websocket", **(headers or {})})
    ws = resp.web_socket
    if ws is None:
        raise Error(f"the server did not accept the WebSocket: HTTP {resp.status}")
    ws.accept()
    return ws
'''
        ),
        md("**Exercise 1.** The Worker is a server to its client and a client to the echo server."),
        code(
            '''
class Proxy(WorkerEntrypoint):
    async def fetch(self, request):
        upstream = await open_socket(self.env.UPSTREAM)
        client, server = WebSocketPair.new().object_values()
        server.accept()
        server.addEventListener("message", lambda event: upstream.send(event.data))
        upstream.addEventListener("message", lambda event: server.send(event.data))
        server.addEventListener("close", lambda event: upstream.close(1000))
        return Response(None, status=101, web_socket=client)


async with serve(Echo) as echo, serve(Proxy, env={"UPSTREAM": echo.url}) as proxy:
    ws = WebSocket(proxy.ws_url)
    await next_event(ws, "open")
    ws.send("through the proxy")
    print((await next_event(ws, "message")).data)
    ws.close(1000)
    await next_event(ws, "close")
'''
        ),
        md("**Exercise 2.**"),
        code(
            '''
async with serve(Echo) as echo:
    ws = await open_socket(echo.url, {"Sec-WebSocket-Extensions": "permessage-deflate"})
    print(ws.extensions)
    ws.close(1000)
check_compression(ws, True)
'''
        ),
        code(PANIC),
    ]
    write("05-fetch-upgrade-solutions.ipynb", sol, SOL)


# ---------------------------------------------------------------------------
# 06 compression
# ---------------------------------------------------------------------------
ECHO_FIXED_06 = ECHO_FIXED.replace("FixedEcho", "Echo").replace(
    "        return Response(None, status=101", ECHO_ANSWERS_CLOSE + "        return Response(None, status=101"
)


def nb06():
    cells = [
        header(
            "06 · Compression",
            ["Are my WebSocket messages compressed?", "When does compression help, and when does it cost?"],
            [
                "Relate the compatibility date and the `web_socket_compression` flags to what is negotiated.",
                "Read `Sec-WebSocket-Extensions` and `ws.extensions`.",
                "See compressed frames (RSV1) on the wire, and their sizes.",
                "Measure what compression saves on large text and costs on small messages.",
            ],
            [("[04 · a client](04-the-101-response-and-a-client.ipynb)", "Necessary", "the echo server, the wire tap"),
             ("Compatibility dates (wrangler config)", "Helpful", "")],
            15,
            10,
            "WebSocket compression",
            "#websocket-compression",
        ),
        code(
            """
import time

from wsguide import Compat, Response, WebSocket, WebSocketPair, WorkerEntrypoint, serve
from wsguide.notebook import check_compression, next_event, stop_all, wait_for_events, EventLog, wire_tap
"""
        ),
        code(ECHO_FIXED_06),
        md(
            """
## Compatibility dates and flags

Every Worker declares a `compatibility_date`. Behaviour changes are switched on for dates after
they shipped, and flags force one on or off. The guide describes compression as an experimental
flag you opt into. That is out of date: **since 2023-08-15 it is on by default**.
`no_web_socket_compression` turns it off.
"""
        ),
        code("print(Compat().describe())  # wsguide's default date, like a fresh project"),
        code(
            """
for date, flags in [("2023-08-14", []), ("2023-08-15", []), ("2023-08-14", ["web_socket_compression"]), ("2026-11-01", ["no_web_socket_compression"])]:
    print(f"{date} {str(flags):<30} compression on: {Compat(date, flags).web_socket_compression}")
"""
        ),
        md(
            """
## What is negotiated

The client offers `Sec-WebSocket-Extensions: permessage-deflate`; when compression is on, the
runtime accepts and says so in the 101 answer; when it is off, the runtime strips the offer.
`ws.extensions` shows the result.
"""
        ),
        code(
            '''
async def negotiated(**options):
    """Serve Echo with these options, connect, and return what was negotiated."""
    async with serve(Echo, **options) as srv:
        ws = WebSocket(srv.ws_url)
        await next_event(ws, "open")
        ws.close(1000)
        await next_event(ws, "close")
    return ws


default = await negotiated()
off = await negotiated(compatibility_flags=["no_web_socket_compression"])
old = await negotiated(compatibility_date="2023-01-01")
for label, ws in [("default date", default), ("no_web_socket_compression", off), ("date 2023-01-01", old)]:
    print(f"{label:<27} extensions = {ws.extensions!r}")
'''
        ),
        md("### Self-check"),
        code("check_compression(default, True)"),
        code("check_compression(off, False)"),
        md(
            """
## On the wire

The same message through a wire tap, with and without compression. A compressed frame has its
**RSV1** bit set; the tap inflates it so you can read it, and shows both sizes.
"""
        ),
        code(
            '''
async def through_tap(messages, **options):
    """Echo each message once through a wire tap; return the tap."""
    async with serve(Echo, **options) as srv, wire_tap(srv) as tap:
        ws = WebSocket(tap.ws_url)
        await next_event(ws, "open")
        for message in messages:
            ws.send(message)
            await next_event(ws, "message")
        ws.close(1000)
        await next_event(ws, "close")
        await tap.wait_closed()
    return tap


record = '{"user": "ada", "room": "lobby", "text": "hello everyone, hello again"}'
on = await through_tap([record, record])
on.show()
'''
        ),
        md("Sent twice, the record shrinks even more the second time: both sides keep their compression context between messages. Without compression:"),
        code(
            """
off_tap = await through_tap([record, record], compatibility_flags=["no_web_socket_compression"])
off_tap.show()
"""
        ),
        code("on.diagram()"),
        md(
            """
## Bytes on the wire by message size

Client→Worker frames (each carries a 4-byte mask too), one fresh connection per message so no
earlier message helps the compressor. zlib gives the same sizes on every run.
"""
        ),
        code(
            '''
import random

samples = {
    "2 B text": "hi",
    "11 B text": "hello world",
    "80 B record": record,
    "2 KiB record list": "[" + ",".join([record] * 28) + "]",
    "2 KiB random bytes": random.Random(2023).randbytes(2048),
}
print(f"{'message':<22}{'plain':>8}{'compressed':>12}")
for name, message in samples.items():
    plain = (await through_tap([message], compatibility_flags=["no_web_socket_compression"])).frames("c2s")[0]
    packed = (await through_tap([message])).frames("c2s")[0]
    print(f"{name:<22}{plain.wire_size:>7} B{packed.wire_size:>10} B")
'''
        ),
        md(
            """
Tiny messages get *bigger*, and data with no repetition (the last row) gains nothing, while
repetitive text shrinks a lot (and, as above, repeats of earlier messages shrink even more).

## What it costs in time

Bytes are only half the story: compressing and inflating takes CPU time on both sides. This cell
measures echo round trips here, on loopback (your figures will differ, so nbval does not compare
this cell's output). On loopback the network is free, so compression can only cost time; over a
slow network, the bytes saved on large repetitive messages can win that back.
"""
        ),
        code(
            '''
async def echo_rate(message, count, **options):
    """Send count messages, wait for every echo; return messages per second."""
    async with serve(Echo, **options) as srv:
        ws = WebSocket(srv.ws_url)
        log = EventLog(client=ws)
        await log.wait_for(type="open")
        start = time.perf_counter()
        for _ in range(count):
            ws.send(message)
        await wait_for_events(log, count + 1, type=None, timeout=20)
        elapsed = time.perf_counter() - start
        ws.close(1000)
        await next_event(ws, "close")
    return count / elapsed


big = "[" + ",".join([record] * 200) + "]"  # about 16 KiB of repetitive text
for label, message, count in [("16 B messages", "x" * 16, 2000), ("16 KiB text", big, 200)]:
    with_c = await echo_rate(message, count)
    without = await echo_rate(message, count, compatibility_flags=["no_web_socket_compression"])
    print(f"{label:<14} compressed {with_c:8.0f} msg/s   plain {without:8.0f} msg/s   ratio {with_c / without:.2f}")
''',
            "nbval-ignore-output",
        ),
    ]
    cells += footer(
        [
            "Compression (`permessage-deflate`) is on by default for compatibility dates from 2023-08-15; `no_web_socket_compression` turns it off.",
            "`ws.extensions` (and `Sec-WebSocket-Extensions` in the 101 answer) show what was negotiated; compressed frames have RSV1 set.",
            "Small or random messages gain nothing or grow; large repetitive text shrinks a lot, and repeats shrink further.",
            "Compression always costs CPU time; it pays only when bytes on the network are the bottleneck.",
        ],
        [
            "For messages `\"hello \" * n`, find the smallest n for which the compressed frame is smaller than the plain one (one fresh connection per message).",
            "Open a socket with `fetch()` and ask for compression (`Sec-WebSocket-Extensions: permessage-deflate`), through a wire tap. Are the fetch client's frames compressed?",
        ],
        "That completes the guide's WebSocket basics. The guide ends with Durable Objects as the coordination point of a chat room: the next notebooks build one.",
        "06-compression-solutions.ipynb",
    )
    write("06-compression.ipynb", cells)

    sol = [
        md("# Solutions to 06 · Compression"),
        code(
            """
from wsguide import Response, WebSocket, WebSocketPair, WorkerEntrypoint, fetch, serve
from wsguide.notebook import EventLog, next_event, stop_all, wire_tap
"""
        ),
        code(ECHO_FIXED_06),
        code(
            '''
async def client_frame_sizes(messages, **options):
    async with serve(Echo, **options) as srv, wire_tap(srv) as tap:
        ws = WebSocket(tap.ws_url)
        await next_event(ws, "open")
        for message in messages:
            ws.send(message)
            await next_event(ws, "message")
        ws.close(1000)
        await next_event(ws, "close")
        await tap.wait_closed()
    return [f.wire_size for f in tap.frames("c2s") if f.opcode == 1]


record = '{"user": "ada", "room": "lobby", "text": "hello everyone, hello again"}'
'''
        ),
        md("**Exercise 1.** One fresh connection per size, so earlier messages do not help the compressor."),
        code(
            '''
for n in range(1, 20):
    message = "hello " * n
    (plain,) = await client_frame_sizes([message], compatibility_flags=["no_web_socket_compression"])
    (packed,) = await client_frame_sizes([message])
    print(f"n={n}: plain {plain} B, compressed {packed} B")
    if packed < plain:
        print("smallest n that gains:", n)
        break
'''
        ),
        md("**Exercise 2.** Yes: when `fetch()` asks, it is negotiated and the client's frames have RSV1 set."),
        code(
            '''
async with serve(Echo) as srv, wire_tap(srv) as tap:
    resp = await fetch(tap.url, headers={"Upgrade": "websocket", "Sec-WebSocket-Extensions": "permessage-deflate"})
    ws = resp.web_socket
    ws.accept()
    log = EventLog(ws=ws)
    ws.send(record)
    await log.wait_for(type="message")
    ws.close(1000)
    await log.wait_for(type="close")
    await tap.wait_closed()
print(ws.extensions)
print([f.rsv1 for f in tap.frames("c2s") if f.opcode == 1])
'''
        ),
        code(PANIC),
    ]
    write("06-compression-solutions.ipynb", sol, SOL)


# ---------------------------------------------------------------------------
# 99 appendix: "This event loop is already running"
# ---------------------------------------------------------------------------
SCRIPT_99 = '''
import asyncio

from websockets.asyncio.client import connect

from wsguide import Response, WebSocketPair, WorkerEntrypoint, serve


class Echo(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair()
        server.accept()
        server.addEventListener("message", lambda event: server.send(event.data))
        return Response(None, status=101, web_socket=client)


async def main():
    async with serve(Echo, echo_log=False) as srv:
        async with connect(srv.ws_url, proxy=None) as ws:
            await ws.send("hello from a script")
            print(await asyncio.wait_for(ws.recv(), 5))


asyncio.run(main())  # right in a script: nothing else runs an event loop there
'''

RUN_SCRIPT_99 = '''
import subprocess
import sys
import tempfile
from pathlib import Path


def run_script(source):
    """Run `source` as a script with this kernel's Python; return what it printed."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "script.py"
        script.write_text(source)
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    return done.stdout.strip() or done.stderr
'''


def nb99():
    cells = [
        header(
            '99 · Appendix: "This event loop is already running"',
            [
                "Why does `asyncio.run()` fail in a notebook?",
                "Why do these notebooks never patch asyncio, and when would a patch be right?",
            ],
            [
                "Recognise the two error messages and what they mean.",
                "Use top-level `await` in notebooks and `asyncio.run()` in scripts.",
                "Know when an event-loop patch is still the right tool, and what it costs.",
            ],
            [("Coroutines and `await`", "Necessary", "[00](00-setup-check.ipynb) shows the basics")],
            10,
            5,
            "",
        ),
        code("import asyncio\n\nfrom wsguide.notebook import stop_all\n\n\nasync def answer():\n    return 42"),
        md(
            """
## Two messages you will meet on the web

Search for asyncio and Jupyter and you find these two errors, and a lot of advice to silence them:

- `RuntimeError: asyncio.run() cannot be called from a running event loop`
- `RuntimeError: This event loop is already running` (from `loop.run_until_complete()`)

Both say the same thing: **an event loop is already running here**. In JupyterLab that loop is the
kernel's own, and every cell already runs inside it. The first message (expected error):
"""
        ),
        raises(
            """
coro = answer()
try:
    asyncio.run(coro)
finally:
    coro.close()  # the coroutine never ran; close it so Python does not warn
"""
        ),
        md("The second message (expected error): asking the running loop to run something else to completion."),
        raises(
            """
coro = answer()
try:
    asyncio.get_running_loop().run_until_complete(coro)
finally:
    coro.close()
"""
        ),
        md(
            """
## The fix in a notebook: just `await`

IPython (since 7.0) lets a cell `await` directly: the cell becomes a coroutine that the kernel's
loop runs. Nothing needs patching.
"""
        ),
        code("await answer()"),
        md(
            """
## The fix in a script: `asyncio.run()` once, at the bottom

A plain Python script has no loop until you start one. Here is the echo server of the notebooks as
a script; the next cells write it to a temporary file and run it with this kernel's Python.
"""
        ),
        code("SCRIPT = '''" + SCRIPT_99 + "'''"),
        code(RUN_SCRIPT_99.strip("\n") + "\n\n\nprint(run_script(SCRIPT))"),
        md(
            """
## When is an event-loop patch the right tool?

The advice you will find is to "nest" event loops with a small package (`nest-asyncio`, or its
maintained fork `nest-asyncio2`) and call its `apply()` before `asyncio.run()`. It makes a running
loop re-entrant. In these notebooks that is the wrong tool:

- the original `nest-asyncio` is no longer maintained, and with ipykernel 7 it can wedge the
  kernel under **Run All** (the cells after it never run);
- the patch changes asyncio for the whole process, so every library in the kernel is affected;
- top-level `await` does the same job with no patch at all.

It is still the right tool where you **cannot** `await` at the top level and cannot change that:
a very old Jupyter (IPython before 7), some IDE consoles, or a library that calls `asyncio.run()`
inside a function you must call from a cell. Then install the maintained fork, apply it once, as
late as possible, and expect Run All to need care. `wsguide check` tells you when asyncio has been
patched in the running kernel:
"""
        ),
        code("from wsguide import check\n\nprint(check.check_asyncio_not_patched().line())"),
    ]
    cells[0].source = cells[0].source.replace(
        "none yet: this notebook prepares your machine", "none: an appendix about Python's event loop, for every notebook"
    )
    cells += footer(
        [
            "Both errors mean an event loop is already running: in a notebook, the kernel's.",
            "In a notebook, `await` directly in the cell; in a script, call `asyncio.run(main())` once.",
            "An event-loop patch is for places that cannot await at top level; it is process-wide and can break Run All.",
        ],
        [
            "Change `SCRIPT` so the Worker answers every message in upper case, and run it again with `run_script`.",
        ],
        "Back to [07 · A chat room on a Durable Object](07-durable-object-chat-room.ipynb), or any notebook you skipped.",
        "99-appendix-event-loop-solutions.ipynb",
    )
    write("99-appendix-event-loop.ipynb", cells)

    sol = [
        md('# Solutions to 99 · Appendix: "This event loop is already running"'),
        code("SCRIPT = '''" + SCRIPT_99 + "'''"),
        code(RUN_SCRIPT_99.strip("\n") + "\n\nfrom wsguide.notebook import stop_all"),
        md("**Exercise 1.** Make the listener send `event.data.upper()`."),
        code('upper = SCRIPT.replace("server.send(event.data)", "server.send(event.data.upper())")\nprint(run_script(upper))'),
        code(PANIC),
    ]
    write("99-appendix-event-loop-solutions.ipynb", sol, SOL)


BUILDERS = {"00": nb00, "01": nb01, "02": nb02, "03": nb03, "04": nb04, "05": nb05, "06": nb06, "99": nb99}

def execute(paths: list[Path]) -> None:
    jupyter = Path(sys.executable).with_name("jupyter")
    for path in paths:
        subprocess.run(
            [str(jupyter), "nbconvert", "--to", "notebook", "--execute", "--inplace",
             "--ExecutePreprocessor.record_timing=False", str(path)],
            check=True,
        )


if __name__ == "__main__":
    args = sys.argv[1:]
    run = "--no-execute" not in args
    wanted = [a for a in args if not a.startswith("--")] or list(BUILDERS)
    for key in wanted:
        BUILDERS[key]()
        print("wrote", key)
    if run:
        execute(
            [p for key in wanted for p in sorted(NOTEBOOKS.glob(f"{key}-*.ipynb")) + sorted(SOL.glob(f"{key}-*.ipynb"))]
        )

"""JavaScript classes seen from Python: WebSocketPair, WebSocketRequestResponsePair, Response,
Headers, and what `workers` exports."""

from __future__ import annotations

from ._registry import scenario

# A helper the probe Workers share (plain Python, pasted into their source): what calling
# fn() does, as one line of text.
SHOW = '''
def show(label, fn):
    try:
        value = fn()
    except BaseException as exc:
        kind = type(exc)
        line = f"{label}: raised {kind.__module__}.{kind.__qualname__}: {exc}"
        if kind.__name__ == "JsException":
            line += f" [name={exc.name!r}, message={exc.message!r}]"
        return line
    return f"{label}: {value!r}"
'''


def probe(imports: str, body: str) -> str:
    """A Worker that answers every request with the lines its body appends to `lines`."""
    indented = "\n".join("        " + line if line else "" for line in body.strip("\n").splitlines())
    return (
        imports.strip("\n")
        + "\n"
        + SHOW
        + f'''

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        lines = []
{indented}
        return Response("\\n".join(lines))
'''
    )


async def get_root(t):
    await t.fetch("/")


NEW_RULE = "a JavaScript class is constructed with .new(...); calling it is a JsException"

scenario(
    "pair_without_new",
    rule=NEW_RULE,
    shows="failure",
    worker=probe(
        "from workers import Response, WorkerEntrypoint\nfrom js import WebSocketPair",
        'lines.append(show("WebSocketPair()", lambda: WebSocketPair()))',
    ),
)(get_root)


PAIR_RULE = "a WebSocketPair is iterable (client, server = pair, or .object_values()); it is not subscriptable"


@scenario(
    "pair_new_unpack",
    rule=PAIR_RULE,
    shows="success",
    worker='''
from workers import Response, WorkerEntrypoint
from js import WebSocketPair
from pyodide.ffi import create_proxy


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new()
        server.accept()
        server.addEventListener("message", create_proxy(lambda event: server.send("echo:" + event.data)))
        return Response(None, status=101, web_socket=client)
''',
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.recv()
    await ws.close(1000, "done")


scenario(
    "pair_subscript",
    rule=PAIR_RULE,
    shows="failure",
    worker=probe(
        "from workers import Response, WorkerEntrypoint\nfrom js import Object, WebSocketPair",
        """
pair = WebSocketPair.new()
lines.append(show("pair[0]", lambda: pair[0]))
lines.append(show("getattr(pair, '0')", lambda: getattr(pair, "0")))
lines.append(show("len(pair.object_values())", lambda: len(pair.object_values())))
lines.append(show("type(pair.object_values()).__name__", lambda: type(pair.object_values()).__name__))
lines.append(show("list(Object.keys(pair))", lambda: list(Object.keys(pair))))
lines.append(show("type(pair).__name__", lambda: type(pair).__name__))
client, server = pair
lines.append(show("client == getattr(pair, '0')", lambda: client == getattr(pair, "0")))
lines.append(show("client is getattr(pair, '0')", lambda: client is getattr(pair, "0")))
lines.append(show("repr(server)", lambda: repr(server)))
lines.append(show("type(server).__name__", lambda: type(server).__name__))
""",
    ),
)(get_root)


scenario(
    "request_response_pair_without_new",
    rule=NEW_RULE,
    shows="failure",
    worker=probe(
        "from workers import Response, WorkerEntrypoint\nfrom js import WebSocketRequestResponsePair",
        """
lines.append(show('WebSocketRequestResponsePair("ping", "pong")', lambda: WebSocketRequestResponsePair("ping", "pong")))
pair = WebSocketRequestResponsePair.new("ping", "pong")
lines.append(show(".new(...).request", lambda: pair.request))
lines.append(show(".new(...).response", lambda: pair.response))
""",
    ),
)(get_root)


@scenario(
    "request_response_pair_new",
    rule=NEW_RULE,
    shows="success",
    worker='''
from workers import DurableObject, Response, WorkerEntrypoint
from js import WebSocketPair, WebSocketRequestResponsePair


class Room(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair.new("ping", "pong"))

    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        ws.send("room heard:" + message)

    async def webSocketClose(self, ws, code, reason, was_clean):
        ws.close(code, reason)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await self.env.ROOMS.getByName("auto").fetch(request)


DURABLE_OBJECTS = {"ROOMS": Room}
''',
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("ping")
    await ws.recv()
    await ws.send("hello")
    await ws.recv()
    await ws.close(1000, "done")


EXPORTS_RULE = "`workers` exports what the SDK exports, nothing more: WebSocketPair and WebSocketRequestResponsePair come from js"


@scenario(
    "request_response_pair_from_workers",
    rule=EXPORTS_RULE,
    shows="failure",
    worker='''
from workers import Response, WebSocketRequestResponsePair, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("never reached")
''',
)
async def _(t):
    pass  # the module does not import: the transcript's load_error says why


scenario(
    "workers_exports",
    rule=EXPORTS_RULE,
    shows="success",
    worker=probe(
        "import workers\nfrom workers import Response, WorkerEntrypoint\nfrom js import WebSocketPair, WebSocketRequestResponsePair",
        """
lines.append(show("sorted(workers.__all__)", lambda: sorted(workers.__all__)))
lines.append(show("WebSocketPair (from js)", lambda: repr(WebSocketPair)))
lines.append(show("WebSocketRequestResponsePair (from js)", lambda: repr(WebSocketRequestResponsePair)))
lines.append(show("hasattr(workers, 'WebSocketPair')", lambda: hasattr(workers, "WebSocketPair")))
""",
    ),
)(get_root)


JS_RESPONSE_RULE = "js.Response is the JavaScript class: Response.new(body, status=..., webSocket=...), camelCase"

scenario(
    "js_response_without_new",
    rule=JS_RESPONSE_RULE,
    shows="failure",
    worker=probe(
        "import js\nfrom workers import Response, WorkerEntrypoint\nfrom js import WebSocketPair",
        """
client, server = WebSocketPair.new().object_values()
lines.append(show("js.Response(None, status=101, webSocket=client)", lambda: js.Response(None, status=101, webSocket=client)))
lines.append(show('js.Response("hi")', lambda: js.Response("hi")))
""",
    ),
)(get_root)


@scenario(
    "js_response_new_101",
    rule=JS_RESPONSE_RULE,
    shows="success",
    worker='''
import js
from workers import WorkerEntrypoint
from js import WebSocketPair
from pyodide.ffi import create_proxy


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()
        server.addEventListener("message", create_proxy(lambda event: server.send("echo:" + event.data)))
        return js.Response.new(None, status=101, webSocket=client)
''',
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.recv()
    await ws.close(1000, "done")


WORKERS_RESPONSE_RULE = "workers.Response takes the SDK's keywords: web_socket=, status_text=, headers="

scenario(
    "workers_response_camel_case",
    rule=WORKERS_RESPONSE_RULE,
    shows="failure",
    worker=probe(
        "from workers import Response, WorkerEntrypoint\nfrom js import WebSocketPair",
        """
client, server = WebSocketPair.new().object_values()
lines.append(show("Response(None, status=101, webSocket=client)", lambda: Response(None, status=101, webSocket=client)))
lines.append(show('Response("x", statusText="OK")', lambda: Response("x", statusText="OK")))
lines.append(show("Response(None, status=101)", lambda: Response(None, status=101)))
lines.append(show("Response({'a': 1})", lambda: Response({"a": 1})))
""",
    ),
)(get_root)


@scenario(
    "workers_response_keywords",
    rule=WORKERS_RESPONSE_RULE,
    shows="success",
    worker='''
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("short and stout", status=418, status_text="I'm a teapot", headers={"X-Kind": "teapot"})
''',
)
async def _(t):
    response = await t.fetch("/", record_headers=("content-type", "x-kind"))
    t.note("reason phrase", response.reason_phrase)


@scenario(
    "response_101_without_socket",
    rule=WORKERS_RESPONSE_RULE,
    shows="failure",
    worker='''
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(None, status=101)
''',
)
async def _(t):
    await t.websocket("/")


HEADERS_RULE = "workers.Headers is a type alias, not a class: give headers as a dict (or js.Headers.new(...))"

scenario(
    "workers_headers_call",
    rule=HEADERS_RULE,
    shows="failure",
    worker=probe(
        "import js\nfrom workers import Headers, Response, WorkerEntrypoint",
        """
lines.append(show('Headers({"X-A": "1"})', lambda: Headers({"X-A": "1"})))
lines.append(show("type(Headers).__name__", lambda: type(Headers).__name__))
lines.append(show('js.Headers.new({"X-A": "1"}.items()).get("x-a")', lambda: js.Headers.new({"X-A": "1"}.items()).get("x-a")))
""",
    ),
)(get_root)


@scenario(
    "response_headers_forms",
    rule=HEADERS_RULE,
    shows="success",
    worker='''
import js
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/list"):
            return Response("list", headers=[("X-Form", "list of pairs")])
        if request.url.endswith("/js"):
            return Response("js", headers=js.Headers.new([["X-Form", "js.Headers"]]))
        return Response("dict", headers={"X-Form": "dict"})
''',
)
async def _(t):
    for path in ("/dict", "/list", "/js"):
        await t.fetch(path, record_headers=("x-form",))


REQUEST_RULE = (
    "the SDK's Request: url a str, method an HTTPMethod (== 'GET'), headers an http.client.HTTPMessage "
    "(case-insensitive .get); it has no .path (parse request.url)"
)

@scenario(
    "request_properties",
    rule=REQUEST_RULE,
    shows="success",
    worker=probe(
        "from workers import Response, WorkerEntrypoint",
        """
lines.append(show("type(request).__name__", lambda: type(request).__name__))
lines.append(show("request.url", lambda: request.url))
lines.append(show("request.method", lambda: request.method))
lines.append(show('request.method == "GET"', lambda: request.method == "GET"))
lines.append(show('request.headers.get("X-Probe")', lambda: request.headers.get("X-Probe")))
lines.append(show('request.headers.get("x-probe")', lambda: request.headers.get("x-probe")))
lines.append(show('request.headers["X-Missing"]', lambda: request.headers["X-Missing"]))
lines.append(show("type(request.headers).__name__", lambda: type(request.headers).__name__))
lines.append(show("urlsplit(request.url).path", lambda: urlsplit(request.url).path))
""",
    ).replace("from workers import", "from urllib.parse import urlsplit\nfrom workers import"),
)
async def _(t):
    await t.fetch("/some/path?q=1", headers={"X-Probe": "yes"})


scenario(
    "request_wsguide_helpers",
    rule=REQUEST_RULE,
    shows="failure",
    worker=probe(
        "from workers import Response, WorkerEntrypoint",
        """
lines.append(show("request.path", lambda: request.path))
lines.append(show("request.query", lambda: request.query))
""",
    ),
)(get_root)

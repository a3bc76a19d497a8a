"""Durable Objects from Python: hibernation hooks, tags, socket identity, storage, SQL, RPC."""

from __future__ import annotations

from ._registry import scenario
from .listeners import UNCAUGHT_RULE

# Every Durable Object scenario is reached the same way: Default forwards to one named object.
GATEWAY = '''

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await self.env.ROOMS.getByName("room").fetch(request)


DURABLE_OBJECTS = {"ROOMS": Room}
'''


def room(body: str, imports: str = "") -> str:
    head = "from workers import DurableObject, Response, WorkerEntrypoint\nfrom js import WebSocketPair\n"
    return head + imports + "\n\n" + body.strip("\n") + "\n" + GATEWAY


MESSAGE_RULE = (
    "webSocketMessage(ws, message) gets a str for text and a JsProxy of an ArrayBuffer for binary "
    "(not bytes: .to_bytes())"
)


@scenario(
    "hibernation_message_types",
    rule=MESSAGE_RULE,
    shows="success",
    worker=room('''
class Room(DurableObject):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        if isinstance(message, str):
            ws.send(f"text: {type(message).__name__} {message!r}")
        else:
            ws.send(f"binary: {type(message).__name__} constructor={message.constructor.name} to_bytes()={message.to_bytes()!r}")

    async def webSocketClose(self, ws, code, reason, was_clean):
        print("webSocketClose:", code, repr(reason), was_clean, type(ws).__name__)
        ws.close(code, reason)
'''),
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.recv()
    await ws.send(b"\x00\xff")
    await ws.recv()
    await ws.close(1000, "done")
    await t.wait_log("webSocketClose:")


@scenario(
    "hibernation_binary_is_not_bytes",
    rule=MESSAGE_RULE,
    shows="failure",
    worker=room('''
class Room(DurableObject):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        checks = [
            f"isinstance(message, bytes): {isinstance(message, bytes)}",
            f"isinstance(message, str): {isinstance(message, str)}",
        ]
        try:
            checks.append(f"message.decode(): {message.decode()!r}")
        except Exception as exc:
            checks.append(f"message.decode(): raised {type(exc).__module__}.{type(exc).__qualname__}: {exc}")
        try:
            checks.append(f"bytes(message): {bytes(message)!r}")
        except Exception as exc:
            checks.append(f"bytes(message): raised {type(exc).__module__}.{type(exc).__qualname__}: {exc}")
        ws.send("; ".join(checks))

    async def webSocketClose(self, ws, code, reason, was_clean):
        ws.close(code, reason)
'''),
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send(b"hi")
    await ws.recv()
    await ws.close(1000, "done")


TAGS_RULE = "acceptWebSocket(ws, tags) needs a JS array: to_js([...]); a Python list is refused"


@scenario(
    "accept_tags_python_list",
    rule=TAGS_RULE,
    shows="failure",
    worker=room('''
class Room(DurableObject):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server, ["member", "name:ada"])
        return Response(None, status=101, web_socket=client)
'''),
)
async def _(t):
    await t.websocket("/")


@scenario(
    "accept_tags_to_js",
    rule=TAGS_RULE,
    shows="success",
    worker=room('''
class Room(DurableObject):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server, to_js(["member", "name:ada"]))
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        tags = self.ctx.getTags(ws)
        members = self.ctx.getWebSockets("member")
        ws.send(f"getTags: {type(tags).__name__} {list(tags)!r}; getWebSockets('member'): {len(members)}")

    async def webSocketClose(self, ws, code, reason, was_clean):
        ws.close(code, reason)
''', imports="from pyodide.ffi import to_js\n"),
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("tags?")
    await ws.recv()
    await ws.close(1000, "done")


IDENTITY_RULE = (
    "the same JS socket reached twice is two proxies: `is` is False, `==` is True; skip the sender with "
    "== (a broadcast that skips with `is` echoes to the sender)"
)

BROADCAST = room('''
class Room(DurableObject):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        for peer in self.ctx.getWebSockets():
            if peer {compare} ws:
                continue
            peer.send(message)

    async def webSocketClose(self, ws, code, reason, was_clean):
        ws.close(code, reason)
''')


async def two_members(t):
    ada = await t.websocket("/", label="ada")
    bob = await t.websocket("/", label="bob")
    await ada.send("hi from ada")
    await bob.recv()
    await bob.send("hi from bob")
    await ada.recv()  # "hi from ada" first if the room echoed it back to her
    await ada.close(1000, "done")
    await bob.close(1000, "done")


scenario("broadcast_skip_sender_with_is", rule=IDENTITY_RULE, shows="failure", worker=BROADCAST.replace("{compare}", "is"))(two_members)
scenario("broadcast_skip_sender_with_eq", rule=IDENTITY_RULE, shows="success", worker=BROADCAST.replace("{compare}", "=="))(two_members)


@scenario(
    "socket_identity",
    rule=IDENTITY_RULE,
    shows="failure",
    worker=room('''
class Room(DurableObject):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        sockets = self.ctx.getWebSockets()
        first = sockets[0]
        checks = {
            "type(getWebSockets())": lambda: type(sockets).__name__,
            "len(getWebSockets())": lambda: len(sockets),
            "first is ws": lambda: first is ws,
            "first == ws": lambda: first == ws,
            "ws in getWebSockets()": lambda: ws in sockets,
            "getWebSockets().includes(ws)": lambda: sockets.includes(ws),
            "id(first) == id(ws)": lambda: id(first) == id(ws),
            "{ws: 1} (a dict keyed by socket)": lambda: {ws: 1},
            "ws in {first} (a set)": lambda: ws in {first},
        }
        lines = []
        for label, check in checks.items():
            try:
                lines.append(f"{label}: {check()!r}")
            except Exception as exc:
                lines.append(f"{label}: raised {type(exc).__module__}.{type(exc).__qualname__}: {exc}")
        ws.send("\\n".join(lines))

    async def webSocketClose(self, ws, code, reason, was_clean):
        ws.close(code, reason)
'''),
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("who am I?")
    await ws.recv()
    await ws.close(1000, "done")


HOOK_RULE = "a Durable Object that accepts hibernatable sockets defines webSocketClose: the runtime calls it whether or not it exists"


@scenario(
    "hibernation_close_hook",
    rule=HOOK_RULE,
    shows="success",
    worker=room('''
class Room(DurableObject):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        ws.send("heard:" + message)

    async def webSocketClose(self, ws, code, reason, was_clean):
        print("webSocketClose:", code, reason, was_clean)
        ws.close(code, "bye")
'''),
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.recv()
    await ws.close(1000, "done")
    await t.wait_log("webSocketClose:")


@scenario(
    "hibernation_missing_hook",
    rule=HOOK_RULE,
    shows="failure",
    worker=room('''
class Room(DurableObject):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        ws.send("heard:" + message)
'''),
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.recv()
    await ws.send_close(1000, "done")
    await t.wait_log("webSocketClose")


@scenario(
    "hibernation_hook_raises",
    rule=UNCAUGHT_RULE,
    shows="failure",
    worker=room('''
class Room(DurableObject):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        if message == "boom":
            raise ValueError("boom from webSocketMessage")
        ws.send("heard:" + message)

    async def webSocketClose(self, ws, code, reason, was_clean):
        ws.close(code, reason)
'''),
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("boom")
    await ws.send("hello")
    await ws.recv()
    await ws.close(1000, "done")


STORAGE_RULE = (
    "ctx.storage goes through the SDK's _BindingWrapper: Python dict/list/None in (converted like RPC), "
    "JsDict/list/None out; tuples and other Python objects are refused"
)


@scenario(
    "storage_kv_values",
    rule=STORAGE_RULE,
    shows="success",
    worker=room('''
class Room(DurableObject):
    async def fetch(self, request):
        storage = self.ctx.storage
        lines = [f"type(ctx).__name__: {type(self.ctx).__name__}", f"type(ctx.storage).__name__: {type(storage).__name__}"]

        async def show(label, make):
            try:
                value = await make()
            except Exception as exc:
                lines.append(f"{label}: raised {type(exc).__module__}.{type(exc).__qualname__}: {exc}")
            else:
                lines.append(f"{label}: {value!r} ({type(value).__name__})")
            return None

        await show('put("dict", {...})', lambda: storage.put("dict", {"name": "Ada", "n": None, "tags": ["a"]}))
        await show('get("dict")', lambda: storage.get("dict"))
        value = await storage.get("dict")
        lines.append(f'get("dict").name: {value.name!r}; ["tags"]: {value["tags"]!r}')
        await show('put("list", [1, None, "x"])', lambda: storage.put("list", [1, None, "x"]))
        await show('get("list")', lambda: storage.get("list"))
        await show('put("none", None)', lambda: storage.put("none", None))
        await show('get("none")', lambda: storage.get("none"))
        await show('get("missing")', lambda: storage.get("missing"))
        await show("list()", lambda: storage.list())
        await show('get(["dict", "list"])', lambda: storage.get(["dict", "list"]))
        await show('delete("dict")', lambda: storage.delete("dict"))
        await show('delete("dict") again', lambda: storage.delete("dict"))
        await show("deleteAll()", lambda: storage.deleteAll())
        return Response("\\n".join(lines))
'''),
)
async def _(t):
    await t.fetch("/")


@scenario(
    "storage_refused_values",
    rule=STORAGE_RULE,
    shows="failure",
    worker=room('''
class Point:
    pass


class Room(DurableObject):
    async def fetch(self, request):
        storage = self.ctx.storage
        lines = []
        for label, value in [("(1, 2)", (1, 2)), ("{1, 2}", {1, 2}), ("b'raw'", b"raw"), ("Point()", Point())]:
            try:
                await storage.put("key", value)
                back = await storage.get("key")
                lines.append(f"put({label}): stored; get: {back!r} ({type(back).__name__})")
            except Exception as exc:
                lines.append(f"put({label}): raised {type(exc).__module__}.{type(exc).__qualname__}: {exc}")
        return Response("\\n".join(lines))
'''),
)
async def _(t):
    await t.fetch("/")


SQL_RULE = (
    "ctx.storage.sql.exec(...) through the SDK wrapper: .toArray() a list of JsDict, .one() a JsDict, "
    "iteration works; SQL errors and .one() without exactly one row are JsException"
)


@scenario(
    "storage_sql",
    rule=SQL_RULE,
    shows="success",
    worker=room('''
class Room(DurableObject):
    async def fetch(self, request):
        sql = self.ctx.storage.sql
        lines = [f"type(sql).__name__: {type(sql).__name__}"]
        sql.exec("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, who TEXT, text TEXT)")
        sql.exec("DELETE FROM notes")
        sql.exec("INSERT INTO notes (who, text) VALUES (?, ?)", "Ada", "first")
        sql.exec("INSERT INTO notes (who, text) VALUES (?, ?)", "Bob", None)
        cursor = sql.exec("SELECT who, text FROM notes ORDER BY id")
        lines.append(f"type(cursor).__name__: {type(cursor).__name__}")
        rows = cursor.toArray()
        lines.append(f"toArray(): {rows!r} ({type(rows).__name__} of {type(rows[0]).__name__})")
        lines.append(f"rows[0].who: {rows[0].who!r}")
        one = sql.exec("SELECT count(*) AS n FROM notes").one()
        lines.append(f"one(): {one!r} ({type(one).__name__})")
        lines.append("iteration: " + repr([row for row in sql.exec("SELECT who FROM notes ORDER BY id")]))
        cursor = sql.exec("SELECT who FROM notes")
        lines.append(f"columnNames: {cursor.columnNames!r}")
        lines.append(f"rowsRead: {cursor.rowsRead!r}")
        return Response("\\n".join(lines))
'''),
)
async def _(t):
    await t.fetch("/")


@scenario(
    "storage_sql_errors",
    rule=SQL_RULE,
    shows="failure",
    worker=room('''
class Room(DurableObject):
    async def fetch(self, request):
        sql = self.ctx.storage.sql
        sql.exec("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, who TEXT)")
        lines = []
        for label, run in [
            ("one() on no rows", lambda: sql.exec("SELECT who FROM notes WHERE id = -1").one()),
            ("a missing column", lambda: sql.exec("SELECT nope FROM notes")),
            ("a tuple as a parameter", lambda: sql.exec("SELECT ?", (1, 2))),
            ("json.dumps(toArray())", lambda: __import__("json").dumps(sql.exec("SELECT 1 AS one").toArray())),
        ]:
            try:
                lines.append(f"{label}: {run()!r}")
            except Exception as exc:
                lines.append(f"{label}: raised {type(exc).__module__}.{type(exc).__qualname__}: {exc}")
        return Response("\\n".join(lines))
'''),
)
async def _(t):
    await t.fetch("/")


RPC_RULE = "RPC to a Durable Object stub converts like the SDK does: dict/list/None cross, results come back as JsDict/list/None"

RPC = '''
from workers import DurableObject, Response, WorkerEntrypoint


class Counter(DurableObject):
    def echo(self, value):
        return {"got": value, "type": type(value).__name__}

    async def add(self, a, b):
        return a + b


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        stub = self.env.COUNTERS.getByName("rpc")
        lines = [f"type(env.COUNTERS).__name__: {type(self.env.COUNTERS).__name__}", f"type(stub).__name__: {type(stub).__name__}"]

        async def show(label, make):
            try:
                value = await make()
            except Exception as exc:
                lines.append(f"{label}: raised {type(exc).__module__}.{type(exc).__qualname__}: {exc}")
            else:
                lines.append(f"{label}: {value!r} ({type(value).__name__})")

{calls}
        return Response("\\n".join(lines))


DURABLE_OBJECTS = {"COUNTERS": Counter}
'''

scenario(
    "rpc_values",
    rule=RPC_RULE,
    shows="success",
    worker=RPC.replace(
        "{calls}",
        """\
        await show("add(2, 3)", lambda: stub.add(2, 3))
        await show('echo({"a": [1, None]})', lambda: stub.echo({"a": [1, None]}))
        await show("echo([1, 2])", lambda: stub.echo([1, 2]))
        await show("echo(None)", lambda: stub.echo(None))
        await show('echo("text")', lambda: stub.echo("text"))
        value = await stub.echo({"a": 1})
        lines.append(f"result.got.a: {value.got.a!r}; result['type']: {value['type']!r}")"""
    ),
)(lambda t: t.fetch("/"))

scenario(
    "rpc_refused_values",
    rule=RPC_RULE,
    shows="failure",
    worker=RPC.replace(
        "{calls}",
        """\
        await show("echo((1, 2))", lambda: stub.echo((1, 2)))
        await show("echo(b'raw')", lambda: stub.echo(b"raw"))
        await show("nope()", lambda: stub.nope())
        await show("sockets('x') (a wsguide-only helper)", lambda: self.env.COUNTERS.sockets("x"))
        await show("instance('x') (a wsguide-only helper)", lambda: self.env.COUNTERS.instance("x"))"""
    ),
)(lambda t: t.fetch("/"))


DATE_RULE = (
    "getWebSocketAutoResponseTimestamp(ws) is a JsProxy of a JavaScript Date (getTime(), toISOString()), "
    "null (jsnull) before any automatic response"
)


@scenario(
    "auto_response_timestamp",
    rule=DATE_RULE,
    shows="success",
    worker=room('''
class Room(DurableObject):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        self.ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair.new("ping", "pong"))
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        ts = self.ctx.getWebSocketAutoResponseTimestamp(ws)
        if not ts:
            ws.send(f"before: {ts!r} {type(ts).__name__}")
            return
        iso = ts.toISOString()
        ws.send(
            f"after: {type(ts).__name__} {ts.constructor.name} getTime>0={ts.getTime() > 0} "
            f"iso={len(iso)} chars ending {iso[-1]!r} str ends {str(ts)[-37:]!r}"
        )

    async def webSocketClose(self, ws, code, reason, was_clean):
        ws.close(code, reason)
''', imports="from js import WebSocketRequestResponsePair\n"),
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("stamp?")
    await ws.recv()
    await ws.send("ping")
    await ws.recv()
    await ws.send("stamp?")
    await ws.recv()
    await ws.close(1000, "done")


@scenario(
    "auto_response_timestamp_is_not_a_datetime",
    rule=DATE_RULE,
    shows="failure",
    worker=room('''
class Room(DurableObject):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
        self.ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair.new("ping", "pong"))
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        ts = self.ctx.getWebSocketAutoResponseTimestamp(ws)
        try:
            ws.send(ts.isoformat())
        except AttributeError as exc:
            ws.send(f"AttributeError: {exc}")

    async def webSocketClose(self, ws, code, reason, was_clean):
        ws.close(code, reason)
''', imports="from js import WebSocketRequestResponsePair\n"),
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("ping")
    await ws.recv()
    await ws.send("isoformat?")
    await ws.recv()
    await ws.close(1000, "done")

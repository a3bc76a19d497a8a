"""Values crossing the boundary: attachments (structured clone), bytes, binary messages, JS arrays."""

from __future__ import annotations

from ._registry import scenario
from .classes import get_root, probe

ATTACH_RULE = (
    "serializeAttachment structured-clones its value: a Python dict is refused (DataCloneError) unless "
    "given as to_js(value, dict_converter=Object.fromEntries); it comes back as a JsProxy"
)

scenario(
    "attachment_python_dict",
    rule=ATTACH_RULE,
    shows="failure",
    worker=probe(
        "from workers import Response, WorkerEntrypoint\nfrom js import WebSocketPair",
        """
client, server = WebSocketPair.new().object_values()
server.accept()
lines.append(show('serializeAttachment({"name": "Ada"})', lambda: server.serializeAttachment({"name": "Ada"})))
lines.append(show('serializeAttachment(["Ada", 1])', lambda: server.serializeAttachment(["Ada", 1])))
lines.append(show("deserializeAttachment() after the failure", lambda: server.deserializeAttachment()))
""",
    ),
)(get_root)

scenario(
    "attachment_to_js",
    rule=ATTACH_RULE,
    shows="success",
    worker=probe(
        "from workers import Response, WorkerEntrypoint\nfrom js import Object, WebSocketPair\nfrom pyodide.ffi import to_js",
        """
client, server = WebSocketPair.new().object_values()
server.accept()
value = to_js({"name": "Ada", "tags": ["a", "b"], "n": None}, dict_converter=Object.fromEntries)
lines.append(show("serializeAttachment(to_js(...))", lambda: server.serializeAttachment(value)))
back = server.deserializeAttachment()
lines.append(show("type(back).__name__", lambda: type(back).__name__))
lines.append(show("back.name", lambda: back.name))
lines.append(show('back["name"]', lambda: back["name"]))
lines.append(show('back.get("name")', lambda: back.get("name")))
lines.append(show("back.n", lambda: back.n))
lines.append(show("back.to_py()", lambda: back.to_py()))
lines.append(show("type(back.to_py()).__name__", lambda: type(back.to_py()).__name__))
lines.append(show("back.to_py()['n'] is None", lambda: back.to_py()["n"] is None))
lines.append(show("back == server.deserializeAttachment()", lambda: back == server.deserializeAttachment()))
""",
    ),
)(get_root)

PLAIN_RULE = (
    "strings, numbers, booleans and None cross structured clone as themselves; an attachment never set "
    "reads back as jsnull (falsy, but not None)"
)

scenario(
    "attachment_plain_values",
    rule=PLAIN_RULE,
    shows="success",
    worker=probe(
        "from workers import Response, WorkerEntrypoint\nfrom js import WebSocketPair",
        """
client, server = WebSocketPair.new().object_values()
server.accept()
for value in ["Ada", 42, 2.5, True, None]:
    server.serializeAttachment(value)
    back = server.deserializeAttachment()
    lines.append(f"{value!r} -> {back!r} ({type(back).__name__})")
""",
    ),
)(get_root)

scenario(
    "attachment_never_set",
    rule=PLAIN_RULE,
    shows="failure",
    worker=probe(
        "from workers import Response, WorkerEntrypoint\nfrom js import WebSocketPair\nfrom pyodide.ffi import jsnull",
        """
client, server = WebSocketPair.new().object_values()
server.accept()
value = server.deserializeAttachment()
lines.append(show("deserializeAttachment()", lambda: value))
lines.append(show("type(...).__name__", lambda: type(value).__name__))
lines.append(show("... is None", lambda: value is None))
lines.append(show("... is jsnull", lambda: value is jsnull))
lines.append(show("bool(...)", lambda: bool(value)))
lines.append(show("(... or {}).get('name')", lambda: (value or {}).get("name")))
lines.append(show("....get('name')", lambda: value.get("name")))
""",
    ),
)(get_root)

ARRAY_RULE = "a JS array reaches Python as a JsProxy: len, indexing and iteration work, json.dumps refuses it; .to_py() first"

scenario(
    "js_array_json_dumps",
    rule=ARRAY_RULE,
    shows="failure",
    worker=probe(
        "import json\nimport js\nfrom workers import Response, WorkerEntrypoint",
        """
array = js.JSON.parse('[{"name": "Ada"}, {"name": "Bob"}]')
lines.append(show("type(array).__name__", lambda: type(array).__name__))
lines.append(show("json.dumps(array)", lambda: json.dumps(array)))
lines.append(show("json.dumps(list(array))", lambda: json.dumps(list(array))))
lines.append(show("array == [...]", lambda: array == [{"name": "Ada"}, {"name": "Bob"}]))
""",
    ),
)(get_root)

scenario(
    "js_array_to_py",
    rule=ARRAY_RULE,
    shows="success",
    worker=probe(
        "import json\nimport js\nfrom workers import Response, WorkerEntrypoint",
        """
array = js.JSON.parse('[{"name": "Ada"}, {"name": "Bob"}]')
lines.append(show("json.dumps(array.to_py())", lambda: json.dumps(array.to_py())))
lines.append(show("type(array.to_py()[0]).__name__", lambda: type(array.to_py()[0]).__name__))
lines.append(show("len(array)", lambda: len(array)))
lines.append(show("array[0].name", lambda: array[0].name))
lines.append(show("array[-1].name", lambda: array[-1].name))
lines.append(show("[item.name for item in array]", lambda: [item.name for item in array]))
""",
    ),
)(get_root)

SEND_RULE = "send() of a Python object (bytes, bytearray, dict) sends the text of its str(); binary goes as to_js(data)"

SEND = '''
from workers import Response, WorkerEntrypoint
from js import WebSocketPair
from pyodide.ffi import create_proxy, to_js


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_message(event):
            server.send({payload})

        server.addEventListener("message", create_proxy(on_message))
        return Response(None, status=101, web_socket=client)
'''


async def send_hello(t):
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.recv()
    await ws.close(1000, "done")


scenario("send_python_bytes", rule=SEND_RULE, shows="failure", worker=SEND.format(payload='event.data.encode()'))(send_hello)
scenario("send_to_js_bytes", rule=SEND_RULE, shows="success", worker=SEND.format(payload="to_js(event.data.encode())"))(send_hello)
scenario(
    "send_python_dict",
    rule=SEND_RULE,
    shows="failure",
    worker=SEND.format(payload='{"echo": event.data}'),
)(send_hello)
scenario(
    "send_python_bytearray",
    rule=SEND_RULE,
    shows="failure",
    worker=SEND.format(payload="bytearray(event.data.encode())"),
)(send_hello)

EVENT_DATA = '''
from workers import Response, WorkerEntrypoint
from js import WebSocketPair
from pyodide.ffi import create_proxy


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()
{binary_type}
        async def on_message(event):
            data = event.data
            if isinstance(data, str):
                server.send(f"text: {{type(data).__name__}} {{data!r}}")
                return
            kind = f"binary: {{type(data).__name__}} constructor={{data.constructor.name}}"
            if data.constructor.name == "Blob":
                data = await data.arrayBuffer()
                kind += " -> await .arrayBuffer()"
            server.send(f"{{kind}} to_bytes()={{data.to_bytes()!r}}")
            server.send(data)  # an ArrayBuffer JsProxy goes back as binary

        server.addEventListener("message", create_proxy(on_message))
        return Response(None, status=101, web_socket=client)
'''

DATA_RULE = (
    "event.data is a str for text; binary is a JsProxy of an ArrayBuffer (binaryType 'arraybuffer') "
    "or of a Blob (the default since 2026-03-17): .to_bytes(), await blob.arrayBuffer()"
)


async def text_then_binary(t):
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.recv()
    await ws.send(b"\x00\x01\xff")
    await ws.recv()
    await ws.recv()
    await ws.close(1000, "done")


scenario(
    "event_data_binary_arraybuffer",
    rule=DATA_RULE,
    shows="success",
    worker=EVENT_DATA.format(binary_type='        server.binaryType = "arraybuffer"\n'),
)(text_then_binary)

scenario(
    "event_data_binary_blob",
    rule=DATA_RULE,
    shows="success",
    worker=EVENT_DATA.format(binary_type=""),
)(text_then_binary)

# Before 2026-03-17 the default binaryType was "arraybuffer" (a second JavaScript Worker in the
# host: its own compatibility date, its own Pyodide). Before 2026-04-07 nothing answers the
# client's Close for the Worker, so the client does not wait for an answer.
@scenario(
    "event_data_binary_default_before_2026_03_17",
    rule=DATA_RULE,
    shows="success",
    worker=EVENT_DATA.format(binary_type=""),
    compat_date="2026-03-01",
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send("hello")
    await ws.recv()
    await ws.send(b"\x00\x01\xff")
    await ws.recv()
    await ws.recv()
    await ws.send_close(1000, "done")


@scenario(
    "send_blob_back",
    rule=DATA_RULE,
    shows="failure",
    worker='''
from workers import Response, WorkerEntrypoint
from js import WebSocketPair
from pyodide.ffi import create_proxy


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()
        server.addEventListener("message", create_proxy(lambda event: server.send(event.data)))
        return Response(None, status=101, web_socket=client)
''',
)
async def _(t):
    ws = await t.websocket("/")
    await ws.send(b"\x00\x01\xff")
    await ws.recv()
    await ws.close(1000, "done")

SIZE_RULE = (
    "an attachment is measured in V8 structured-clone bytes (at most 16384): the error names the size, so "
    "values just over the limit show how each kind of value is counted"
)

scenario(
    "attachment_sizes",
    rule=SIZE_RULE,
    shows="failure",
    worker=probe(
        "from workers import Response, WorkerEntrypoint\n"
        "from js import Object, WebSocketPair\n"
        "from pyodide.ffi import jsnull, to_js",
        """
client, server = WebSocketPair.new().object_values()
server.accept()
shared = {"name": "Ada", "tags": ["a", "€"]}
cases = [
    ("one-byte string of 16379", lambda: "x" * 16379),
    ("one-byte string of 16380", lambda: "x" * 16380),
    ("Latin-1 string", lambda: "é" * 16380),
    ("two-byte string", lambda: "€" * 9000),
    ("astral string", lambda: "😀" * 5000),
    ("ASCII then two-byte", lambda: "x" * 101 + "€" * 9000),
    ("two-byte string after an odd offset", lambda: to_js(["abc", "€" * 9000])),
    ("array of one string", lambda: to_js(["ab"] * 5000)),
    ("array of 2**30 - 1", lambda: to_js([2**30 - 1] * 3000)),
    ("array of -2**30", lambda: to_js([-(2**30)] * 3000)),
    ("array of 2**30", lambda: to_js([2**30] * 3000)),
    ("array of 3.0", lambda: to_js([3.0] * 9000)),
    ("array of -0.0", lambda: to_js([-0.0] * 2000)),
    ("array of small ints", lambda: to_js(list(range(6000)))),
    ("array of negative ints", lambda: to_js([-i for i in range(6000)])),
    ("array of floats", lambda: to_js([i + 0.5 for i in range(2100)])),
    ("array of ints and one float", lambda: to_js(list(range(2000)) + [0.5])),
    ("array of ints beyond 2**30", lambda: to_js([2**40 + i for i in range(2100)])),
    ("array of ints beyond 2**53", lambda: to_js([2**64 + i for i in range(1000)])),
    ("array of None, True, False", lambda: to_js([None, True, False] * 6000)),
    ("array of jsnull", lambda: to_js([jsnull] * 17000)),
    ("object", lambda: to_js({f"k{i}": i for i in range(2000)}, dict_converter=Object.fromEntries)),
    ("object with index keys", lambda: to_js({str(i): "v" for i in range(4000)}, dict_converter=Object.fromEntries)),
    ("Map", lambda: to_js({f"k{i}": i for i in range(2000)})),
    ("Set", lambda: to_js(set(range(6000)))),
    ("bytes", lambda: to_js(b"\\x00" * 20000)),
    ("one object many times", lambda: to_js([shared] * 8000, dict_converter=Object.fromEntries)),
    ("distinct objects", lambda: to_js([{"name": "Ada", "tags": ["a", "€"]} for _ in range(600)], dict_converter=Object.fromEntries)),
]
for label, make in cases:
    try:
        server.serializeAttachment(make())
        lines.append(f"{label}: accepted")
    except Exception as exc:
        lines.append(f"{label}: {type(exc).__name__}: {exc}")
""",
    ),
)(get_root)

scenario(
    "attachment_sizes_within_limit",
    rule=SIZE_RULE,
    shows="success",
    worker=probe(
        "from workers import Response, WorkerEntrypoint\n"
        "from js import Object, WebSocketPair\n"
        "from pyodide.ffi import to_js",
        """
client, server = WebSocketPair.new().object_values()
server.accept()
shared = {"name": "Ada", "tags": ["a", "€"]}
cases = [
    ("one-byte string of 16379", lambda: "x" * 16379),
    ("two-byte string of 8189", lambda: "€" * 8189),
    ("ints with one float (Smis stay small)", lambda: to_js(list(range(2000)) + [0.5])),
    ("one object many times (back-references)", lambda: to_js([shared] * 8000, dict_converter=Object.fromEntries)),
]
for label, make in cases:
    value = make()
    server.serializeAttachment(value)
    back = server.deserializeAttachment()
    same = back == value if isinstance(value, str) else len(back) == len(value)
    lines.append(f"{label}: accepted, read back {'the same' if same else 'something else'}")
""",
    ),
)(get_root)

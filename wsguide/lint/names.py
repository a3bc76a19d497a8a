"""What the checker knows about names: the runtime's classes and methods, wsguide's mirrors
and its wsguide-only helpers. Literal tables only; the rules (:mod:`.rules`) read them."""

from __future__ import annotations

import re

# The wsguide modules that mirror a real Python Workers module, and what they become.
MIRRORS = {"workers": "workers", "js": "js", "ffi": "pyodide.ffi"}

# Names that wsguide.workers provides but the real `workers` module does not.
NOT_IN_WORKERS = {"WebSocketRequestResponsePair": "js"}

# Where the names of `from wsguide import X` live on Workers (for the fix text).
WSGUIDE_NAME_HOME = {
    **{n: "workers" for n in ("DurableObject", "Request", "Response", "WorkerEntrypoint", "fetch", "Headers")},
    **{n: "js" for n in ("WebSocket", "WebSocketPair", "WebSocketRequestResponsePair", "console")},
}

# JavaScript globals that may be called without `new` (functions, or classes that allow it).
JS_CALLABLE_WITHOUT_NEW = frozenset(
    {
        "Array", "BigInt", "Boolean", "Date", "Error", "EvalError", "Number", "Object", "RangeError",
        "ReferenceError", "String", "Symbol", "SyntaxError", "TypeError", "URIError",
    }
)

# Methods that exist only on runtime (JavaScript) objects: a call to one is a call into the runtime.
RUNTIME_METHODS = frozenset(
    {
        "accept", "acceptWebSocket", "addEventListener", "close", "deserializeAttachment",
        "dispatchEvent", "getByName", "getTags", "getWebSocketAutoResponse", "getWebSockets",
        "idFromName", "idFromString", "newUniqueId", "removeEventListener", "send",
        "serializeAttachment", "setHibernatableWebSocketEventTimeout", "setWebSocketAutoResponse",
    }
)

# Attributes whose value is itself a runtime object.
RUNTIME_ATTRIBUTES = frozenset({"currentTarget", "js_object", "target", "webSocket"})

# wsguide-only attributes: name -> (receiver kind, what it is on Workers, replacement).
# Receiver kinds: "any" (any receiver but self), "request" (the request given to fetch),
# "namespace" (self.env.BINDING), "fetched" (the result of await fetch(...)).
WSGUIDE_ATTRIBUTES: dict[str, tuple[str, str, str]] = {
    "path": ("request", "a request", "urlsplit({recv}.url).path   (from urllib.parse import urlsplit)"),
    "instance": ("namespace", "a Durable Object namespace", "nothing: a Worker cannot reach a Durable Object's instance; call the object through {recv}.getByName(name)"),
    "is_hibernating": ("namespace", "a Durable Object namespace", "nothing: Cloudflare decides when an object hibernates; drop this line from the Worker"),
    "constructor_runs": ("namespace", "a Durable Object namespace", "nothing: drop this line from the Worker (it is a wsguide teaching aid)"),
    "sockets": ("namespace", "a Durable Object namespace", "self.ctx.getWebSockets() inside the Durable Object"),
    "hibernate_now": ("namespace", "a Durable Object namespace", "nothing: Cloudflare decides when an object hibernates; drop this line from the Worker"),
    "wait_hibernated": ("namespace", "a Durable Object namespace", "nothing: Cloudflare decides when an object hibernates; drop this line from the Worker"),
    "web_socket": ("any", "a Response", "{recv}.js_object.webSocket"),
    "webSocket": ("fetched", "the Response of fetch()", "{recv}.js_object.webSocket"),
    "serialize_attachment": ("any", "a WebSocket", "{recv}.serializeAttachment"),
    "deserialize_attachment": ("any", "a WebSocket", "{recv}.deserializeAttachment"),
    "add_event_listener": ("any", "a WebSocket", "{recv}.addEventListener"),
    "remove_event_listener": ("any", "a WebSocket", "{recv}.removeEventListener"),
    "binary_type": ("any", "a WebSocket", "{recv}.binaryType"),
    "was_clean": ("any", "a CloseEvent", "{recv}.wasClean"),
}

# Calls that read files, for the kit-file rule.
FILE_READERS = frozenset(
    {
        "files", "get_data", "open", "open_binary", "open_text", "Path", "PurePath", "read_binary",
        "read_text", "resource_filename", "resource_stream", "resource_string",
    }
)

# The Durable Object hooks whose second argument is a WebSocket.
DO_SOCKET_HANDLERS = frozenset({"webSocketMessage", "webSocketClose", "webSocketError"})

# A string that names a file of the kit (".../wsguide/...", "wsguide.foo").
KIT_PATH = re.compile(r"(?:\A|[/\\])wsguide(?:\Z|[/\\.])")

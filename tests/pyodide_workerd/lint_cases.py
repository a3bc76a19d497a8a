"""One tiny Worker per rule of ``wsguide lint``, written as a learner writes it (wsguide's mirror
imports), and what it does on real Python Workers.

Each :class:`LintCase` is the learner's path: ``wsguide lint worker.py`` flags the line marked
``# <- breaks the rule`` with the rule's message and fix; ``wsguide export --force`` writes the
project anyway; on real Pyodide inside workerd the project fails the way the message says
(``said`` is in the message, ``shows`` in what the host recorded). A case with ``rule=None`` is
code the checker must *not* flag, because it works on Python Workers.

:data:`NOT_SHOWN` lists the rules whose failure the host cannot show, with the reason (none
today: the kit-file rule is shown by the file being absent, as it is on Cloudflare).
"""

from __future__ import annotations

from dataclasses import dataclass

from .scenarios._registry import Client
from .transcript import Recorder

__all__ = ["LINT_CASES", "MARK", "NOT_SHOWN", "LintCase"]

MARK = "# <- breaks the rule"


@dataclass(frozen=True)
class LintCase:
    name: str  # the Worker's name on the host (a Python identifier)
    rule: str | None  # the rule it breaks; None: a pattern that works, which the checker must not flag
    worker: str  # the Worker file, with wsguide's imports
    said: str  # in the finding's message: what the rule says happens on Python Workers
    shows: str  # in the host's recording (load error, client, log): that it happens
    client: Client
    traceback_line: bool = False  # the real traceback names the line the checker flagged

    @property
    def line(self) -> int:
        """The line marked with :data:`MARK` (1-based)."""
        lines = [i for i, text in enumerate(self.worker.splitlines(), 1) if text.rstrip().endswith(MARK)]
        assert len(lines) == 1, f"{self.name}: mark exactly one line with {MARK!r}"
        return lines[0]


async def get(t: Recorder) -> None:
    await t.fetch("/")


async def say_hello(t: Recorder) -> None:
    ws = await t.websocket("/")
    if ws is not None:
        await ws.send("hello")
        await ws.end()


async def say_hello_and_close(t: Recorder) -> None:
    ws = await t.websocket("/")
    if ws is not None:
        await ws.send("hello")
        await ws.recv()
        await ws.close(1000, "done")


def _echo(listener: str, *, extra: str = "", before: str = "") -> str:
    """An echo Worker whose listener is handed over by ``listener`` (the marked line)."""
    return f'''\
from wsguide.workers import Response, WorkerEntrypoint
from wsguide.js import WebSocketPair
{before}

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_message(event):
            server.send("echo:" + event.data)
{extra}
        {listener}
        return Response(None, status=101, web_socket=client)
'''


BORROWED = "This borrowed proxy was automatically destroyed"

ROOM = '''\
from wsguide.workers import DurableObject, Response, WorkerEntrypoint
from wsguide.js import WebSocketPair


class Room(DurableObject):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server)
{fetch}
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
{message}

    async def webSocketClose(self, ws, code, reason, wasClean):
        ws.close(1000, "bye")


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await self.env.ROOMS.getByName("one").fetch(request)


DURABLE_OBJECTS = {{"ROOMS": Room}}
'''

PLAIN = '''\
from wsguide.workers import Response, WorkerEntrypoint
{imports}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
{body}
'''

LINT_CASES: tuple[LintCase, ...] = (
    # -- listener-proxy: every kind of plain callable given to addEventListener
    LintCase(
        "lint_listener_function", "listener-proxy",
        _echo(f'server.addEventListener("message", on_message)  {MARK}'),
        said=BORROWED, shows=BORROWED, client=say_hello,
    ),
    LintCase(
        "lint_listener_lambda", "listener-proxy",
        _echo(f'server.addEventListener("message", lambda event: server.send(event.data))  {MARK}'),
        said=BORROWED, shows=BORROWED, client=say_hello,
    ),
    LintCase(
        "lint_listener_partial", "listener-proxy",
        _echo(f'server.addEventListener("message", partial(reply, server))  {MARK}',
              before="from functools import partial\n\n\ndef reply(server, event):\n    server.send(event.data)\n"),
        said=BORROWED, shows=BORROWED, client=say_hello,
    ),
    LintCase(
        "lint_listener_bound_method", "listener-proxy",
        _echo(f'server.addEventListener("message", Replier(server).reply)  {MARK}',
              before="\n\nclass Replier:\n    def __init__(self, server):\n        self.server = server\n\n"
                     "    def reply(self, event):\n        self.server.send(event.data)\n"),
        said=BORROWED, shows=BORROWED, client=say_hello,
    ),
    LintCase(
        # Not a rule: Pyodide keeps a callable assigned to a JavaScript property (it is never
        # destroyed, and never freed), so the listener runs.
        "lint_onmessage_property", None,
        _echo(f"server.onmessage = on_message  {MARK}"),
        said="", shows="echo:hello", client=say_hello_and_close,
    ),
    # -- js-new
    LintCase(
        "lint_pair_without_new", "js-new",
        PLAIN.format(imports="from wsguide.js import WebSocketPair",
                     body=f"        client, server = WebSocketPair().object_values()  {MARK}\n"
                          "        server.accept()\n"
                          "        return Response(None, status=101, web_socket=client)"),
        said="Please use the 'new' operator",
        shows="TypeError: Failed to construct 'WebSocketPair': Please use the 'new' operator",
        client=say_hello, traceback_line=True,
    ),
    LintCase(
        "lint_js_response_without_new", "js-new",
        '''\
from wsguide.workers import WorkerEntrypoint
from wsguide import js


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return js.Response("hello")  # <- breaks the rule
''',
        said="Please use the 'new' operator",
        shows="TypeError: Failed to construct 'Response': Please use the 'new' operator",
        client=get, traceback_line=True,
    ),
    # -- attachment-dict
    LintCase(
        "lint_attachment_dict", "attachment-dict",
        ROOM.format(fetch=f'        server.serializeAttachment({{"name": "Ada"}})  {MARK}',
                    message="        ws.send(message)"),
        said="DataCloneError", shows="DataCloneError: [object Object] could not be cloned.",
        client=say_hello, traceback_line=True,
    ),
    # -- is-runtime
    LintCase(
        "lint_is_between_sockets", "is-runtime",
        ROOM.format(fetch="",
                    message=f'        same = [peer is ws for peer in self.ctx.getWebSockets()]  {MARK}\n'
                            '        ws.send(f"one socket here; peer is ws: {same}")'),
        said="`is` says False even for the same socket", shows="one socket here; peer is ws: [False]",
        client=say_hello_and_close,
    ),
    # -- except-typeerror
    LintCase(
        "lint_except_typeerror", "except-typeerror",
        PLAIN.format(imports="from wsguide.js import WebSocketPair",
                     body="        client, server = WebSocketPair.new().object_values()\n"
                          "        server.accept()\n"
                          '        server.close(1000, "bye")\n'
                          "        try:\n"
                          '            server.send("after close")\n'
                          f"        except TypeError:  {MARK}\n"
                          '            print("caught it")\n'
                          "        return Response(None, status=101, web_socket=client)"),
        said="arrives as pyodide.ffi.JsException",
        shows="pyodide.ffi.JsException: TypeError: Can't call WebSocket send() after close().",
        client=say_hello,
    ),
    # -- wsguide-import
    LintCase(
        "lint_import_serve", "wsguide-import",
        PLAIN.format(imports=f"from wsguide import serve  {MARK}", body='        return Response("hello")'),
        said="Python Workers has no wsguide package", shows="ModuleNotFoundError: No module named 'wsguide'",
        client=get, traceback_line=True,
    ),
    LintCase(
        "lint_import_pair_from_workers", "wsguide-import",
        f'from wsguide.workers import Response, WebSocketRequestResponsePair, WorkerEntrypoint  {MARK}\n\n\n'
        'class Default(WorkerEntrypoint):\n    async def fetch(self, request):\n        return Response("hello")\n',
        said="exists only in wsguide",
        shows="ImportError: cannot import name 'WebSocketRequestResponsePair' from 'workers'",
        client=get, traceback_line=True,
    ),
    # -- wsguide-attribute
    LintCase(
        "lint_request_path", "wsguide-attribute",
        PLAIN.format(imports="", body=f"        return Response(request.path)  {MARK}"),
        said="Python Workers has no such attribute", shows="AttributeError: 'Request' object has no attribute 'path'",
        client=get, traceback_line=True,
    ),
    LintCase(
        "lint_socket_snake_case", "wsguide-attribute",
        _echo(f'server.add_event_listener("message", create_proxy(on_message))  {MARK}',
              before="from wsguide.ffi import create_proxy"),
        said="Python Workers has no such attribute", shows="AttributeError: add_event_listener",
        client=say_hello, traceback_line=True,
    ),
    LintCase(
        "lint_namespace_helper", "wsguide-attribute",
        ROOM.format(fetch="", message="        ws.send(message)").replace(
            '        return await self.env.ROOMS.getByName("one").fetch(request)',
            f"        return Response(str(len(self.env.ROOMS.sockets)))  {MARK}",
        ),
        said="Python Workers has no such attribute", shows="AttributeError: sockets",
        client=get, traceback_line=True,
    ),
    # -- kit-file
    LintCase(
        "lint_kit_file", "kit-file",
        PLAIN.format(imports="", body=f'        with open("wsguide/net/assets.py") as page:  {MARK}\n'
                                      "            return Response(page.read())"),
        said="no kit files", shows="FileNotFoundError: [Errno 44] No such file or directory: 'wsguide/net/assets.py'",
        client=get, traceback_line=True,
    ),
)

#: Rules whose failure the host cannot show: rule id -> why.
NOT_SHOWN: dict[str, str] = {}

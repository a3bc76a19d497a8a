"""`wsguide lint`: each Python Workers rule flags the code that breaks it, and only that code."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wsguide.lint import RULES, lint_file, lint_source, lint_worker

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

HEADER = """\
from wsguide.workers import DurableObject, Response, WorkerEntrypoint
from wsguide.js import Object, WebSocketPair, WebSocketRequestResponsePair
from wsguide.ffi import JsException, create_once_callable, create_proxy, to_js
"""


def found(body: str) -> list[tuple[str, int]]:
    """(rule id, line) for each finding in HEADER + body (body lines start at line 4)."""
    source = HEADER + textwrap.dedent(body)
    return [(f.rule.id, f.line) for f in lint_source(source, "worker.py")]


def only(body: str) -> set[str]:
    return {rule for rule, _ in found(body)}


# ------------------------------------------------------------------ the table


def test_every_rule_has_an_id_a_message_and_a_fix():
    assert set(RULES) == {
        "listener-proxy", "js-new", "attachment-dict", "is-runtime", "except-typeerror",
        "wsguide-import", "wsguide-attribute", "kit-file",
    }
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id and rule.message and rule.fix


# ------------------------------------------------------------------ listener-proxy

LISTENER_CASES = {
    "plain function": """
        def on_message(event):
            pass
        server.addEventListener("message", on_message)
    """,
    "lambda": """
        server.addEventListener("message", lambda event: server.send(event.data))
    """,
    "name bound to a lambda": """
        handler = lambda event: None
        server.addEventListener("close", handler)
    """,
    "bound method": """
        class Room:
            def on_message(self, event):
                pass
            def attach(self, server):
                server.addEventListener("message", self.on_message)
    """,
    "functools.partial": """
        from functools import partial
        def on_message(server, event):
            pass
        server.addEventListener("message", partial(on_message, server))
    """,
}


@pytest.mark.parametrize("case", LISTENER_CASES)
def test_listener_without_create_proxy_is_flagged(case):
    assert only(LISTENER_CASES[case]) == {"listener-proxy"}


@pytest.mark.parametrize(
    "body",
    [
        'server.addEventListener("message", create_proxy(lambda event: None))',
        'server.addEventListener("close", create_once_callable(on_close))',
        'proxy = create_proxy(on_message)\nserver.addEventListener("message", proxy)',
        'server.onmessage = create_proxy(on_message)',
        'import pyodide.ffi\nserver.addEventListener("message", pyodide.ffi.create_proxy(on_message))',
    ],
)
def test_listener_wrapped_in_a_proxy_is_fine(body):
    assert only("def on_message(event):\n    pass\ndef on_close(event):\n    pass\n" + body) == set()


def test_a_plain_function_assigned_to_an_on_event_property_is_fine():
    # Pyodide keeps a callable assigned to a JavaScript property (not borrowed): it runs on
    # Python Workers (tests/pyodide_workerd: onmessage_plain_function, lint_cases.py).
    assert only("""
        def on_message(event):
            pass
        server.onmessage = on_message
        server.onclose = lambda event: None
    """) == set()


def test_method_kept_as_a_proxy_on_self_is_fine():
    assert only("""
        class Room:
            def __init__(self):
                self.on_message = create_proxy(self.handle)
            def handle(self, event):
                pass
            def on_message(self, event):
                pass
            def attach(self, server):
                server.addEventListener("message", self.on_message)
    """) == set()


def test_listener_finding_gives_the_line_and_the_fixed_call():
    [finding] = lint_source(HEADER + "def f(e):\n    pass\nws.addEventListener('message', f)\n", "w.py")
    assert finding.line == 6
    assert finding.fix.startswith("ws.addEventListener('message', create_proxy(f))")


# ------------------------------------------------------------------ js-new


@pytest.mark.parametrize(
    "body",
    [
        "pair = WebSocketPair()",
        'ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair("ping", "pong"))',
        "from js import Response as JsResponse\nr = JsResponse(None, status=101)",
        'from js import WebSocket\nws = WebSocket("wss://example.com")',
        "import js\npair = js.WebSocketPair()",
        "from wsguide import js\nurl = js.URL('https://example.com')",
    ],
)
def test_javascript_class_called_without_new_is_flagged(body):
    assert only(body) == {"js-new"}


@pytest.mark.parametrize(
    "body",
    [
        "pair = WebSocketPair.new()",
        'p = WebSocketRequestResponsePair.new("ping", "pong")',
        "r = Response('hi', status=200)",  # the Python Response of workers
        "values = Object.values(pair)",
        "from js import Date, console\nconsole.log(Date.now())",
        "from js import JSON\nJSON.stringify(x)",
    ],
)
def test_new_or_python_classes_or_plain_js_functions_are_fine(body):
    assert only(body) == set()


def test_js_new_fix_adds_new_to_the_call():
    [finding] = lint_source(HEADER + "pair = WebSocketPair()\n", "w.py")
    assert finding.fix == "WebSocketPair.new()"


# ------------------------------------------------------------------ attachment-dict


@pytest.mark.parametrize(
    "body",
    [
        'ws.serializeAttachment({"name": "Ada"})',
        'ws.serializeAttachment(dict(name="Ada"))',
        "ws.serializeAttachment({k: v for k, v in pairs})",
        'session = {"name": None}\nws.serializeAttachment(session)',
        "session = ws.deserializeAttachment().to_py()\nws.serializeAttachment(session)",
        "session = ws.deserializeAttachment() or {}\nws.serializeAttachment(session)",
    ],
)
def test_python_dict_given_to_serialize_attachment_is_flagged(body):
    assert only(body) == {"attachment-dict"}


@pytest.mark.parametrize(
    "body",
    [
        'ws.serializeAttachment(to_js({"name": "Ada"}, dict_converter=Object.fromEntries))',
        'session = {"name": None}\nsession = to_js(session, dict_converter=Object.fromEntries)\nws.serializeAttachment(session)',
        'ws.serializeAttachment("Ada")',
        "ws.serializeAttachment(42)",
    ],
)
def test_converted_dicts_strings_and_numbers_are_fine(body):
    assert only(body) == set()


# ------------------------------------------------------------------ is-runtime


@pytest.mark.parametrize(
    "body",
    [
        """
        class Room(DurableObject):
            def broadcast(self, skip):
                for peer in self.ctx.getWebSockets():
                    if peer is skip:
                        continue
        """,
        """
        class Room(DurableObject):
            async def webSocketClose(self, ws, code, reason, clean):
                first = self.ctx.getWebSockets()[0]
                if first is not ws:
                    pass
        """,
        """
        client, server = WebSocketPair.new().object_values()
        def on_close(event):
            if event.target is server:
                pass
        """,
    ],
)
def test_is_between_runtime_objects_is_flagged(body):
    assert only(body) == {"is-runtime"}


@pytest.mark.parametrize(
    "body",
    [
        """
        class Room(DurableObject):
            def broadcast(self, skip=None):
                for peer in self.ctx.getWebSockets():
                    if peer == skip or skip is None or peer is not None:
                        continue
        """,
        "if type(x) is int or x is True:\n    pass",
        "a = object()\nb = a\nassert a is b",
    ],
)
def test_is_with_none_constants_or_python_objects_is_fine(body):
    assert only(body) == set()


def test_is_jsnull_is_fine_as_pyodide_has_one_jsnull():
    # jsnull is a singleton, like None: `x is jsnull` is how Pyodide tells null apart
    # (golden attachment_never_set in tests/pyodide_workerd: "... is jsnull: True").
    body = """
        from wsguide.ffi import jsnull
        import pyodide.ffi
        class Room(DurableObject):
            async def webSocketMessage(self, ws, message):
                if ws.deserializeAttachment() is jsnull or ws.deserializeAttachment() is not pyodide.ffi.jsnull:
                    pass
        """
    assert only(body) == set()


def test_is_runtime_fix_uses_equality():
    source = HEADER + "c, s = WebSocketPair.new().object_values()\nsame = c is not s\n"
    [finding] = lint_source(source, "w.py")
    assert (finding.line, finding.fix) == (5, "c != s")


# ------------------------------------------------------------------ except-typeerror


@pytest.mark.parametrize(
    "body",
    [
        """
        class Room(DurableObject):
            def broadcast(self, data):
                for peer in self.ctx.getWebSockets():
                    try:
                        peer.send(data)
                    except TypeError:
                        pass
        """,
        """
        client, server = WebSocketPair.new().object_values()
        try:
            server.close(1000, "x" * 200)
        except (TypeError, ValueError) as exc:
            pass
        """,
        """
        try:
            ws.serializeAttachment(to_js(big))
        except TypeError:
            pass
        """,
    ],
)
def test_except_type_error_around_runtime_calls_is_flagged(body):
    assert only(body) == {"except-typeerror"}


@pytest.mark.parametrize(
    "body",
    [
        """
        try:
            n = int(text)
        except TypeError:
            n = 0
        """,
        """
        client, server = WebSocketPair.new().object_values()
        try:
            server.send("hi")
        except JsException:
            pass
        """,
        """
        client, server = WebSocketPair.new().object_values()
        try:
            server.send("hi")
        except (TypeError, JsException):
            pass
        """,
    ],
)
def test_except_type_error_around_python_or_catching_js_exception_is_fine(body):
    assert only(body) == set()


def test_except_typeerror_points_at_the_except_line_and_keeps_the_tuple():
    source = HEADER + textwrap.dedent("""\
        c, s = WebSocketPair.new().object_values()
        try:
            s.send("x")
        except (TypeError, KeyError) as exc:
            pass
    """)
    [finding] = lint_source(source, "w.py")
    assert finding.line == 7
    assert finding.fix == "except (JsException, KeyError) as exc:   (from wsguide.ffi import JsException)"


# ------------------------------------------------------------------ wsguide-import


@pytest.mark.parametrize(
    "body",
    [
        "from wsguide import serve",
        "import wsguide",
        "import wsguide.notebook",
        "from wsguide.notebook import EventLog",
        "from wsguide import Response, WorkerEntrypoint",
        "from wsguide.workers import WebSocketRequestResponsePair",
    ],
)
def test_wsguide_only_imports_are_flagged(body):
    assert only(body) == {"wsguide-import"}


@pytest.mark.parametrize(
    "body",
    [
        "from wsguide import workers, js, ffi",
        "import wsguide.workers as w",
        "import wsguide.js",
        "from wsguide.ffi import create_proxy",
    ],
)
def test_the_three_mirrors_are_fine(body):
    assert only(body) == set()


def test_wsguide_import_fix_names_the_mirror_that_has_the_names():
    [finding] = lint_source("from wsguide import Response, WebSocketPair\n", "w.py")
    assert finding.fix == "from wsguide.workers import Response; from wsguide.js import WebSocketPair"


# ------------------------------------------------------------------ wsguide-attribute


@pytest.mark.parametrize(
    ("body", "fix"),
    [
        (
            """
            class Default(WorkerEntrypoint):
                async def fetch(self, request):
                    if request.path == "/":
                        pass
            """,
            "urlsplit(request.url).path   (from urllib.parse import urlsplit)",
        ),
        (
            """
            class Default(WorkerEntrypoint):
                async def fetch(self, request):
                    room = self.env.ROOMS.instance("lobby")
            """,
            None,
        ),
        (
            """
            class Default(WorkerEntrypoint):
                async def fetch(self, request):
                    ns = self.env.ROOMS
                    await ns.hibernate_now("lobby")
            """,
            None,
        ),
        (
            """
            from wsguide.workers import fetch
            async def connect():
                resp = await fetch("https://example.com", headers={"Upgrade": "websocket"})
                ws = resp.webSocket
            """,
            "resp.js_object.webSocket",
        ),
        ("ws = resp.web_socket", "resp.js_object.webSocket"),
        ("ws.serialize_attachment(to_js(1))", "ws.serializeAttachment"),
        ("if event.was_clean:\n    pass", "event.wasClean"),
    ],
)
def test_wsguide_only_attributes_are_flagged(body, fix):
    findings = lint_source(HEADER + textwrap.dedent(body), "w.py")
    assert [f.rule.id for f in findings] == ["wsguide-attribute"]
    if fix is not None:
        assert findings[0].fix == fix


@pytest.mark.parametrize(
    "body",
    [
        """
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                path = urlsplit(request.url).path
                stub = self.env.ROOMS.getByName("lobby")
                ws = (await stub.fetch(request)).js_object.webSocket
        """,
        "import os\np = os.path.join('a', 'b')",
        "class Thing:\n    def __init__(self):\n        self.web_socket = None\n    def f(self):\n        return self.web_socket",
        "from wsguide.workers import Response\nr = Response(None, status=101, web_socket=client)",
    ],
)
def test_real_workers_attributes_are_fine(body):
    assert only(body) == set()


# ------------------------------------------------------------------ kit-file


@pytest.mark.parametrize(
    "body",
    [
        'from importlib import resources\npage = resources.files("wsguide").joinpath("static/chat.html").read_text()',
        'import importlib.resources\npage = importlib.resources.files("wsguide.static")',
        'page = open("wsguide/static/chat.html").read()',
        'import wsguide.js\nfrom pathlib import Path\nroot = Path(wsguide.__file__).parent',
        'import pkgutil\ndata = pkgutil.get_data("wsguide", "static/chat.html")',
    ],
)
def test_reading_kit_files_is_flagged(body):
    assert "kit-file" in only(body)


@pytest.mark.parametrize(
    "body",
    [
        'from importlib import resources\ntext = resources.files("mypkg").joinpath("x.txt").read_text()',
        'page = open("notes.txt").read()',
    ],
)
def test_reading_other_files_is_not_this_rule(body):
    assert only(body) == set()


# ------------------------------------------------------------------ suppression, files, CLI


def test_an_ignore_comment_drops_that_rule_on_that_line_only():
    body = """
        pair = WebSocketPair()  # wsguide: ignore[js-new]
        other = WebSocketPair()  # wsguide: ignore[is-runtime]
        third = WebSocketPair()  # wsguide: ignore
    """
    assert found(body) == [("js-new", 6)]


@pytest.mark.parametrize("example", ["echo.py", "chat/worker.py"])
def test_the_examples_follow_every_rule(example):
    assert [f.format() for f in lint_worker(EXAMPLES / example)] == []


def write_unsafe_worker(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "helpers.py").write_text(
        "from wsguide.js import WebSocketPair\n\n\ndef make_pair():\n    return WebSocketPair()\n",
        encoding="utf-8",
    )
    worker = folder / "worker.py"
    worker.write_text(
        textwrap.dedent("""\
            from wsguide.workers import Response, WorkerEntrypoint
            from helpers import make_pair


            class Default(WorkerEntrypoint):
                async def fetch(self, request):
                    client, server = make_pair().object_values()
                    server.accept()
                    server.addEventListener("message", lambda e: server.send(e.data))
                    return Response(None, status=101, web_socket=client)
        """),
        encoding="utf-8",
    )
    return worker


def test_lint_worker_also_checks_the_local_modules_it_imports(tmp_path):
    worker = write_unsafe_worker(tmp_path / "app")
    findings = lint_worker(worker)
    assert [(Path(f.path).name, f.line, f.rule.id) for f in findings] == [
        ("worker.py", 9, "listener-proxy"),
        ("helpers.py", 5, "js-new"),
    ]
    assert [f.rule.id for f in lint_file(worker)] == ["listener-proxy"]


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wsguide", *args], cwd=cwd, capture_output=True, text=True, timeout=60,
    )


def test_cli_lint_exits_1_and_prints_file_line_message_and_fix(tmp_path):
    worker = write_unsafe_worker(tmp_path / "app")
    result = run_cli("lint", str(worker))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{worker}:9:9: `lambda e: server.send(e.data)` (a plain Python lambda)")
    assert lines[0].endswith("[listener-proxy]")
    assert lines[1] == (
        '    fix: server.addEventListener("message", create_proxy(lambda e: server.send(e.data)))'
        "   (from wsguide.ffi import create_proxy; create_once_callable for a listener that runs only once)"
    )
    assert lines[2].startswith(f"{tmp_path / 'app' / 'helpers.py'}:5:12: `WebSocketPair()` calls the JavaScript class")
    assert lines[-1] == "2 problems: this code would not work the same on Python Workers."


def test_cli_lint_exits_0_on_a_correct_worker():
    result = run_cli("lint", "examples/echo.py")
    assert (result.returncode, result.stdout) == (0, "examples/echo.py: follows the Python Workers rules wsguide checks.\n")


def test_cli_lint_exits_2_on_a_missing_file_or_bad_syntax(tmp_path):
    assert run_cli("lint", str(tmp_path / "nope.py")).returncode == 2
    bad = tmp_path / "bad.py"
    bad.write_text("def f(:\n", encoding="utf-8")
    result = run_cli("lint", str(bad))
    assert result.returncode == 2 and "bad.py:1" in result.stderr

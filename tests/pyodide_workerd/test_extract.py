"""extract.py: finding the kit's Workers in examples and notebooks, without running them."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from .extract import (
    KitWorker,
    env_names,
    extract_module,
    extract_notebook,
    kit_workers,
    outbound_vars,
    rewrite_import,
    websocket_url_names,
)

ROOT = Path(__file__).resolve().parents[2]
ALLOWED_IMPORTS = {"workers", "js", "pyodide.ffi", "__future__", "json", "re", "time", "urllib.parse", "importlib", "asyncio"}


def rewritten(line: str) -> tuple[list[str], list[str]]:
    return rewrite_import(ast.parse(line).body[0])


def write_notebook(path: Path, *cells: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    notebook = {
        "cells": [{"cell_type": "code", "source": text, "metadata": {}, "outputs": [], "execution_count": None} for text in cells],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


def by_name(workers: list[KitWorker]) -> dict[str, KitWorker]:
    return {w.name: w for w in workers}


# ------------------------------------------------------------------ imports


def test_the_mirror_modules_become_the_real_ones():
    assert rewritten("from wsguide.workers import Response, WorkerEntrypoint") == (["from workers import Response, WorkerEntrypoint"], [])
    assert rewritten("from wsguide.js import WebSocketPair as Pair") == (["from js import WebSocketPair as Pair"], [])
    assert rewritten("from wsguide.ffi import create_proxy") == (["from pyodide.ffi import create_proxy"], [])


def test_names_from_wsguide_go_where_python_workers_has_them():
    lines, dropped = rewritten("from wsguide import Response, WebSocketPair, create_proxy, serve, WorkerEntrypoint")
    assert lines == [
        "from workers import Response, WorkerEntrypoint",
        "from js import WebSocketPair",
        "from pyodide.ffi import create_proxy",
    ]
    assert dropped == ["serve"]


def test_other_wsguide_modules_keep_only_runtime_names():
    assert rewritten("from wsguide.durable import DurableObject, HibernationBlocked") == (
        ["from workers import DurableObject"],
        ["HibernationBlocked"],
    )


# ------------------------------------------------------------------ examples


def test_an_example_keeps_its_module_and_durable_objects(tmp_path):
    path = tmp_path / "examples" / "chat" / "worker.py"
    path.parent.mkdir(parents=True)
    path.write_text(
        '"""Routes\n  /api/room/<name>/websocket   the room\n"""\n'
        "import json\n"
        "from wsguide.js import WebSocketPair\n"
        "from wsguide.workers import DurableObject, Response, WorkerEntrypoint\n\n"
        "class Room(DurableObject):\n    pass\n\n"
        "class Default(WorkerEntrypoint):\n    pass\n\n"
        'DURABLE_OBJECTS = {"ROOMS": Room}\n',
        encoding="utf-8",
    )
    (worker,) = extract_module(path, tmp_path)
    assert worker.name == "examples_chat" and worker.entrypoint == "Default"
    assert "from js import WebSocketPair\nfrom workers import DurableObject, Response, WorkerEntrypoint" in worker.source
    assert "wsguide" not in worker.source.split('"""')[-1]
    assert worker.durable_objects == {"ROOMS": "Room"}
    assert worker.websocket_path == "/api/room/lobby/websocket"


# ------------------------------------------------------------------ notebooks

IMPORTS = "from wsguide import DurableObject, Response, WebSocketPair, WorkerEntrypoint, serve\nfrom wsguide.notebook import EventLog\n"


def test_a_worker_takes_the_definitions_it_uses_from_earlier_cells(tmp_path):
    nb = write_notebook(
        tmp_path / "notebooks" / "04-x.ipynb",
        IMPORTS,
        'PAGE = "<p>hi</p>"\nUNUSED = 1\n',
        "class Echo(WorkerEntrypoint):\n    async def fetch(self, request):\n        client, server = WebSocketPair.new().object_values()\n        return Response(PAGE)\n",
        "async with serve(Echo) as srv:\n    log = EventLog()\n",
    )
    (worker,) = extract_notebook(nb, tmp_path)
    assert worker.name == "nb04_Echo" and worker.entrypoint == "Echo"
    assert 'PAGE = "<p>hi</p>"' in worker.source
    assert "UNUSED" not in worker.source
    assert "serve(" not in worker.source and "EventLog" not in worker.source
    assert "from js import WebSocketPair" in worker.source and "from workers import Response, WorkerEntrypoint" in worker.source


def test_a_methods_local_names_are_not_taken_from_the_notebook(tmp_path):
    nb = write_notebook(
        tmp_path / "notebooks" / "02-x.ipynb",
        IMPORTS,
        "pair = WebSocketPair.new()\nclient = getattr(pair, '0')\n",
        "class Default(WorkerEntrypoint):\n    async def fetch(self, request):\n        client, server = WebSocketPair.new()\n        return Response(None, status=101, web_socket=client)\n",
    )
    (worker,) = extract_notebook(nb, tmp_path)
    assert "pair = " not in worker.source and "getattr(pair" not in worker.source


def test_the_latest_definition_before_the_class_is_used(tmp_path):
    nb = write_notebook(
        tmp_path / "notebooks" / "05-x.ipynb",
        IMPORTS,
        'GREETING = "old"\n',
        'GREETING = "new"\n',
        "class Hello(WorkerEntrypoint):\n    async def fetch(self, request):\n        return Response(GREETING)\n",
        'GREETING = "after"\n',
    )
    (worker,) = extract_notebook(nb, tmp_path)
    assert 'GREETING = "new"' in worker.source and "old" not in worker.source and "after" not in worker.source


def test_values_made_by_wsguide_at_run_time_are_not_definitions(tmp_path):
    nb = write_notebook(
        tmp_path / "notebooks" / "05-x.ipynb",
        IMPORTS + "from wsguide.notebook import load_thing\n",
        "thing = load_thing()\nsrv = await serve(Hello)\n",
        "class Hello(WorkerEntrypoint):\n    async def fetch(self, request):\n        return Response(str(thing))\n",
    )
    (worker,) = extract_notebook(nb, tmp_path)
    assert "load_thing" not in worker.source and "thing = " not in worker.source


def test_serve_with_durable_objects_gives_the_binding_table(tmp_path):
    nb = write_notebook(
        tmp_path / "notebooks" / "07-x.ipynb",
        IMPORTS,
        "class Room(DurableObject):\n    async def fetch(self, request):\n        client, server = WebSocketPair.new().object_values()\n        self.ctx.acceptWebSocket(server)\n        return Response(None, status=101, web_socket=client)\n\n\n"
        "class Gateway(WorkerEntrypoint):\n    async def fetch(self, request):\n        return await self.env.ROOMS.getByName('x').fetch(request)\n",
        'async with serve(Gateway, durable_objects={"ROOMS": Room}) as srv:\n    ws = srv.ws_url + "/room/lobby"\n',
    )
    (worker,) = extract_notebook(nb, tmp_path)
    assert worker.name == "nb07_Gateway__Room"
    assert worker.durable_objects == {"ROOMS": "Room"}
    assert 'DURABLE_OBJECTS = {"ROOMS": Room}' in worker.source
    assert worker.websocket_path == "/room/lobby"
    assert worker.serves_websockets


def test_a_durable_object_reached_only_by_helpers_gets_a_generated_default(tmp_path):
    nb = write_notebook(
        tmp_path / "notebooks" / "solutions" / "08-x.ipynb",
        IMPORTS + "from wsguide.notebook import within\n",
        "class Counter(DurableObject):\n    async def increment(self):\n        return 1\n\n    def add(self, n):\n        return n\n",
        "stub = srv.env.COUNTERS.getByName('x')\nawait within(stub.increment(), 'x')\n",
    )
    (worker,) = extract_notebook(nb, tmp_path)
    assert worker.name == "nb08s_Counter" and worker.entrypoint == "Default"
    assert worker.durable_objects == {"ROOMS": "Counter"}
    assert "['increment']" in worker.source  # argument-free RPC methods only
    assert worker.rpc_only and not worker.serves_websockets
    compile(worker.source, worker.name, "exec")


def test_a_kit_worker_the_notebook_imports_is_taken_from_the_kit(tmp_path):
    package = tmp_path / "wsguide"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "helpers.py").write_text(
        "from typing import Any\nfrom urllib.parse import urlsplit\nfrom .runtime import WorkerEntrypoint\nfrom .http import Response\n\n"
        "class room_gateway(WorkerEntrypoint):\n    async def fetch(self, request: Any) -> Response:\n"
        "        name = urlsplit(request.url).path\n        return await self.env.ROOMS.getByName(name).fetch(request)\n",
        encoding="utf-8",
    )
    nb = write_notebook(
        tmp_path / "notebooks" / "08-x.ipynb",
        IMPORTS + "from wsguide.helpers import room_gateway\n",
        "class Nap(DurableObject):\n    async def fetch(self, request):\n        return Response('x')\n",
        'async with serve(room_gateway, durable_objects={"ROOMS": Nap}) as srv:\n    pass\n',
    )
    (worker,) = extract_notebook(nb, tmp_path)
    assert worker.name == "nb08_room_gateway__Nap" and worker.entrypoint == "room_gateway"
    assert "class room_gateway(WorkerEntrypoint):\n    async def fetch(self, request):" in worker.source
    assert "from urllib.parse import urlsplit" in worker.source
    assert "from workers import DurableObject, Response, WorkerEntrypoint" in worker.source
    assert "Any" not in worker.source
    compile(worker.source, worker.name, "exec")


def test_cells_that_are_not_python_are_skipped_with_a_note(tmp_path):
    nb = write_notebook(
        tmp_path / "notebooks" / "01-x.ipynb",
        IMPORTS,
        "%time 1 + 1\n",
        "class Hello(WorkerEntrypoint):\n    async def fetch(self, request):\n        return Response('hi')\n",
    )
    (worker,) = extract_notebook(nb, tmp_path)
    assert worker.notes == ("cell 1 is not Python (skipped)",)


# ------------------------------------------------------------------ vars

CLIENT = """
from js import WebSocket
import js as J
from workers import WorkerEntrypoint, fetch


class Client(WorkerEntrypoint):
    def __init__(self, ctx, env):
        self.token = env.TOKEN

    async def fetch(self, request):
        direct = WebSocket.new(self.env.DIRECT + "/x")
        url = self.env.CARRIED
        carried = WebSocket.new(url)
        module = J.WebSocket.new(f"{self.env.MODULE}")
        await fetch(self.env.API, headers={"Upgrade": "websocket"})
        self.env.ROOMS.getByName("x")
        self.env.get("METHOD")
"""


def test_env_names_are_the_attributes_read_from_env_not_the_ones_called():
    assert env_names(CLIENT) == ["API", "CARRIED", "DIRECT", "MODULE", "ROOMS", "TOKEN"]


def test_names_that_reach_websocket_new_directly_or_through_a_local_are_websocket_urls():
    assert websocket_url_names(CLIENT) == {"DIRECT", "CARRIED", "MODULE"}


def test_a_call_named_new_on_something_else_is_not_websocket_new():
    assert websocket_url_names("from js import WebSocketPair\ndef f(self):\n    WebSocketPair.new(self.env.X)\n") == set()


def test_every_unbound_env_name_gets_an_echo_url_ws_for_websocket_new_else_http():
    assert outbound_vars(CLIENT, bound={"ROOMS"}) == {
        "API": "http://echo.invalid/API",
        "CARRIED": "ws://echo.invalid/CARRIED",
        "DIRECT": "ws://echo.invalid/DIRECT",
        "MODULE": "ws://echo.invalid/MODULE",
        "TOKEN": "http://echo.invalid/TOKEN",
    }


def test_a_name_used_both_ways_gets_the_ws_url():
    both = "from js import WebSocket\nasync def f(self):\n    WebSocket.new(self.env.U)\n    await fetch(self.env.U)\n"
    assert outbound_vars(both) == {"U": "ws://echo.invalid/U"}


def test_a_worker_that_reads_no_env_gets_no_vars():
    assert outbound_vars("class A:\n    def fetch(self, request):\n        return request.url\n") == {}


def test_a_notebook_worker_gets_vars_for_what_it_reads_but_not_for_its_durable_objects(tmp_path):
    nb = write_notebook(
        tmp_path / "notebooks" / "05-x.ipynb",
        IMPORTS + "from wsguide.js import WebSocket\n",
        "class Room(DurableObject):\n    async def fetch(self, request):\n        return Response('x')\n\n\n"
        "class Asker(WorkerEntrypoint):\n    async def fetch(self, request):\n        ws = WebSocket.new(self.env.ECHO)\n"
        "        return await self.env.ROOMS.getByName('x').fetch(request)\n",
        'async with serve(Asker, durable_objects={"ROOMS": Room}, env={"ECHO": echo.ws_url}) as srv:\n    pass\n',
    )
    (worker,) = extract_notebook(nb, tmp_path)
    assert worker.vars == {"ECHO": "ws://echo.invalid/ECHO"}


# ------------------------------------------------------------------ the kit itself


def test_the_kit_has_workers_in_examples_notebooks_and_solutions():
    names = {w.name for w in kit_workers(ROOT)}
    assert {"examples_echo", "examples_chat"} <= names
    assert any(re.match(r"nb\d+_", n) for n in names)  # notebooks
    assert any(re.match(r"nb\d+s_", n) for n in names)  # their solutions


def test_every_extracted_worker_is_python_using_only_runtime_and_stdlib_imports():
    for worker in kit_workers(ROOT):
        tree = ast.parse(worker.source)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.module in ALLOWED_IMPORTS, f"{worker.name} imports from {node.module}"
            elif isinstance(node, ast.Import):
                assert {a.name for a in node.names} <= ALLOWED_IMPORTS, f"{worker.name}: {ast.unparse(node)}"
        assert any(isinstance(n, ast.ClassDef) and n.name == worker.entrypoint for n in tree.body), worker.name


def test_the_kit_has_clients_of_both_kinds_so_both_urls_are_exercised():
    schemes = {url.split(":")[0] for worker in kit_workers(ROOT) for url in worker.vars.values()}
    assert schemes == {"ws", "http"}

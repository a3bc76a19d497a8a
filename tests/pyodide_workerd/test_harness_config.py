"""What the harness writes for workerd, checked without running it."""

from __future__ import annotations

import pytest

from .harness import (
    HostError,
    WorkerSpec,
    _group,
    config_text,
    durable_objects_in,
    echo_url,
    main_module_text,
    public_methods,
    sdk_pin,
)

CHAT = '''
from workers import DurableObject, WorkerEntrypoint

class Base(DurableObject):
    async def webSocketClose(self, ws, code, reason, clean): ...

class ChatRoom(Base):
    def __init__(self, ctx, env): ...
    async def fetch(self, request): ...
    def _private(self): ...
    @staticmethod
    def helper(): ...
    async def webSocketMessage(self, ws, message): ...

class Default(WorkerEntrypoint):
    async def fetch(self, request): ...

DURABLE_OBJECTS = {"ROOMS": ChatRoom, "LOBBY": ChatRoom}
'''


def test_durable_objects_are_read_from_the_module_table():
    assert durable_objects_in(CHAT) == {"ROOMS": "ChatRoom", "LOBBY": "ChatRoom"}


def test_a_worker_without_durable_objects_has_none():
    assert durable_objects_in("x = 1\n") == {}


def test_a_computed_durable_objects_table_is_refused():
    with pytest.raises(HostError, match="dict literal"):
        durable_objects_in("DURABLE_OBJECTS = dict(ROOMS=ChatRoom)\n")


def test_public_methods_include_bases_defined_in_the_module():
    assert public_methods(CHAT, "ChatRoom") == ["fetch", "webSocketClose", "webSocketMessage"]


def test_worker_names_must_be_module_names():
    with pytest.raises(HostError):
        WorkerSpec("my-worker", CHAT)


def test_workers_with_the_same_compatibility_share_a_group():
    groups = _group(
        [
            WorkerSpec("a", CHAT),
            WorkerSpec("b", CHAT, compat_date="2025-06-01"),
            WorkerSpec("c", CHAT),
            WorkerSpec("d", CHAT, flags=("no_web_socket_compression",)),
        ]
    )
    assert [[s.name for s in g.specs] for g in groups] == [["a", "c"], ["b"], ["d"]]


def test_two_workers_cannot_share_a_name():
    with pytest.raises(HostError, match="two Workers named"):
        _group([WorkerSpec("a", CHAT), WorkerSpec("a", CHAT)])


def test_config_gives_each_worker_its_socket_and_namespaced_sqlite_bindings(tmp_path):
    groups = _group([WorkerSpec("chat", CHAT), WorkerSpec("old", CHAT, compat_date="2025-06-01")])
    text = config_text(groups, tmp_path)
    assert '(name = "chat", address = "127.0.0.1:0", http = (), service = (name = "py0", entrypoint = "worker_chat__Default"))' in text
    assert '(name = "worker_chat__ROOMS", durableObjectNamespace = "worker_chat__ChatRoom")' in text
    assert '(name = "worker_chat__LOBBY", durableObjectNamespace = "worker_chat__ChatRoom")' in text
    assert text.count('className = "worker_chat__ChatRoom"') == 1
    assert "enableSql = true" in text
    assert f'path = "{tmp_path / "py1"}", writable = true' in text
    assert 'compatibilityDate = "2025-06-01"' in text
    assert "structuredLogging = true" in text
    assert "127.0.0.1:0" in text and "*:" not in text


def test_main_module_exports_one_class_per_entrypoint():
    (group,) = _group([WorkerSpec("chat", CHAT)])
    text = main_module_text(group)
    assert 'export const worker_chat__Default = pythonEntrypoint("worker_chat", "Default", ["fetch"]);' in text
    assert (
        'export const worker_chat__ChatRoom = pythonDurableObject("worker_chat", "ChatRoom", '
        '["fetch", "webSocketClose", "webSocketMessage"]);'
    ) in text
    assert 'import source0 from "./worker_chat.py";' in text


def test_the_sdk_is_pinned_by_version_and_hash():
    name, version, sha256 = sdk_pin()
    assert (name, version) == ("workers-runtime-sdk", "1.9.5")
    assert len(sha256) == 64


# ------------------------------------------------------------------ local modules

APP = '''
from workers import Response, WorkerEntrypoint
from rooms import Room
import texts

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(texts.GREETING)

DURABLE_OBJECTS = {"ROOMS": Room}
'''
ROOMS = {
    "rooms/__init__.py": "from .room import Room\n",
    "rooms/room.py": "from workers import DurableObject\n\nclass Room(DurableObject):\n    async def fetch(self, request): ...\n",
    "texts.py": "GREETING = 'hello'\n",
}


def test_local_modules_are_embedded_beside_the_worker_module(tmp_path):
    groups = _group([WorkerSpec("app", APP, modules=ROOMS)])
    text = config_text(groups, tmp_path)
    for path in ("worker_app.py", "rooms/__init__.py", "rooms/room.py", "texts.py"):
        assert f'(name = "{path}", text = embed "{path}")' in text
    main = main_module_text(groups[0])
    assert 'import file1 from "./rooms/room.py";' in main
    assert 'registerFiles({ "rooms/__init__.py": file0, "rooms/room.py": file1, "texts.py": file2 });' in main


def test_a_durable_object_class_from_a_local_module_gets_its_methods():
    (group,) = _group([WorkerSpec("app", APP, modules=ROOMS)])
    assert 'pythonDurableObject("worker_app", "Room", ["fetch"]);' in main_module_text(group)


def test_local_module_paths_must_be_python_module_paths():
    with pytest.raises(HostError, match="local module path '../x.py'"):
        WorkerSpec("app", APP, modules={"../x.py": ""})


def test_two_workers_of_one_group_cannot_both_have_a_module_of_one_name():
    with pytest.raises(HostError, match="'a' and 'b' both have a module 'texts'"):
        _group([WorkerSpec("a", APP, modules={"texts.py": ""}), WorkerSpec("b", APP, modules={"texts/__init__.py": ""})])
    # In different compatibility groups they do not meet.
    _group([WorkerSpec("a", APP, modules={"texts.py": ""}), WorkerSpec("b", APP, modules={"texts.py": ""}, compat_date="2025-06-01")])


# ------------------------------------------------------------------ vars and the outbound echo


def test_vars_are_text_bindings_under_the_workers_own_prefix(tmp_path):
    (group,) = _group([WorkerSpec("asker", "x = 1\n", vars={"ECHO_URL": 'ws://echo.invalid/"q"'})])
    assert '(name = "worker_asker__ECHO_URL", text = "ws://echo.invalid/\\"q\\"")' in config_text([group], tmp_path)


def test_every_worker_sends_its_outbound_traffic_to_the_echo_service(tmp_path):
    groups = _group([WorkerSpec("a", CHAT), WorkerSpec("b", CHAT, compat_date="2025-06-01")])
    text = config_text(groups, tmp_path)
    assert '(name = "outbound-echo", worker = .echo)' in text
    assert 'modules = [(name = "echo.mjs", esModule = embed "echo.mjs")]' in text
    assert text.count('globalOutbound = (name = "outbound-echo"),') == 2


def test_a_var_name_must_be_a_python_name():
    with pytest.raises(HostError, match="var 'ECHO-URL': a Python name bound to a string"):
        WorkerSpec("a", "x = 1\n", vars={"ECHO-URL": "ws://echo.invalid/"})


def test_a_var_value_must_be_a_string():
    with pytest.raises(HostError, match="var 'PORT': a Python name bound to a string"):
        WorkerSpec("a", "x = 1\n", vars={"PORT": 8080})


def test_a_var_cannot_share_a_name_with_a_durable_object_binding():
    with pytest.raises(HostError, match="ROOMS is both a var and a Durable Object binding"):
        WorkerSpec("chat", CHAT, vars={"ROOMS": "http://echo.invalid/"})


def test_echo_urls_name_a_host_that_never_resolves():
    assert echo_url("ws", "/ECHO_URL") == "ws://echo.invalid/ECHO_URL"
    assert echo_url() == "http://echo.invalid/"


def test_echo_urls_are_http_or_ws_only():
    with pytest.raises(HostError, match="scheme 'wss'"):
        echo_url("wss")

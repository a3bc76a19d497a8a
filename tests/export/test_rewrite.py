"""The import rewrite of `wsguide export`: only the mirror imports change, everything else stays."""

from __future__ import annotations

import textwrap

import pytest

from wsguide.export import ExportError, read_settings, rewrite_imports


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("from wsguide.workers import Response, WorkerEntrypoint\n", "from workers import Response, WorkerEntrypoint\n"),
        ("from wsguide.js import WebSocketPair\n", "from js import WebSocketPair\n"),
        ("from wsguide.ffi import create_proxy, to_js\n", "from pyodide.ffi import create_proxy, to_js\n"),
        ("import wsguide.workers as w\n", "import workers as w\n"),
        ("import wsguide.ffi as ffi, json\n", "import pyodide.ffi as ffi, json\n"),
        ("from wsguide import js\n", "import js\n"),
        ("from wsguide import workers as w, ffi\n", "import workers as w; from pyodide import ffi\n"),
        (
            "import wsguide.js\npair = wsguide.js.WebSocketPair.new()\n",
            "import js\npair = js.WebSocketPair.new()\n",
        ),
        (
            "import wsguide.ffi\np = wsguide.ffi.create_proxy(f)\n",
            "import pyodide.ffi\np = pyodide.ffi.create_proxy(f)\n",
        ),
    ],
)
def test_mirror_imports_become_the_real_modules(before, after):
    assert rewrite_imports(before) == after


def test_comments_layout_and_line_numbers_survive():
    before = textwrap.dedent('''\
        """Docstring: from wsguide.workers import Response stays as it is here."""
        # A comment about wsguide.js
        from wsguide.workers import (  # the Python classes
            Response,
            WorkerEntrypoint,  # base class
        )
        from wsguide.js import WebSocketPair   # two spaces before this comment

        def f():
            from wsguide.ffi import create_proxy  # an import inside a function
            return "wsguide.js"
    ''')
    after = rewrite_imports(before)
    assert after == before.replace("from wsguide.workers import (", "from workers import (").replace(
        "from wsguide.js import WebSocketPair", "from js import WebSocketPair"
    ).replace("from wsguide.ffi import create_proxy", "from pyodide.ffi import create_proxy")
    assert after.count("\n") == before.count("\n")


def test_a_multi_line_from_wsguide_import_keeps_its_line_count():
    before = "from wsguide import (\n    workers,\n    js,\n)\nx = 1\n"
    after = rewrite_imports(before)
    assert after.count("\n") == before.count("\n")
    assert after.splitlines()[-1] == "x = 1"
    namespace: dict = {}
    compiled = compile(after.replace("import workers, js", "pass"), "t", "exec")
    exec(compiled, namespace)  # still valid Python with the same statements
    assert namespace["x"] == 1


def test_other_imports_are_left_alone():
    source = "from wsguide import serve\nimport wsguide.notebook\nimport json\nfrom wsguidance import x\n"
    assert rewrite_imports(source) == source


def test_non_ascii_text_before_an_import_on_the_same_line_keeps_offsets_right():
    source = 's = "é"; from wsguide.js import WebSocketPair\n'
    assert rewrite_imports(source) == 's = "é"; from js import WebSocketPair\n'


# ------------------------------------------------------------------ settings


def test_settings_are_read_without_running_the_file():
    source = textwrap.dedent('''\
        import sys
        sys.exit("never run")
        class ChatRoom: ...
        from rooms import Lobby
        DURABLE_OBJECTS = {"ROOMS": ChatRoom, "LOBBY": Lobby}
        COMPATIBILITY_DATE = "2026-03-01"
        COMPATIBILITY_FLAGS = ["no_web_socket_compression"]
        ASSETS: str = "public"
    ''')
    settings = read_settings(source)
    assert settings.durable_objects == {"ROOMS": "ChatRoom", "LOBBY": "Lobby"}
    assert settings.compatibility_date == "2026-03-01"
    assert settings.compatibility_flags == ["no_web_socket_compression"]
    assert settings.assets == "public"


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("DURABLE_OBJECTS = dict(ROOMS=Room)\n", "write DURABLE_OBJECTS as a literal dict"),
        ("DURABLE_OBJECTS = {'ROOMS': Missing}\n", "neither defines nor imports a class Missing"),
        ("COMPATIBILITY_DATE = date.today()\n", "COMPATIBILITY_DATE must be a plain string"),
        ("COMPATIBILITY_FLAGS = 'nodejs_compat'\n", "write COMPATIBILITY_FLAGS as a list of strings"),
    ],
)
def test_settings_that_cannot_be_read_statically_are_errors_with_the_line(source, says):
    with pytest.raises(ExportError) as info:
        read_settings(source, "w.py")
    assert str(info.value).startswith("w.py:1: ") and says in str(info.value)

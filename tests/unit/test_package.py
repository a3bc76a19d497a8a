"""The top-level package: every public name resolves, and the server loads only when used."""

from __future__ import annotations

import subprocess
import sys

import wsguide


def test_every_public_name_resolves():
    for name in wsguide.__all__:
        assert getattr(wsguide, name) is not None, name


def test_import_wsguide_does_not_load_the_server_or_asyncio():
    code = "import sys, wsguide; print(sorted(m for m in ('wsguide.net', 'asyncio', 'h11', 'sqlite3') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_serve_from_the_package_installs_the_rerun_hook():
    code = (
        "import wsguide; from wsguide.net.server import Server; from wsguide.teach.reruns import _replace_previous\n"
        "assert _replace_previous not in Server.before_await_start\n"
        "wsguide.serve\n"
        "print(_replace_previous in Server.before_await_start)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_a_pair_delivers_events_before_anything_loads_the_server():
    code = (
        "import asyncio\n"
        "from wsguide.js import WebSocketPair\n"
        "async def main():\n"
        "    client, server = WebSocketPair.new().object_values()\n"
        "    client.accept(); server.accept()\n"
        "    got = asyncio.get_running_loop().create_future()\n"
        "    server.onmessage = lambda event: got.set_result(event.data)\n"
        "    client.send('hello')\n"
        "    print(await asyncio.wait_for(got, 5))\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "hello"

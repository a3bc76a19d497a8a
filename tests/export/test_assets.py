"""Static assets (ASSETS = "public"): served before the Worker, never outside their folder."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from pathlib import Path

import pytest

from wsguide import serve
from wsguide.net.assets import assets_folder, static_file
from wsguide.workerfile import load_worker_module

TIMEOUT = 5.0 * float(os.environ.get("WSGUIDE_TIMEOUT_FACTOR", "1"))

needs_symlinks = pytest.mark.skipif(sys.platform == "win32", reason="needs symbolic links")


@pytest.fixture
def site(tmp_path):
    """app/worker.py (answers every request itself: 'worker saw <path>') and app/public/."""
    app = tmp_path / "app"
    public = app / "public"
    (public / "docs").mkdir(parents=True)
    (public / "index.html").write_text("<h1>home</h1>", encoding="utf-8")
    (public / "style.css").write_text("h1 {}", encoding="utf-8")
    (public / "docs" / "index.html").write_text("<h1>docs</h1>", encoding="utf-8")
    (public / "a b.txt").write_text("spaced", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (app / "worker.py").write_text(
        textwrap.dedent("""\
            from urllib.parse import urlsplit

            from wsguide.workers import Response, WorkerEntrypoint


            class Default(WorkerEntrypoint):
                async def fetch(self, request):
                    return Response("worker saw " + urlsplit(request.url).path, status=404)


            ASSETS = "public"
        """),
        encoding="utf-8",
    )
    return app


# ------------------------------------------------------------------ mapping a path to a file


@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("/", "index.html"),
        ("/?room=lobby", "index.html"),
        ("/style.css", "style.css"),
        ("/docs/", "docs/index.html"),
        ("/a%20b.txt", "a b.txt"),
        ("//style.css", "style.css"),
    ],
)
def test_paths_that_name_a_file_get_it(site, url, file):
    root = site / "public"
    assert static_file(root, url) == (root / file).resolve()


@pytest.mark.parametrize(
    "url",
    [
        "/api/room/x/websocket",  # no such file: the Worker answers
        "/docs",  # a folder without the slash: the Worker answers (no redirect here)
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/docs/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/index.html%00.css",
        "/./index.html",
    ],
)
def test_other_paths_and_escapes_are_not_files(site, url):
    assert static_file(site / "public", url) is None


@needs_symlinks
def test_a_symbolic_link_out_of_the_folder_is_not_served(site, tmp_path):
    (site / "public" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (site / "public" / "alias.css").symlink_to(site / "public" / "style.css")
    assert static_file(site / "public", "/leak.txt") is None
    assert static_file(site / "public", "/alias.css") == (site / "public" / "style.css").resolve()


def test_assets_folder_is_relative_to_the_worker_file(site, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    module = load_worker_module(site / "worker.py")
    assert assets_folder(module) == (site / "public").resolve()
    assert assets_folder(module, assets=site) == site.resolve()
    assert assets_folder(object()) is None


def test_a_missing_assets_folder_is_an_error_at_start(site):
    (site / "worker.py").write_text(
        (site / "worker.py").read_text(encoding="utf-8").replace('"public"', '"static"'), encoding="utf-8"
    )
    module = load_worker_module(site / "worker.py")
    with pytest.raises(FileNotFoundError, match="ASSETS = 'static'"):
        serve(module)


# ------------------------------------------------------------------ over a real socket


async def http(port: int, request: str) -> tuple[str, dict[str, str], bytes]:
    """Send one raw HTTP/1.1 request; return the status line, headers and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request.encode("latin-1"))
        await writer.drain()
        async with asyncio.timeout(TIMEOUT):
            data = await reader.read()  # the server closes after one response
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return status, headers, body


def get(path: str, method: str = "GET") -> str:
    # Connection: close — one request, then the server ends the connection (HTTP/1.1 keeps it alive).
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


async def test_get_of_a_static_file_is_served_before_the_worker(site):
    module = load_worker_module(site / "worker.py")
    async with serve(module, echo_log=False) as srv:
        status, headers, body = await http(srv.port, get("/"))
        css = await http(srv.port, get("/style.css"))
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-length"] == str(len(body)) and body == b"<h1>home</h1>"
    assert css[1]["content-type"] == "text/css; charset=utf-8" and css[2] == b"h1 {}"


async def test_head_gets_the_headers_without_the_body(site):
    module = load_worker_module(site / "worker.py")
    async with serve(module, echo_log=False) as srv:
        status, headers, body = await http(srv.port, get("/", method="HEAD"))
    assert (status, headers["content-length"], body) == ("HTTP/1.1 200 OK", "13", b"")


@pytest.mark.parametrize("path", ["/nothing-here", "/../secret.txt", "/%2e%2e/secret.txt", "/docs/..%2f..%2fsecret.txt"])
async def test_every_other_request_reaches_the_worker(site, path):
    module = load_worker_module(site / "worker.py")
    async with serve(module, echo_log=False) as srv:
        status, _headers, body = await http(srv.port, get(path))
    assert status == "HTTP/1.1 404 Not Found"
    assert body.startswith(b"worker saw /")


async def test_the_chat_page_and_its_websocket_both_work(tmp_path):
    from websockets.asyncio.client import connect

    chat = load_worker_module(Path(__file__).resolve().parents[2] / "examples" / "chat" / "worker.py")
    async with serve(chat, durable_objects=chat.DURABLE_OBJECTS, persist=False, echo_log=False) as srv:
        status, headers, body = await http(srv.port, get("/?room=lobby"))
        async with connect(srv.ws_url + "/echo", proxy=None) as ws:
            await ws.send("still the Worker")
            async with asyncio.timeout(TIMEOUT):
                echoed = await ws.recv()
    assert status == "HTTP/1.1 200 OK" and b"<html" in body.lower()
    assert echoed == "still the Worker"


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT, which Windows delivers differently")
async def test_wsguide_dev_serves_the_chat_page_from_its_assets_folder():
    import re
    import signal

    root = Path(__file__).resolve().parents[2]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wsguide", "dev", "examples/chat/worker.py", "--port", "0", "--in-memory",
        cwd=root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        banner = ""
        async with asyncio.timeout(TIMEOUT * 3):
            while "Ready on" not in banner:
                line = await proc.stdout.readline()
                assert line, f"wsguide dev exited early: {banner}{(await proc.stderr.read()).decode()}"
                banner += line.decode()
        assert f"  static files: {root / 'examples' / 'chat' / 'public'} (served before the Worker" in banner
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)", banner).group(1))
        status, headers, body = await http(port, get("/"))
        assert status == "HTTP/1.1 200 OK"
        assert body == (root / "examples" / "chat" / "public" / "index.html").read_bytes()
        proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(TIMEOUT):
            await proc.communicate()
        assert proc.returncode == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

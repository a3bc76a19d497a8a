"""The HTTP/1.1 front (h11): methods, bodies, keep-alive, pipelining and limits, over real sockets.

Every request here is written byte by byte on a raw TCP connection, so what is tested is
what a client sees on the wire. The Workers are Python Workers (tests/network/workers.py), but
for ``Streamer``, served with ``pyodide=False`` (its docstring says why).
"""

from __future__ import annotations

import asyncio
import json

import pytest

from wsguide import serve
from wsguide.workers import Response, WorkerEntrypoint

from .helpers import Limits, bounded, connection_ends, open_http, read_answer, request_bytes
from .workers import Echo, Mirror, Pages, Slow, Streamer

#: Small limits so the tests send little; timeouts short so slow clients are cut quickly.
FAST = Limits(url=256, headers=1024, body=1000, header_timeout=0.2, idle_timeout=0.2)


async def ask(port: int, data: bytes, *, method: str = "GET"):
    reader, writer = await open_http(port)
    try:
        writer.write(data)
        return await read_answer(reader, method=method)
    finally:
        writer.close()


# ------------------------------------------------------------------ methods and bodies
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
async def test_a_request_body_reaches_the_worker_with_its_method(method):
    async with serve(Mirror) as srv:
        answer = await ask(srv.port, request_bytes(method, "/items/1", {"Content-Type": "text/plain"}, b"hello body"))
    seen = json.loads(answer.body)
    assert (answer.status, seen["method"], seen["path"], seen["body"]) == (200, method, "/items/1", "hello body")
    assert seen["content_type"] == "text/plain"


async def test_delete_reaches_the_worker_as_delete():
    async with serve(Mirror) as srv:
        answer = await ask(srv.port, request_bytes("DELETE", "/items/7"))
    assert json.loads(answer.body)["method"] == "DELETE"


async def test_a_chunked_request_body_arrives_whole():
    data = request_bytes("POST", "/c", {"Transfer-Encoding": "chunked"}) + b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    async with serve(Mirror) as srv:
        answer = await ask(srv.port, data)
    assert json.loads(answer.body)["body"] == "hello world"


async def test_request_json_parses_a_posted_document():
    class Adder(WorkerEntrypoint):
        async def fetch(self, request):
            numbers = await request.json()
            return Response(str(sum(numbers)))

    async with serve(Adder) as srv:
        answer = await ask(srv.port, request_bytes("POST", "/", {"Content-Type": "application/json"}, b"[1, 2, 39]"))
    assert answer.body == b"42"


async def test_head_gets_the_headers_of_get_and_no_body():
    async with serve(Pages) as srv:
        reader, writer = await open_http(srv.port)
        writer.write(request_bytes("HEAD", "/hello") + request_bytes("GET", "/hello"))
        head = await read_answer(reader, method="HEAD")
        get = await read_answer(reader)  # the next answer starts right after the head: no body came
        writer.close()
    assert head.status == 200
    assert head.headers["content-length"] == str(len(b"HEAD /hello"))
    assert head.body == b""
    assert get.body == b"GET /hello"


async def test_a_streamed_body_is_sent_chunked():
    async with serve(Streamer, pyodide=False) as srv:
        answer = await ask(srv.port, request_bytes("GET", "/"))
    assert answer.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in answer.headers
    assert answer.body == b"one,two,three"


async def test_a_streamed_body_ends_with_the_connection_for_http_1_0():
    async with serve(Streamer, pyodide=False) as srv:
        reader, writer = await open_http(srv.port)
        writer.write(request_bytes("GET", "/", version="HTTP/1.0"))
        answer = await read_answer(reader)
        writer.close()
    assert "transfer-encoding" not in answer.headers
    assert answer.body == b"one,two,three"


async def test_an_unknown_method_is_501_as_in_workerd():
    async with serve(Mirror) as srv:
        answer = await ask(srv.port, request_bytes("BREW", "/pot"))
    assert (answer.status, answer.body) == (501, b"ERROR: Unrecognized request method.")


async def test_a_method_kj_knows_beyond_the_common_ones_reaches_the_worker():
    # kj knows WebDAV's, Subversion's and UPnP's methods too (KJ_HTTP_FOR_EACH_METHOD). The SDK's
    # request.method is an http.HTTPMethod, which has no PROPFIND: read the JavaScript Request's.
    class Dav(WorkerEntrypoint):
        async def fetch(self, request):
            return Response(request.js_object.method)

    async with serve(Dav) as srv:
        answer = await ask(srv.port, request_bytes("PROPFIND", "/files"))
    assert (answer.status, answer.body) == (200, b"PROPFIND")


# ------------------------------------------------------------------ connections
async def test_keep_alive_answers_several_requests_on_one_connection():
    async with serve(Mirror) as srv:
        reader, writer = await open_http(srv.port)
        paths = []
        for i in range(3):
            writer.write(request_bytes("GET", f"/n/{i}"))
            answer = await read_answer(reader)
            paths.append(json.loads(answer.body)["path"])
        writer.close()
    assert paths == ["/n/0", "/n/1", "/n/2"]
    assert "connection" not in answer.headers  # workerd sends none on a kept-alive answer


async def test_pipelined_requests_are_answered_in_order():
    async with serve(Mirror) as srv:
        reader, writer = await open_http(srv.port)
        writer.write(b"".join(request_bytes("POST", f"/p/{i}", body=f"body {i}".encode()) for i in range(5)))
        answers = [await read_answer(reader) for _ in range(5)]
        writer.close()
    assert [json.loads(a.body)["body"] for a in answers] == [f"body {i}" for i in range(5)]


async def test_connection_close_from_the_client_is_honoured():
    async with serve(Mirror) as srv:
        reader, writer = await open_http(srv.port)
        writer.write(request_bytes("GET", "/", {"Connection": "close"}))
        answer = await read_answer(reader)
        rest = await connection_ends(reader, "the server to close")
        writer.close()
    assert answer.headers["connection"] == "close"
    assert rest == b""


async def test_http_1_0_gets_its_answer_and_the_connection_closes():
    async with serve(Mirror) as srv:
        reader, writer = await open_http(srv.port)
        writer.write(b"GET /old HTTP/1.0\r\n\r\n")
        answer = await read_answer(reader)
        rest = await connection_ends(reader, "the server to close")
        writer.close()
    assert answer.status == 200
    assert json.loads(answer.body)["path"] == "/old"
    assert rest == b""


async def test_expect_100_continue_gets_a_100_before_the_body_is_sent():
    async with serve(Mirror) as srv:
        reader, writer = await open_http(srv.port)
        writer.write(request_bytes("POST", "/up", {"Expect": "100-continue", "Content-Length": "5"}))
        interim = await read_answer(reader)
        writer.write(b"hello")
        final = await read_answer(reader)
        writer.close()
    assert interim.status == 100
    assert (final.status, json.loads(final.body)["body"]) == (200, "hello")


# ------------------------------------------------------------------ what is refused
async def test_a_request_without_host_is_400():
    async with serve(Mirror) as srv:
        answer = await ask(srv.port, b"GET / HTTP/1.1\r\n\r\n")
    assert answer.status == 400
    assert answer.body.startswith(b"ERROR: ") and b"Host" in answer.body


async def test_garbage_gets_400_with_a_body_and_the_server_keeps_serving():
    async with serve(Mirror) as srv:
        reader, writer = await open_http(srv.port)
        writer.write(b"\x00\xff not http at all\r\n\r\n")
        answer = await read_answer(reader)
        rest = await connection_ends(reader, "the server to close")
        writer.close()
        after = await ask(srv.port, request_bytes("GET", "/still"))
    assert answer.status == 400
    assert answer.headers["content-type"] == "text/plain"
    assert answer.body.startswith(b"ERROR: ")
    assert rest == b""
    assert after.status == 200


async def test_a_request_line_over_the_limit_is_414():
    async with serve(Mirror, limits=FAST) as srv:
        answer = await ask(srv.port, request_bytes("GET", "/" + "a" * 300))
    assert answer.status == 414
    assert answer.body == b"ERROR: The request line is longer than 256 bytes (the limit on URLs)."


async def test_a_request_line_that_never_ends_is_414():
    async with serve(Mirror, limits=FAST) as srv:
        answer = await ask(srv.port, b"GET /" + b"a" * 6000)
    assert answer.status == 414


async def test_headers_over_the_limit_are_431():
    async with serve(Mirror, limits=FAST) as srv:
        answer = await ask(srv.port, request_bytes("GET", "/", {f"X-Filler-{i}": "v" * 100 for i in range(20)}))
    assert answer.status == 431
    assert answer.body == b"ERROR: The request headers are larger than 1,024 bytes."


async def test_headers_that_never_end_are_431():
    async with serve(Mirror, limits=FAST) as srv:
        answer = await ask(srv.port, b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 800)
    assert answer.status == 431


async def test_a_body_declared_over_the_limit_is_413_before_it_is_read():
    async with serve(Mirror, limits=FAST) as srv:
        answer = await ask(srv.port, request_bytes("POST", "/", {"Content-Length": "5000"}))
    assert answer.status == 413
    assert b"larger than 1,000 bytes" in answer.body


async def test_a_chunked_body_that_grows_over_the_limit_is_413():
    chunk = b"200\r\n" + b"x" * 0x200 + b"\r\n"
    async with serve(Mirror, limits=FAST) as srv:
        answer = await ask(srv.port, request_bytes("POST", "/", {"Transfer-Encoding": "chunked"}) + chunk * 3)
    assert answer.status == 413


async def test_the_default_limits_are_cloudflares_and_workerds():
    limits = Limits()
    assert (limits.url, limits.headers, limits.body) == (16 * 1024, 128 * 1024, 100 * 1024 * 1024)
    assert (limits.header_timeout, limits.idle_timeout) == (15.0, 5.0)


# ------------------------------------------------------------------ slow clients
async def test_a_client_that_never_finishes_its_headers_gets_408():
    async with serve(Mirror, limits=FAST) as srv:
        reader, writer = await open_http(srv.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # ... and nothing more
        answer = await read_answer(reader)
        rest = await connection_ends(reader, "the server to close")
        writer.close()
    assert answer.status == 408
    assert answer.body == b"ERROR: Timed out waiting for initial request headers."
    assert rest == b""


async def test_a_kept_alive_connection_without_a_new_request_is_closed():
    async with serve(Mirror, limits=FAST) as srv:
        reader, writer = await open_http(srv.port)
        writer.write(request_bytes("GET", "/"))
        await read_answer(reader)
        rest = await connection_ends(reader, "the idle connection to be closed")
        writer.close()
    assert rest == b""  # closed without a word, as kj does after its pipeline timeout


async def test_the_next_request_head_must_also_come_in_time():
    async with serve(Mirror, limits=FAST) as srv:
        reader, writer = await open_http(srv.port)
        writer.write(request_bytes("GET", "/") + b"GET /next HTTP/1.1\r\n")
        await read_answer(reader)
        answer = await read_answer(reader)
        writer.close()
    assert (answer.status, answer.body) == (408, b"ERROR: Timed out waiting for next request headers.")


async def test_the_workers_fetch_has_no_deadline():
    # The server's own timers are tiny here, and one of them fires on another connection while
    # this fetch still runs; the fetch is not cut, and its answer arrives when it is ready.
    Slow.reset()
    async with serve(Slow, limits=FAST) as srv:
        reader, writer = await open_http(srv.port)
        writer.write(request_bytes("GET", "/slow"))
        await bounded(Slow.started.wait(), "the Worker's fetch to start")
        idle_reader, idle_writer = await open_http(srv.port)
        timed_out = await read_answer(idle_reader)  # a client that sends nothing is cut (408)
        idle_writer.close()
        assert not reader.at_eof()  # the slow request is still open (its answer below comes first)
        Slow.release.set()
        answer = await read_answer(reader)
        writer.close()
    assert timed_out.status == 408
    assert (answer.status, answer.body) == (200, b"done")
    assert srv.log.texts("warn") == []


async def test_a_client_that_leaves_during_fetch_is_logged():
    Slow.reset()
    async with serve(Slow, echo_log=False) as srv:
        reader, writer = await open_http(srv.port)
        writer.write(request_bytes("GET", "/leaving"))
        await bounded(Slow.started.wait(), "the Worker's fetch to start")
        writer.transport.abort()
        logged = asyncio.Event()
        srv.log.watch(lambda line: logged.set())
        await bounded(logged.wait(), "a line in the Worker log")
        Slow.release.set()
    assert srv.log.texts("warn") == [
        "The client closed the connection while the Worker's fetch() was handling GET /leaving."
    ]


async def test_an_upgrade_request_then_plain_requests_share_nothing():
    # A 426 to an upgrade request keeps the connection for the next request (workerd does).
    async with serve(Echo) as srv:
        reader, writer = await open_http(srv.port)
        writer.write(request_bytes("GET", "/", {"Upgrade": "WebSocket", "Connection": "Upgrade"}))
        refused = await read_answer(reader)
        writer.write(request_bytes("GET", "/again"))
        again = await read_answer(reader)
        writer.close()
    assert (refused.status, again.status) == (426, 426)
    assert "connection" not in refused.headers

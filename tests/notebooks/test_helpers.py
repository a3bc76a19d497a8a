"""The learner helpers behind the notebooks: waits, event logs, self-checks, the wire tap, the set-up check."""

from __future__ import annotations

import asyncio
import struct

import pytest
from websockets.asyncio.client import connect

from wsguide import doctor, serve
from wsguide.ffi import create_proxy, to_js
from wsguide.js import WebSocket, WebSocketPair, console
from wsguide.workers import Response, WorkerEntrypoint, fetch
from wsguide.notebook import (
    EventLog,
    WaitTimeout,
    check_close,
    check_compression,
    check_echo,
    check_fetch_upgrade,
    check_pair,
    check_upgrade_check,
    next_event,
    show_log,
    wait_for_events,
    wait_for_log,
    wire_tap,
)
from wsguide.teach.waits import _timeout_factor


class GuideEcho(WorkerEntrypoint):
    async def fetch(self, request):
        if request.headers.get("Upgrade") != "websocket":
            return Response("Expected Upgrade: websocket", status=426)
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_message(event):
            console.log("got", event.data)
            server.send(event.data)

        server.addEventListener("message", create_proxy(on_message))
        return Response(None, status=101, web_socket=client)


class BinaryEcho(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()
        server.binaryType = "arraybuffer"
        server.addEventListener("message", create_proxy(lambda event: server.send(event.data)))
        return Response(None, status=101, web_socket=client)


class NoCheck(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("hello")


# -- timeouts -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "factor"), [("", 1.0), ("10", 10.0), ("0.5", 0.5), ("zero", 1.0), ("-3", 1.0)]
)
def test_timeout_factor_comes_from_the_environment(monkeypatch, raw, factor):
    monkeypatch.setenv("WSGUIDE_TIMEOUT_FACTOR", raw)
    assert _timeout_factor() == factor


# -- event log and waits --------------------------------------------------------------
async def test_event_log_records_both_ends_in_a_stable_order():
    client, server = WebSocketPair.new().object_values()
    log = EventLog(client=client, server=server)
    client.accept()
    server.accept()
    client.send("one")
    client.send(to_js(b"\x01"))
    server.close(1000, "bye")
    await wait_for_events(log, 4)
    assert log.lines(by_source=True) == [
        "client: close code=1000 reason='bye' wasClean=True",
        "server: message 'one'",
        "server: message Blob(size=1)",
        "server: close code=1000 reason='bye' wasClean=True",
    ]


async def test_a_wait_that_expires_says_what_it_waited_for():
    client, server = WebSocketPair.new().object_values()
    log = EventLog(server=server)
    client.accept()
    client.send("waiting")  # the server end is not accepted: nothing arrives
    with pytest.raises(WaitTimeout) as info:
        await wait_for_events(log, 1, timeout=0.05)
    assert isinstance(info.value, TimeoutError)
    text = str(info.value)
    assert "1 event" in text and "accept()" in text and "WSGUIDE_TIMEOUT_FACTOR" in text


async def test_next_event_stops_early_when_the_socket_closes():
    client, server = WebSocketPair.new().object_values()
    client.accept()
    server.accept()
    server.close()
    with pytest.raises(WaitTimeout, match="close code=1005"):
        await next_event(client, "message", timeout=5)


async def test_wait_for_log_returns_the_line():
    async with serve(GuideEcho, echo_log=False) as srv:
        ws = WebSocket.new(srv.ws_url)
        await next_event(ws, "open")
        ws.send("hi")
        assert await wait_for_log(srv, "got") == "got hi"
        ws.close(1000)
        await next_event(ws, "close")


def test_show_log_shortens_tracebacks(capsys):
    from wsguide.core.log import WorkerLog

    log = WorkerLog()
    log.write("log", "plain line")
    log.write("error", "Something failed:\nTraceback (most recent call last):\n  File x\nValueError: boom")
    show_log(log)
    out = capsys.readouterr().out
    assert "plain line" in out and "[error] Something failed:" in out and "ValueError: boom" in out
    assert "File x" not in out


# -- self-checks ----------------------------------------------------------------------
async def test_check_upgrade_check_passes_the_guide_worker_but_not_mixed_case():
    assert (await check_upgrade_check(GuideEcho)).ok
    result = await check_upgrade_check(GuideEcho, mixed_case=True)
    assert not result.ok
    assert "✘ Upgrade: WebSocket was refused because" in str(result)
    assert "— try" in str(result)


async def test_check_upgrade_check_explains_a_missing_426():
    result = await check_upgrade_check(NoCheck)
    assert not result.ok
    assert "did not get 426 because it got status 200" in str(result)


async def test_check_echo_catches_the_blob_echo_and_passes_the_fix():
    guide = await check_echo(GuideEcho)
    assert not guide.ok
    assert "[object Blob]" in str(guide)
    assert (await check_echo(BinaryEcho)).ok


def test_check_pair_and_close():
    client, server = WebSocketPair.new().object_values()
    assert check_pair(client, server).ok
    _, other_server = WebSocketPair.new().object_values()
    assert not check_pair(client, other_server).ok


async def test_check_close_reads_a_close_event_the_worker_got():
    client, server = WebSocketPair.new().object_values()
    client.accept()
    server.accept()
    server.close()
    event = await next_event(client, "close")
    assert check_close(event, 1005, was_clean=True).ok
    assert not check_close(event, 1000).ok


async def test_check_fetch_upgrade_wants_the_socket_accepted():
    async with serve(BinaryEcho, echo_log=False) as srv:
        resp = await fetch(srv.url, headers={"Upgrade": "websocket"})
        before = check_fetch_upgrade(resp)
        ws = resp.js_object.webSocket
        ws.accept()
        after = check_fetch_upgrade(resp)
        ws.close(1000)
        await next_event(ws, "close")
        closed = check_fetch_upgrade(resp)
    assert not before.ok and "not even the server's Close is read" in str(before)
    assert after.ok and "it is accepted" in str(after)
    assert closed.ok and "it was accepted (and is closed now)" in str(closed)


async def test_check_fetch_upgrade_explains_a_refused_upgrade():
    async with serve(NoCheck, echo_log=False) as srv:
        resp = await fetch(srv.url, headers={"Upgrade": "websocket"})
    result = check_fetch_upgrade(resp)
    assert not result.ok
    assert "the server answered 200 because it refused the upgrade" in str(result)


async def _fetch_upgrade(srv, **headers):
    resp = await fetch(srv.url, headers={"Upgrade": "websocket", **headers})
    ws = resp.js_object.webSocket
    ws.accept()
    return resp, ws


async def test_check_compression_reads_a_fetch_upgrade_from_its_101_header():
    async with serve(BinaryEcho, echo_log=False) as srv:
        resp, ws = await _fetch_upgrade(srv, **{"Sec-WebSocket-Extensions": "permessage-deflate"})
        ws.close(1000)
    assert check_compression(resp, True).ok
    assert "compression was negotiated (the 101's Sec-WebSocket-Extensions: permessage-deflate)" in str(
        check_compression(resp, False)
    )


async def test_check_compression_sees_through_the_empty_extensions_of_a_fetched_socket():
    async with serve(BinaryEcho, echo_log=False) as srv:
        _, ws = await _fetch_upgrade(srv, **{"Sec-WebSocket-Extensions": "permessage-deflate"})
        ws.close(1000)
    assert ws.extensions == ""  # as on workerd (docs/findings.md F7)
    result = check_compression(ws, True)
    assert result.ok
    assert "ws.extensions is '' on this socket whatever was negotiated" in str(result)


async def test_check_compression_says_fetch_offers_none_unless_asked():
    async with serve(BinaryEcho, echo_log=False) as srv:
        resp, ws = await _fetch_upgrade(srv)
        ws.close(1000)
    assert check_compression(resp, False).ok and check_compression(ws, False).ok
    wrong = check_compression(resp, True)
    assert not wrong.ok
    assert "fetch() offers compression only when its headers ask for it" in str(wrong)
    assert '"Sec-WebSocket-Extensions": "permessage-deflate"' in str(wrong)


@pytest.mark.parametrize(("options", "negotiated"), [({}, True), ({"compatibility_flags": ["no_web_socket_compression"]}, False)])
async def test_check_compression_reads_a_websocket_client_extensions(options, negotiated):
    async with serve(BinaryEcho, echo_log=False, **options) as srv:
        ws = WebSocket.new(srv.ws_url)
        await next_event(ws, "open")
        assert check_compression(ws, negotiated).ok
        assert not check_compression(ws, not negotiated).ok
        ws.close(1000)
        await next_event(ws, "close")


async def test_check_compression_waits_for_a_client_that_is_still_connecting():
    async with serve(BinaryEcho, echo_log=False) as srv:
        ws = WebSocket.new(srv.ws_url)
        result = check_compression(ws, True)
        await next_event(ws, "open")
        ws.close(1000)
        await next_event(ws, "close")
    assert not result.ok and "still connecting" in str(result)


def test_check_compression_reads_a_header_value():
    assert check_compression("permessage-deflate; client_max_window_bits=15", True).ok
    assert check_compression(None, False).ok
    assert not check_compression("", True).ok


def test_check_compression_of_an_unconnected_pair_end_cannot_tell():
    client, _ = WebSocketPair.new().object_values()
    result = check_compression(client, False)
    assert not result.ok and "this socket cannot tell" in str(result)


async def test_check_compression_refuses_a_response_that_is_not_a_101():
    async with serve(NoCheck, echo_log=False) as srv:
        resp = await fetch(srv.url, headers={"Upgrade": "websocket"})
    result = check_compression(resp, False)
    assert not result.ok and "this Response is a 200, not a 101" in str(result)


# -- the wire tap ---------------------------------------------------------------------
async def test_wire_tap_unmasks_inflates_and_stays_deterministic():
    async with serve(BinaryEcho, echo_log=False) as srv, wire_tap(srv) as tap:
        ws = WebSocket.new(tap.ws_url)
        await next_event(ws, "open")
        ws.send("hello")
        await next_event(ws, "message")
        ws.close()
        await next_event(ws, "close")
        await tap.wait_closed()
    text = tap.text()
    assert "<16 random bytes, base64>" in text and "<derived from the key>" in text
    frames = tap.frames()
    assert [(f.direction, f.opcode) for f in frames] == [("c2s", 1), ("s2c", 1), ("c2s", 8), ("s2c", 8)]
    sent = frames[0]
    assert sent.masked and sent.rsv1 and sent.message == b"hello"
    assert not frames[1].masked
    assert "CLOSE  (no code)" in text
    diagram = tap.mermaid()
    assert diagram.startswith("sequenceDiagram")
    assert "C->>S: TEXT 'hello' (compressed)" in diagram and ";" not in diagram


async def test_wire_tap_reads_a_raw_close_code_and_a_plain_frame():
    async with serve(BinaryEcho, echo_log=False, compatibility_flags=["no_web_socket_compression"]) as srv:
        async with wire_tap(srv) as tap:
            async with connect(tap.ws_url, open_timeout=5, compression=None) as conn:
                await conn.send(b"\x00\xff")
                async with asyncio.timeout(5):
                    assert await conn.recv() == b"\x00\xff"
            await tap.wait_closed()
    binary, echo, close, _ = tap.frames()
    assert binary.payload == b"\x00\xff" and not binary.rsv1 and binary.wire_size == 2 + 4 + 2
    assert close.payload[:2] == struct.pack("!H", 1000)
    assert "code 1000" in close.summary


# -- the set-up check -------------------------------------------------------------------
def test_wsguide_doctor_main_prints_a_verdict(capsys):
    assert doctor.main(["--no-browser"]) == 0
    out = capsys.readouterr().out
    assert "[ OK ] loopback server" in out
    assert "required checks passed" in out


def test_a_patched_asyncio_run_is_reported(monkeypatch):
    def fake_run(*args, **kwargs):  # what nest_asyncio leaves behind
        raise AssertionError

    fake_run.__module__ = "nest_asyncio"
    monkeypatch.setattr(asyncio, "run", fake_run)
    result = doctor.check_asyncio_not_patched()
    assert result.status == doctor.FAIL and "nest_asyncio" in result.detail

"""Drive one parity scenario against a running Worker and return a normalized transcript.

    transcript = await run_scenario("http://127.0.0.1:PORT", "echo-text")

The same driver runs against workerd (tests/parity/js/worker.js) and, later, against the Python
twin on wsguide: it only speaks HTTP and WebSocket to ``base_url`` and never imports wsguide.
The report protocol (``?id=``, ``GET /report?id=``, ``done``) is documented at the top of
tests/parity/js/worker.js.

Transcript (all keys always present; ``more`` only when a scenario makes extra requests):

    {"scenario": name, "id": id,
     "status": 101, "statusText": "Switching Protocols",
     "headers": {lower-case name: value, ...}   # minus sec-websocket-accept, date, server
     "body": text or None,                       # non-101 answers only
     "subprotocol": "b" or None, "extensions": "permessage-deflate; ..." or None,
     "events": [...client actions and events, in order...],
     "worker": report from GET /report?id= (the Worker's own view),
     "more": {label: sub-transcript, ...}}

Client entries: ``{"action": "send", "dataType": "text"|"binary", "size": n, "data": ...}``,
``{"action": "close", "code": c, "reason": r}`` (``code`` None = empty Close frame),
``{"action": "abort"}`` (TCP dropped without a Close frame),
``{"event": "message", "dataType": ..., "size": n, "data": ...}`` and
``{"event": "close", "code": c, "reason": r, "wasClean": bool}`` (1005 = Close frame without
status, 1006 = no Close frame). On raw connections (handshake helper): ``{"event":
"close-frame", "code", "reason"}`` for the server's Close frame and ``{"event": "tcp-closed"}``
when the server ends the TCP connection (EOF or reset). Binary data is lower-case hex; data over 1024 bytes is
omitted (size only). Entries of scenarios with several client sockets carry ``"socket"``.

Every wait is bounded (``asyncio.timeout``) and fails with a message naming the scenario and
the step. The ``websockets`` client always runs with ``proxy=None`` and ``compression=None``
unless a scenario offers permessage-deflate on purpose.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

__all__ = ["DURABLE_OBJECTS", "RUNS", "SCENARIOS", "Run", "ScenarioError", "normalize_headers", "raw_request",
           "run_scenario"]

DROP_HEADERS = {"sec-websocket-accept", "date", "server"}
MAX_DATA = 1024
STEP_TIMEOUT = 10.0
REPORT_TIMEOUT = 10.0


class ScenarioError(AssertionError):
    """A scenario step failed or timed out."""


def normalize_headers(pairs: list[tuple[str, str]] | Any) -> dict[str, str]:
    out: dict[str, str] = {}
    items = pairs.raw_items() if hasattr(pairs, "raw_items") else pairs
    for name, value in items:
        key = name.lower()
        if key in DROP_HEADERS:
            continue
        out[key] = f"{out[key]}, {value}" if key in out else value
    return dict(sorted(out.items()))


def _data_entry(kind: str, data: str | bytes, **extra: Any) -> dict[str, Any]:
    """``{kind: extra[kind], "dataType": …, "size": …, "data": …}`` for a text or binary message
    (``kind`` is "action" or "event"; its value comes first in the dict)."""
    entry: dict[str, Any] = {kind: extra.pop(kind), **extra}
    if isinstance(data, str):
        size = len(data.encode())
        entry.update(dataType="text", size=size)
        if size <= MAX_DATA:
            entry["data"] = data
    else:
        entry.update(dataType="binary", size=len(data))
        if len(data) <= MAX_DATA:
            entry["data"] = data.hex()
    return entry


# ── raw HTTP / handshake ───────────────────────────────────────────────────────────────────


class RawResponse:
    def __init__(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes | None,
                 reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.reader = reader
        self.writer = writer

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    async def aclose(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError, ConnectionError):
            await self.writer.wait_closed()


async def _read_body(reader: asyncio.StreamReader, headers: list[tuple[str, str]]) -> bytes:
    hdr = {k.lower(): v for k, v in headers}
    if "content-length" in hdr:
        return await reader.readexactly(int(hdr["content-length"]))
    if "chunked" in hdr.get("transfer-encoding", "").lower():
        body = b""
        while True:
            size_line = await reader.readline()
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                # trailers up to the empty line
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += await reader.readexactly(size)
            await reader.readline()
    return await reader.read()


async def raw_request(
    base_url: str,
    path: str,
    *,
    method: str = "GET",
    headers: list[tuple[str, str]] | None = None,
    websocket: bool = False,
    timeout: float = STEP_TIMEOUT,
) -> RawResponse:
    """One HTTP/1.1 request on a fresh TCP connection to 127.0.0.1 (no proxy, no library).

    ``websocket=True`` adds ``Connection: Upgrade``, ``Sec-WebSocket-Key`` and
    ``Sec-WebSocket-Version: 13`` (the caller sets ``Upgrade`` itself so that its exact spelling
    can be tested). A 101 answer leaves the connection open (``.reader``/``.writer``); any
    other answer is read to its end and the connection closed."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    all_headers = list(headers or [])
    if websocket:
        all_headers += [
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", base64.b64encode(os.urandom(16)).decode()),
            ("Sec-WebSocket-Version", "13"),
        ]
    else:
        all_headers.append(("Connection", "close"))
    lines += [f"{k}: {v}" for k, v in all_headers]
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            await writer.drain()
            status_line = (await reader.readline()).decode("latin-1").rstrip("\r\n")
            if not status_line:
                raise ScenarioError(f"{method} {path}: connection closed without a response")
            _, status, *reason = status_line.split(" ", 2)
            resp_headers: list[tuple[str, str]] = []
            while True:
                line = (await reader.readline()).decode("latin-1").rstrip("\r\n")
                if not line:
                    break
                name, _, value = line.partition(":")
                resp_headers.append((name.strip(), value.strip()))
            status_code = int(status)
            body = None
            if status_code != 101:
                body = b"" if method == "HEAD" or status_code in (204, 304) else await _read_body(reader, resp_headers)
            resp = RawResponse(status_code, reason[0] if reason else "", resp_headers, body, reader, writer)
        except BaseException:
            writer.close()
            raise
    if status_code != 101:
        await resp.aclose()
    return resp


def _client_frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def _read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes] | None:
    try:
        b0, b1 = await reader.readexactly(2)
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    n = b1 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", await reader.readexactly(2))
    elif n == 127:
        (n,) = struct.unpack("!Q", await reader.readexactly(8))
    mask = await reader.readexactly(4) if b1 & 0x80 else None
    payload = await reader.readexactly(n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return b0 & 0x0F, payload


# ── transcript builder ─────────────────────────────────────────────────────────────────────


class Session:
    """State of one scenario run; scenario scripts call its helpers."""

    def __init__(self, base_url: str, scenario: str, run_id: str):
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self.ws_base = f"ws://{parts.hostname}:{parts.port}"
        self.scenario = scenario
        self.id = run_id
        self.step = "start"
        self.t: dict[str, Any] = {
            "scenario": scenario,
            "id": run_id,
            "status": None,
            "statusText": None,
            "headers": {},
            "body": None,
            "subprotocol": None,
            "extensions": None,
            "events": [],
            "worker": None,
        }

    # -- bookkeeping

    def path(self, extra: str = "", run_id: str | None = None) -> str:
        return f"/{self.scenario}?id={run_id or self.id}{extra}"

    def _target(self, label: str | None) -> dict[str, Any]:
        if label is None:
            return self.t
        return self.t.setdefault("more", {}).setdefault(label, {})

    def record(self, entry: dict[str, Any], socket: str | None = None) -> None:
        if socket is not None:
            entry = {**entry, "socket": socket}
        self.t["events"].append(entry)

    async def bounded(self, step: str, awaitable: Awaitable[Any], timeout: float = STEP_TIMEOUT) -> Any:
        self.step = step
        try:
            async with asyncio.timeout(timeout):
                return await awaitable
        except TimeoutError:
            raise ScenarioError(f"scenario {self.scenario!r} (id {self.id}): step {step!r} "
                                f"did not complete within {timeout} s") from None

    # -- HTTP

    def _store_response(self, dest: dict[str, Any], resp: RawResponse) -> None:
        dest["status"] = resp.status
        dest["statusText"] = resp.reason
        dest["headers"] = normalize_headers(resp.headers)
        dest["body"] = None if resp.body is None else resp.body.decode("utf-8", errors="replace")

    async def http(self, path: str, *, headers: list[tuple[str, str]] | None = None,
                   label: str | None = None) -> RawResponse:
        resp = await self.bounded(f"GET {path}", raw_request(self.base_url, path, headers=headers))
        self._store_response(self._target(label), resp)
        return resp

    async def raw_handshake(self, path: str, *, upgrade: str = "websocket", label: str | None = None,
                            headers: list[tuple[str, str]] | None = None) -> RawResponse:
        resp = await self.bounded(
            f"raw handshake {path}",
            raw_request(self.base_url, path, headers=[("Upgrade", upgrade), *(headers or [])], websocket=True),
        )
        dest = self._target(label)
        self._store_response(dest, resp)
        if resp.status == 101:
            dest["subprotocol"] = resp.header("Sec-WebSocket-Protocol")
            dest["extensions"] = resp.header("Sec-WebSocket-Extensions")
        return resp

    async def raw_close(self, resp: RawResponse, code: int = 1000, reason: str = "", *,
                        label: str | None = None) -> None:
        """Send a Close frame on a raw 101 connection, record the frames the server sends back
        until it closes TCP."""
        events = self._target(label).setdefault("events", [])
        payload = struct.pack("!H", code) + reason.encode()
        events.append({"action": "close", "code": code, "reason": reason})
        with contextlib.suppress(ConnectionError):
            resp.writer.write(_client_frame(0x8, payload))
            await resp.writer.drain()
        while True:
            try:
                frame = await self.bounded("raw: read frame", _read_frame(resp.reader))
            except asyncio.IncompleteReadError:
                frame = None
            if frame is None:
                # EOF and RST are not told apart: which one comes is a matter of timing.
                events.append({"event": "tcp-closed"})
                break
            opcode, data = frame
            if opcode == 0x8:
                c = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005
                events.append({"event": "close-frame", "code": c, "reason": data[2:].decode(errors="replace")})
            elif opcode in (0x1, 0x2):
                events.append(_data_entry("event", data.decode() if opcode == 1 else data, event="message"))
        await resp.aclose()

    # -- WebSocket (websockets client)

    async def connect(self, path: str, *, label: str | None = None, socket: str | None = None,
                      subprotocols: list[str] | None = None, compression: str | None = None,
                      max_size: int | None = 2**20) -> ClientConnection | None:
        url = self.ws_base + path
        dest = self._target(label)
        try:
            ws = await self.bounded(
                f"connect {path}",
                connect(url, proxy=None, compression=compression, subprotocols=subprotocols,
                        max_size=max_size, open_timeout=STEP_TIMEOUT, close_timeout=5,
                        user_agent_header=None, ping_interval=None),
            )
        except InvalidStatus as exc:
            r = exc.response
            dest["status"] = r.status_code
            dest["statusText"] = r.reason_phrase
            dest["headers"] = normalize_headers(r.headers)
            dest["body"] = r.body.decode("utf-8", errors="replace") if r.body is not None else None
            return None
        r = ws.response
        dest["status"] = r.status_code
        dest["statusText"] = r.reason_phrase
        dest["headers"] = normalize_headers(r.headers)
        dest["body"] = None
        dest["subprotocol"] = ws.subprotocol
        dest["extensions"] = r.headers.get("Sec-WebSocket-Extensions")
        ws._parity_socket = socket  # type: ignore[attr-defined]
        return ws

    @staticmethod
    def _sock(ws: ClientConnection) -> str | None:
        return getattr(ws, "_parity_socket", None)

    async def send(self, ws: ClientConnection, data: str | bytes) -> None:
        self.record(_data_entry("action", data, action="send"), self._sock(ws))
        await self.bounded("send", ws.send(data), timeout=60)

    async def recv(self, ws: ClientConnection) -> str | bytes:
        data = await self.bounded("recv", ws.recv())
        self.record(_data_entry("event", data, event="message"), self._sock(ws))
        return data

    def _close_event(self, ws: ClientConnection) -> dict[str, Any]:
        proto = ws.protocol
        rcvd = proto.close_rcvd
        return {
            "event": "close",
            "code": rcvd.code if rcvd is not None else 1006,
            "reason": rcvd.reason if rcvd is not None else "",
            "wasClean": rcvd is not None and proto.close_sent is not None,
        }

    async def drain(self, ws: ClientConnection) -> None:
        """Record every message until the connection is closed, then the close event."""
        while True:
            try:
                data = await self.bounded("recv until closed", ws.recv())
            except ConnectionClosed:
                break
            self.record(_data_entry("event", data, event="message"), self._sock(ws))
        await self.bounded("wait_closed", ws.wait_closed())
        self.record(self._close_event(ws), self._sock(ws))

    async def close(self, ws: ClientConnection, code: int | None = 1000, reason: str = "") -> None:
        """Start the closing handshake, then record whatever arrives until closed."""
        self.record({"action": "close", "code": code, "reason": reason}, self._sock(ws))
        # code None → websockets' protocol layer sends an empty Close frame.
        closing = asyncio.ensure_future(ws.close(code, reason))  # type: ignore[arg-type]
        try:
            await self.drain(ws)
        finally:
            await self.bounded("close()", closing)

    async def abort(self, ws: ClientConnection) -> None:
        """Drop the TCP connection without a Close frame."""
        self.record({"action": "abort"}, self._sock(ws))
        ws.transport.abort()
        with contextlib.suppress(ConnectionClosed):
            await self.bounded("wait_closed after abort", ws.wait_closed())
        self.record(self._close_event(ws), self._sock(ws))

    # -- report

    async def report(self, run_id: str | None = None, *, label: str | None = None,
                     timeout: float = REPORT_TIMEOUT) -> dict[str, Any]:
        """Poll ``GET /report?id=`` until the Worker marks the report done (bounded)."""
        rid = run_id or self.id
        self.step = f"report {rid}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last: str = "no answer"
        while True:
            resp = await self.bounded(f"GET /report?id={rid}", raw_request(self.base_url, f"/report?id={rid}"))
            body = (resp.body or b"").decode("utf-8", errors="replace")
            if resp.status == 200:
                rep = json.loads(body)
                if rep.get("done"):
                    self._target(label)["worker"] = rep
                    return rep
                last = f"not done yet; last entries: {json.dumps(rep.get('log', [])[-8:])[:3000]}"
            else:
                last = f"{resp.status} {body[:200]}"
            if loop.time() >= deadline:
                raise ScenarioError(f"scenario {self.scenario!r}: report {rid!r} not done within {timeout} s "
                                    f"({last})")
            # Poll interval; the condition (done) is re-checked on every round.
            await asyncio.sleep(0.02)


# ── scenario scripts ───────────────────────────────────────────────────────────────────────

Script = Callable[[Session], Awaitable[None]]
SCENARIOS: dict[str, Script] = {}


def scenario(name: str) -> Callable[[Script], Script]:
    def register(fn: Script) -> Script:
        SCENARIOS[name] = fn
        return fn
    return register


@scenario("upgrade-check-426")
async def _upgrade_check(s: Session) -> None:
    await s.http(s.path())
    await s.report()
    mixed = await s.raw_handshake(s.path(run_id=f"{s.id}-mixed"), upgrade="WebSocket", label="mixed-case-upgrade")
    if mixed.status == 101:
        await s.raw_close(mixed, 1000, "bye", label="mixed-case-upgrade")
    await s.report(f"{s.id}-mixed", label="mixed-case-upgrade")
    lower = await s.raw_handshake(s.path(run_id=f"{s.id}-lower"), upgrade="websocket", label="lowercase-upgrade")
    if lower.status == 101:
        await s.raw_close(lower, 1000, "bye", label="lowercase-upgrade")
    await s.report(f"{s.id}-lower", label="lowercase-upgrade")


async def _echo_script(s: Session, messages: list[str | bytes], **connect_kw: Any) -> None:
    ws = await s.connect(s.path(), **connect_kw)
    assert ws is not None
    for m in messages:
        await s.send(ws, m)
        await s.recv(ws)
    await s.close(ws, 1000, "done")
    await s.report()


@scenario("echo-text")
async def _echo_text(s: Session) -> None:
    await _echo_script(s, ["hello", "héllo wörld ✓", ""])


@scenario("echo-binary")
async def _echo_binary(s: Session) -> None:
    blob = bytes([0, 1, 2, 0xFE, 0xFF])
    await _echo_script(s, [blob, "binaryType=arraybuffer", blob, "binaryType=BLOB", blob])


async def _drain_script(s: Session) -> None:
    ws = await s.connect(s.path())
    assert ws is not None
    await s.drain(ws)
    await s.report()


for _name in ("send-before-accept", "send-after-close", "close-invalid-codes", "close-without-code",
              "response-socket-without-101"):
    SCENARIOS[_name] = _drain_script


@scenario("client-vanishes")
async def _client_vanishes(s: Session) -> None:
    ws = await s.connect(s.path())
    assert ws is not None
    await s.send(ws, "hi")
    await s.recv(ws)
    await s.abort(ws)
    await s.report()


async def _http_script(s: Session) -> None:
    await s.http(s.path())
    await s.report()


for _name in ("buffer-before-accept", "fetch-extensions-empty", "fetch-upgrade-refused",
              "new-websocket-from-worker", "socket-returned-without-upgrade"):
    SCENARIOS[_name] = _http_script


@scenario("returned-end-inert")
async def _returned_end_inert(s: Session) -> None:
    ws = await s.connect(s.path())
    assert ws is not None
    await s.send(ws, "probe")
    await s.recv(ws)
    await s.close(ws, 1000, "bye")
    await s.report()


async def _raw_handshake_script(s: Session) -> None:
    resp = await s.raw_handshake(s.path())
    if resp.status == 101:
        await s.raw_close(resp, 1000, "bye")
    await s.report()


for _name in ("response-101-without-socket", "socket-returned-after-accept"):
    SCENARIOS[_name] = _raw_handshake_script


@scenario("socket-returned-twice")
async def _socket_returned_twice(s: Session) -> None:
    ws = await s.connect(s.path())
    assert ws is not None
    await s.send(ws, "one")
    await s.recv(ws)
    second = await s.raw_handshake(s.path("&phase=2"), label="phase-2")
    if second.status == 101:
        await s.raw_close(second, 1000, "bye", label="phase-2")
    await s.report(f"{s.id}-phase2", label="phase-2")
    await s.send(ws, "two")
    await s.recv(ws)
    await s.close(ws, 1000, "bye")
    await s.report()


@scenario("auto-reply-to-close")
async def _auto_reply(s: Session) -> None:
    ws = await s.connect(s.path())
    assert ws is not None
    await s.close(ws, 4000, "bye")
    await s.report()


@scenario("allow-half-open")
async def _allow_half_open(s: Session) -> None:
    ws = await s.connect(s.path())
    assert ws is not None
    await s.close(ws, 4001, "half")
    await s.report()


@scenario("too-big-message")
async def _too_big(s: Session) -> None:
    ws = await s.connect(s.path(), max_size=None)
    assert ws is not None
    limit = 32 * 2**20
    await s.send(ws, bytes(limit))
    await s.recv(ws)
    # Whether send() itself sees the close depends on timing (workerd rejects the frame from
    # its header while we are still writing it); only what arrives afterwards is recorded.
    with contextlib.suppress(ConnectionClosed):
        await s.send(ws, bytes(limit + 1))
    await s.drain(ws)
    await s.report()


async def _subprotocol_script(s: Session) -> None:
    ws = await s.connect(s.path(), subprotocols=["a", "b"])
    assert ws is not None
    await s.send(ws, "which?")
    await s.recv(ws)
    await s.close(ws, 1000, "done")
    await s.report()


for _name in ("subprotocol-chosen-by-worker", "subprotocol-not-echoed"):
    SCENARIOS[_name] = _subprotocol_script


async def _compression_script(s: Session) -> None:
    ws = await s.connect(s.path(), compression="deflate")
    assert ws is not None
    await s.send(ws, "compress me " * 100)
    await s.recv(ws)
    await s.close(ws, 1000, "done")
    await s.report()


for _name in ("compression-on", "compression-off"):
    SCENARIOS[_name] = _compression_script


@scenario("fetch-upgrade")
async def _fetch_upgrade(s: Session) -> None:
    ws = await s.connect(s.path())
    assert ws is not None
    await s.send(ws, "hello relay")
    await s.recv(ws)
    await s.close(ws, 1000, "bye")
    await s.report()


@scenario("fetch-upgrade-proxy")
async def _fetch_upgrade_proxy(s: Session) -> None:
    ws = await s.connect(s.path())
    assert ws is not None
    await s.send(ws, "hello proxy")
    await s.recv(ws)
    await s.close(ws, 1000, "bye")
    await s.report()


@scenario("durable-object-hibernation")
async def _durable_object(s: Session) -> None:
    await s.http(s.path("&phase=limits"), label="limits")
    alice = await s.connect(s.path("&phase=join&name=alice&tags=room,alice"), socket="alice")
    bob = await s.connect(s.path("&phase=join&name=bob&tags=room,bob"), label="bob-handshake", socket="bob")
    assert alice is not None and bob is not None
    for ws, msg in ((alice, "who"), (bob, "who"), (alice, "ping"), (alice, "stamp"),
                    (alice, bytes([1, 2, 3])), (bob, "hello")):
        await s.send(ws, msg)
        await s.recv(ws)
    await s.close(bob, 4000, "bye bob")
    # A hibernatable socket and a message over 1 MiB (kj's default receive limit).
    carol = await s.connect(s.path("&phase=join&name=carol&tags=room,carol"), label="carol-handshake",
                            socket="carol", max_size=None)
    assert carol is not None
    with contextlib.suppress(ConnectionClosed):
        await s.send(carol, bytes(2**20 + 1))
    try:
        await s.recv(carol)
    except ConnectionClosed:
        await s.drain(carol)
    else:
        await s.close(carol, 1000, "bye carol")
    # ... and one over the 32 MiB limit.
    dave = await s.connect(s.path("&phase=join&name=dave&tags=room,dave"), label="dave-handshake",
                           socket="dave", max_size=None)
    assert dave is not None
    with contextlib.suppress(ConnectionClosed):
        await s.send(dave, bytes(32 * 2**20 + 1))
    await s.drain(dave)
    await s.abort(alice)
    await s.report()


# ── the runs (scenario × configuration) that have golden transcripts ─────────────────────────


DEFAULT_COMPAT_DATE = "2026-11-01"
DURABLE_OBJECTS = {"ROOMS": "HibernationRoom"}  # binding → class exported by the worker

@dataclass(frozen=True)
class Run:
    """One scenario under one configuration. ``name`` is also the report id and the golden
    file name (``golden/<name>.json``): the scenario name, plus ``--<variant>`` for runs under
    a non-default configuration."""

    scenario: str
    variant: str | None = None
    compat_date: str = DEFAULT_COMPAT_DATE
    flags: tuple[str, ...] = ()
    status: int = 101  # HTTP status the client gets for the scenario's first request

    @property
    def name(self) -> str:
        return self.scenario if self.variant is None else f"{self.scenario}--{self.variant}"


RUNS: list[Run] = [
    Run("upgrade-check-426", status=426),
    Run("echo-text"),
    Run("echo-binary"),
    Run("echo-binary", "arraybuffer-default", flags=("no_websocket_standard_binary_type",)),
    Run("send-before-accept"),
    Run("send-after-close"),
    Run("close-invalid-codes"),
    Run("close-invalid-codes", "no-reason-limit", flags=("no_websocket_close_reason_byte_limit",)),
    Run("close-without-code"),
    Run("client-vanishes"),
    Run("buffer-before-accept", status=200),
    Run("returned-end-inert"),
    Run("response-101-without-socket", status=200),
    Run("response-socket-without-101"),
    Run("socket-returned-twice"),
    Run("socket-returned-after-accept"),
    Run("socket-returned-without-upgrade", status=500),
    Run("auto-reply-to-close"),
    Run("auto-reply-to-close", "manual-reply", flags=("web_socket_manual_reply_to_close",)),
    Run("allow-half-open"),
    Run("too-big-message"),
    Run("subprotocol-chosen-by-worker"),
    Run("subprotocol-not-echoed"),
    Run("compression-on"),
    Run("compression-off", compat_date="2023-08-14"),
    Run("compression-off", "flag", flags=("no_web_socket_compression",)),
    Run("fetch-extensions-empty", status=200),
    Run("fetch-extensions-empty", "no-compression", flags=("no_web_socket_compression",), status=200),
    Run("fetch-upgrade"),
    Run("fetch-upgrade-proxy"),
    Run("fetch-upgrade-refused", status=200),
    Run("new-websocket-from-worker", status=200),
    Run("new-websocket-from-worker", "no-compression", flags=("no_web_socket_compression",), status=200),
    Run("durable-object-hibernation"),
]


async def run_scenario(base_url: str, scenario: str, *, run_id: str | None = None,
                       timeout: float = 60.0) -> dict[str, Any]:
    """Run ``scenario`` against ``base_url`` (``http://127.0.0.1:PORT``); return its transcript."""
    if scenario not in SCENARIOS:
        raise KeyError(f"unknown scenario {scenario!r}; known: {sorted(SCENARIOS)}")
    s = Session(base_url, scenario, run_id or scenario)
    try:
        async with asyncio.timeout(timeout):
            await SCENARIOS[scenario](s)
    except TimeoutError:
        raise ScenarioError(f"scenario {scenario!r} did not finish within {timeout} s "
                            f"(last step: {s.step})") from None
    return s.t

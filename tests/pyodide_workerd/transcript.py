"""What a scenario's client observes, and the Worker's log, as plain JSON data.

A scenario's client is ``async def client(t: Recorder)``. It drives one Worker through
``t.fetch(...)`` and ``t.websocket(...)`` (httpx and the ``websockets`` library, on 127.0.0.1)
and every observation lands in ``t.events``, in order:

    {"fetch": "/path", "method": "GET", "status": 200, "headers": {...}, "body": "text"}
    {"websocket": "/path", "status": 101}                or  {"websocket": "/path", "status": 500, "body": "..."}
    {"send": "text", "data": "hello"}                    /   {"send": "binary", "hex": "0001ff"}
    {"message": "text", "data": "echo:hello"}            /   {"message": "binary", "hex": "..."}
    {"close": 1000, "reason": "bye"}                     (the client sends a Close frame)
    {"end": "closed", "code": 1000, "reason": "bye"}     (the server's Close frame arrived)
    {"end": "dropped without a Close frame"}             (the TCP connection ended without one)
    {"note": "label", "value": ...}                      (anything else the client wants kept)

Entries of a scenario with several sockets carry ``"socket": label``. Nothing here knows which
runtime is on the other side: the same client runs against real Pyodide in workerd and, later,
against wsguide. It waits on the Worker's log only through a :class:`LogSource`.

:func:`normalise_log` turns workerd's structured log lines into ``{"level", "text"}`` entries
that do not depend on paths, ports, line numbers of host code or memory addresses.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

__all__ = ["LogSource", "Recorder", "ScenarioError", "Socket", "normalise_log", "normalise_text", "normalise_value"]

STEP_TIMEOUT = 10.0


class ScenarioError(AssertionError):
    """A client step did not happen within its time limit (the message names the step)."""


class LogSource(Protocol):
    """The Worker's log, as a client may wait on it."""

    async def wait_for(self, text: str, timeout: float) -> None:
        """Return once a log line containing ``text`` was printed; raise ScenarioError after
        ``timeout`` seconds."""


class Socket:
    """One client WebSocket; every step is recorded in the owning Recorder."""

    def __init__(self, recorder: Recorder, conn: ClientConnection, label: str | None) -> None:
        self._t = recorder
        self._conn = conn
        self.label = label
        self.ended = False
        self._closing: asyncio.Future[None] | None = None

    def _record(self, entry: dict[str, Any]) -> None:
        if self.label is not None:
            entry["socket"] = self.label
        self._t.events.append(entry)

    async def send(self, data: str | bytes) -> None:
        if isinstance(data, str):
            self._record({"send": "text", "data": data})
        else:
            self._record({"send": "binary", "hex": bytes(data).hex()})
        try:
            await self._conn.send(data)
        except ConnectionClosed as exc:
            self._record_end(exc)

    async def recv(self, timeout: float | None = None) -> str | bytes | None:
        """The next message (recorded), or None when the connection ended (the end recorded)."""
        timeout = self._t.timeout if timeout is None else timeout
        if self.ended:
            return None
        try:
            async with asyncio.timeout(timeout):
                data = await self._conn.recv()
        except TimeoutError:
            raise ScenarioError(f"socket {self.label or ''}: no message and no end within {timeout} s") from None
        except ConnectionClosed as exc:
            self._record_end(exc)
            return None
        if isinstance(data, str):
            self._record({"message": "text", "data": data})
        else:
            self._record({"message": "binary", "hex": data.hex()})
        return data

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Send a Close frame, then wait for the end (recording messages that arrive first)."""
        self._record({"close": code, "reason": reason})
        try:
            async with asyncio.timeout(self._t.timeout):
                await self._conn.close(code, reason)
        except TimeoutError:
            raise ScenarioError(f"socket {self.label or ''}: close({code}) was not answered within {self._t.timeout} s") from None
        await self.end()

    async def send_close(self, code: int = 1000, reason: str = "") -> None:
        """Send a Close frame without waiting for the answer (for runtimes that may never
        answer it); follow with :meth:`end` or let the scenario's end drop the connection."""
        self._record({"close": code, "reason": reason})
        self._closing = asyncio.ensure_future(self._conn.close(code, reason))
        await asyncio.sleep(0)  # let the close task write the frame

    async def end(self, timeout: float | None = None) -> None:
        """Wait until the connection ends, recording any message that arrives before."""
        while not self.ended:
            await self.recv(timeout)

    def _record_end(self, exc: ConnectionClosed) -> None:
        if self.ended:
            return
        self.ended = True
        if exc.rcvd is None:
            self._record({"end": "dropped without a Close frame"})
        else:
            self._record({"end": "closed", "code": exc.rcvd.code, "reason": exc.rcvd.reason})

    async def abort(self) -> None:
        """Drop the TCP connection without a Close frame (recorded)."""
        self._record({"abort": "TCP connection dropped by the client"})
        self._conn.transport.abort()
        self.ended = True


class Recorder:
    """Drives one Worker at ``base_url`` and records what the client observes."""

    def __init__(self, base_url: str, log: LogSource, *, timeout: float = STEP_TIMEOUT) -> None:
        self.timeout = timeout  # the bound on every wait of this client
        self.base_url = base_url.rstrip("/")
        self.ws_url = "ws" + self.base_url.removeprefix("http")
        self.log = log
        self.events: list[dict[str, Any]] = []
        self._sockets: list[Socket] = []

    async def fetch(
        self,
        path: str = "/",
        *,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        body: str | bytes | None = None,
        record_headers: Sequence[str] = ("content-type",),
    ) -> httpx.Response:
        async with httpx.AsyncClient(trust_env=False, timeout=self.timeout) as client:
            try:
                response = await client.request(method, self.base_url + path, headers=headers, content=body)
            except httpx.TimeoutException:
                raise ScenarioError(f"{method} {path}: no answer within {self.timeout} s") from None
        self.events.append(
            {
                "fetch": path,
                "method": method,
                "status": response.status_code,
                "headers": {k: response.headers[k] for k in record_headers if k in response.headers},
                "body": response.text,
            }
        )
        return response

    async def websocket(self, path: str = "/", *, label: str | None = None, subprotocols: list[str] | None = None) -> Socket | None:
        """Open a WebSocket; None (and the answer recorded) when the server refuses the upgrade."""
        entry: dict[str, Any] = {"websocket": path}
        if label is not None:
            entry["socket"] = label
        try:
            conn = await connect(
                self.ws_url + path,
                proxy=None,
                compression=None,
                subprotocols=subprotocols,
                open_timeout=self.timeout,
                close_timeout=2 * self.timeout,  # our own bound (ScenarioError) comes first
                ping_interval=None,
            )
        except InvalidStatus as exc:
            entry.update(status=exc.response.status_code, body=exc.response.body.decode("utf-8", "replace"))
            self.events.append(entry)
            return None
        entry["status"] = 101
        self.events.append(entry)
        sock = Socket(self, conn, label)
        self._sockets.append(sock)
        return sock

    async def wait_log(self, text: str, timeout: float = STEP_TIMEOUT) -> None:
        """Wait until the Worker printed a line containing ``text`` (not recorded: the log is)."""
        await self.log.wait_for(text, timeout)

    def note(self, label: str, value: Any) -> None:
        self.events.append({"note": label, "value": value})

    async def aclose(self) -> None:
        """Drop whatever sockets the client left open (not recorded)."""
        for sock in self._sockets:
            if not sock.ended:
                sock._conn.transport.abort()
                sock.ended = True
            if sock._closing is not None and not sock._closing.done():
                sock._closing.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                    await sock._closing


# ------------------------------------------------------------------ normalising text

_PORT = re.compile(r"(127\.0\.0\.1|localhost):\d{2,5}")
_HEX_ID = re.compile(r"\b[0-9a-f]{64}\b")
_PY_FRAME = re.compile(r'^(\s*)File "([^"]+)", line (\d+), in (.+)$')
_JS_FRAME = re.compile(r"^\s+at .*$")
_CARETS = re.compile(r"^\s*[~^]+\s*$")
_ABS_PY_PATH = re.compile(r"(?<![\w\"])/[\w./-]+\.py\b")
_KJ_LOCATION = re.compile(r"^(?:[\w./-]+\.(?:c\+\+|h|rs):\d+: )+")
_ADDRESS = re.compile(r"\b0x[0-9a-f]{4,}\b")
_PYPROXY_PTR = re.compile(r"\bptr: \d+")


def normalise_text(text: str, worker_files: Iterable[str] = ()) -> str:
    """Ports become PORT, Durable Object ids <id>, memory addresses 0x<address> (and the
    ``ptr`` of a PyProxy printed by console.log), the Worker's own file ``worker.py`` and other
    absolute ``.py`` paths ``<path>``."""
    text = _PORT.sub(r"\1:PORT", text)
    text = _HEX_ID.sub("<id>", text)
    text = _ADDRESS.sub("0x<address>", text)
    text = _PYPROXY_PTR.sub("ptr: <n>", text)
    for path in worker_files:
        text = text.replace(path, "worker.py")
    return _ABS_PY_PATH.sub("<path>", text)


def normalise_value(value: Any, worker_files: Sequence[str] = ()) -> Any:
    """:func:`normalise_text` on every string inside ``value`` (lists and dicts, recursively)."""
    if isinstance(value, str):
        return normalise_text(value, worker_files)
    if isinstance(value, list):
        return [normalise_value(v, worker_files) for v in value]
    if isinstance(value, dict):
        return {k: normalise_value(v, worker_files) for k, v in value.items()}
    return value


def clean_stack(text: str, worker_files: Sequence[str]) -> str:
    """A JS stack or Python traceback as a learner would read it about their own code: JS
    frames, Python frames outside the Worker's file and caret lines removed."""
    out: list[str] = []
    skipping_frame = False
    for line in text.splitlines():
        frame = _PY_FRAME.match(line)
        if frame:
            skipping_frame = frame.group(2) not in worker_files
            if not skipping_frame:
                out.append(f'{frame.group(1)}File "worker.py", line {frame.group(3)}, in {frame.group(4)}')
            continue
        if skipping_frame and line.startswith("    ") and not line.startswith("     File"):
            continue
        skipping_frame = False
        if _JS_FRAME.match(line) or _CARETS.match(line):
            continue
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return normalise_text("\n".join(out), worker_files)


def _runtime_text(message: str) -> str:
    first, _, _ = message.partition("\nstack: ")
    return _KJ_LOCATION.sub("", first.strip())


def normalise_log(entries: Iterable[dict[str, Any]], worker_files: Sequence[str]) -> list[dict[str, str]]:
    """workerd's structured log lines → ``{"level", "text"}``: what the Worker's log shows.

    Levels: ``log``/``info``/``warn``/``error``/``debug`` are the Worker's console (Python's
    ``print`` goes to ``console.log``, ``sys.stderr`` to ``console.error``) and ``warn`` also the
    runtime's console warnings; ``uncaught`` is an exception nobody caught, as
    ``"Uncaught Error: ..."`` / ``"Uncaught (in promise) PythonError: ..."``; ``runtime`` is
    anything else workerd reports. Left out: a JavaScript error that workerd reports again at a
    lower layer (``jsg.``), and workerd's connection diagnostics (``disconnected: ...``), whose
    timing is not the Worker's and which the client's transcript already shows.
    """
    entries = list(entries)
    stacks = []
    for e in entries:
        m = re.match(r"uncaught exception; source = (.*?); stack = (.*)", e.get("message", ""), re.S)
        if m:
            stacks.append(m.group(2).splitlines()[0] if m.group(2) else "")
    out: list[dict[str, str]] = []
    for e in entries:
        message = str(e.get("message", ""))
        level = str(e.get("level", ""))
        if "source" not in e and level != "raw":
            out.append({"level": level, "text": normalise_text(message, worker_files)})
            continue
        m = re.match(r"uncaught exception; source = (.*?); stack = (.*)", message, re.S)
        if m:
            out.append({"level": "uncaught", "text": f"{m.group(1)} {clean_stack(m.group(2), worker_files)}"})
            continue
        m = re.match(r"uncaught exception; desc = (.*)", message, re.S)
        if m:
            if m.group(1).splitlines()[0] not in stacks:
                out.append({"level": "uncaught", "text": "Uncaught " + clean_stack(m.group(1), worker_files)})
            continue
        m = re.match(r"console warning; message = (.*)", message, re.S)
        if m:
            out.append({"level": "warn", "text": normalise_text(m.group(1), worker_files)})
            continue
        m = re.match(r"(?:uncaught exception; exception = |Uncaught exception: |exception = )(.*)", message, re.S)
        text = m.group(1) if m else message
        if m and "jsg." in text.splitlines()[0]:
            continue  # a JavaScript error already reported above, seen again by the I/O layer
        text = _runtime_text(text)
        if text.startswith("disconnected:"):
            continue
        out.append({"level": "runtime", "text": normalise_text(text, worker_files)})
    return out

"""Run one of the kit's Workers (see extract.py) on real Pyodide in workerd with a generic client.

The generic client knows nothing about the Worker: a plain ``GET /``, then a WebSocket upgrade
at the Worker's WebSocket path that sends a text and a binary message and closes with 1000,
recording whatever comes back before the end. The verdict:

* the module must import (with its vars, if it reads any: URLs of the host's echo service, which
  is where every request the Worker sends goes; see extract.py);
* nothing may be left uncaught (a listener's borrowed-proxy error, a Python exception, ...),
  except workerd refusing a 101 to the plain GET of a Worker that answers every request with a
  WebSocket (a property of the generic client, not of the Worker);
* a Worker that hands out WebSockets must upgrade (101) and must not drop the connection
  without a Close frame (a Close nobody answers, as from a Worker that never accepts its end on
  purpose, is noted, not judged); any other Worker must answer the GET below 500;
* a Durable Object reached by RPC (behind a generated Default) must answer every call (no
  WebSocket is tried there).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from .extract import KitWorker
from .harness import PyodideHost, WorkerSpec
from .runner import HostLog, worker_file
from .transcript import Recorder, ScenarioError, clean_stack, normalise_log

__all__ = ["KitOutcome", "check_kit_worker", "spec_for_kit_worker"]

TIMEOUT = 3.0  # bound on each step of the generic client
NOT_AN_UPGRADE = "did not contain the header \"Upgrade: websocket\""


def spec_for_kit_worker(worker: KitWorker) -> WorkerSpec:
    """How the host serves a kit Worker: its entrypoint, its Durable Objects and its vars (URLs of
    the host's echo service, which every Worker's outbound traffic reaches)."""
    return WorkerSpec(worker.name, worker.source, entrypoint=worker.entrypoint, durable_objects=worker.durable_objects, vars=worker.vars)


@dataclass
class KitOutcome:
    worker: KitWorker
    load_error: str | None = None
    http: dict[str, Any] | None = None
    websocket: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def loads(self) -> str:
        return "yes" if self.load_error is None else "no: " + self.load_error.strip().splitlines()[-1]

    @property
    def answers(self) -> str:
        """One line: what the client saw."""
        if self.load_error is not None:
            return "-"
        parts = []
        if self.http is not None:
            parts.append(f"GET {self.http['status']}")
        upgrade = next((e for e in self.websocket if "websocket" in e), None)
        if upgrade is not None:
            parts.append(f"WS {upgrade['status']}")
            received = [e for e in self.websocket if "message" in e]
            if received:
                parts.append(f"{len(received)} message(s) back")
            end = next((e for e in self.websocket if "end" in e), None)
            if end is not None:
                parts.append(f"closed {end['code']}" if end["end"] == "closed" else end["end"])
        return ", ".join(parts)


def _uncaught(log: list[dict[str, str]]) -> list[str]:
    return [e["text"] for e in log if e["level"] == "uncaught" and NOT_AN_UPGRADE not in e["text"]]


def _summary(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    first = lines[0] if lines else text
    last = lines[-1] if lines else text
    return first if first == last or not first.endswith("Traceback (most recent call last):") else f"{first.split(':')[0]}: {last}"


async def check_kit_worker(host: PyodideHost, worker: KitWorker) -> KitOutcome:
    """Run the generic client against one extracted Worker on ``host``; judge the outcome."""
    spec = host.specs[worker.name]
    files = [worker_file(spec)]
    outcome = KitOutcome(worker)
    start = host.log_offset()
    loaded = await asyncio.to_thread(host.load, worker.name)
    if "error" in loaded:
        outcome.load_error = clean_stack(loaded["error"], files)
        outcome.problems.append("does not import: " + outcome.load_error.strip().splitlines()[-1])
        await asyncio.to_thread(host.flush)
        return outcome
    t = Recorder(host.base_url(worker.name), HostLog(host, start), timeout=TIMEOUT)
    try:
        response = await t.fetch("/")
        outcome.http = {"status": response.status_code, "body": response.text}
    except ScenarioError as exc:
        outcome.problems.append(f"GET /: {exc}")
    middle = await asyncio.to_thread(host.flush)
    http_log = normalise_log(host.log_entries(start, middle), files)
    t.events.clear()
    try:
        ws = None if worker.rpc_only else await t.websocket(worker.websocket_path)
        if ws is not None:
            await ws.send("hello")
            await ws.send(b"\x01\x02\x03")
            try:
                await ws.close(1000, "done")
            except ScenarioError:
                t.events.append({"end": f"no Close in answer within {TIMEOUT} s"})
    except ScenarioError as exc:
        outcome.problems.append(f"WebSocket: {exc}")
    finally:
        await t.aclose()
    outcome.websocket = list(t.events)
    end = await asyncio.to_thread(host.flush)
    ws_log = normalise_log(host.log_entries(middle, end), files)
    outcome.log = http_log + ws_log

    for text in dict.fromkeys(_summary(t) for t in _uncaught(http_log) + _uncaught(ws_log)):
        outcome.problems.append("uncaught: " + text)
    if worker.serves_websockets:
        upgrade = next((e for e in outcome.websocket if "websocket" in e), {})
        if upgrade.get("status") != 101:
            outcome.problems.append(f"WebSocket upgrade at {worker.websocket_path} answered {upgrade.get('status')}")
        elif any(e.get("end") == "dropped without a Close frame" for e in outcome.websocket):
            outcome.problems.append("the WebSocket was dropped without a Close frame")
    elif outcome.http is not None and outcome.http["status"] >= 500:
        outcome.problems.append(f"GET / answered {outcome.http['status']}")
    if worker.rpc_only and outcome.http is not None:
        for line in outcome.http["body"].splitlines():
            if ": raised " in line:
                outcome.problems.append("RPC " + line.split("(most recent call last)")[0].rstrip(": "))
    return outcome

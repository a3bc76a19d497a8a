"""Run scenarios on real Pyodide in workerd and turn each run into a JSON transcript.

    with PyodideHost(specs_for(SCENARIOS.values())) as host:
        transcript = asyncio.run(run_on_host(host, SCENARIOS["listener_plain_function"]))

A transcript (the golden files in golden/ are these, recorded from the real side):

    {"scenario": name, "rule": ..., "shows": "success" | "failure",
     "compatibility_date": ..., "compatibility_flags": [...],
     "load_error": None | the import's traceback (then the client did not run),
     "client": [...what the client observed, see transcript.py...],
     "log": [{"level": ..., "text": ...}, ...]}

To replay a scenario on wsguide: load ``wsguide_source(scenario.worker)`` (only the imports
change), serve its ``scenario.entrypoint`` with its ``DURABLE_OBJECTS``, run
``scenario.client(Recorder(base_url, log))`` with a LogSource over the server's log, and build
the same dict (``normalise_text``/``clean_stack`` with the module's file as the Worker file).
"""

from __future__ import annotations

import ast
import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .harness import PyodideHost, WorkerSpec
from .scenarios import Scenario
from .scenarios._registry import Client
from .transcript import (
    STEP_TIMEOUT,
    Recorder,
    ScenarioError,
    clean_stack,
    normalise_log,
    normalise_value,
)

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
# Where workerd's Python loader puts a Worker's files (`mountWorkerFiles`); the host does the same.
WORKER_FILES_DIR = "/session/metadata"

__all__ = [
    "GOLDEN_DIR",
    "HostLog",
    "Recording",
    "golden_path",
    "read_golden",
    "record_on_host",
    "run_on_host",
    "spec_for",
    "specs_for",
    "worker_file",
    "wsguide_source",
]

# The only change a Worker needs to run on wsguide instead (README's promise, issue 9).
WSGUIDE_MODULES = {"workers": "wsguide.workers", "js": "wsguide.js", "pyodide.ffi": "wsguide.ffi"}


def wsguide_source(source: str) -> str:
    """A Python Workers module with its runtime imports pointed at wsguide's mirrors:
    ``from workers import`` → ``from wsguide.workers import`` (same for ``js`` and
    ``pyodide.ffi``), ``import js`` → ``import wsguide.js as js``. Nothing else changes."""
    lines = source.splitlines(keepends=True)
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module in WSGUIDE_MODULES and not node.level:
            old = lines[node.lineno - 1]
            lines[node.lineno - 1] = old.replace(f"from {node.module} import", f"from {WSGUIDE_MODULES[node.module]} import", 1)
        elif isinstance(node, ast.Import) and any(a.name in WSGUIDE_MODULES for a in node.names):
            if len(node.names) != 1 or node.lineno != node.end_lineno:
                raise ValueError(f"line {node.lineno}: import one runtime module per line")
            alias = node.names[0]
            indent = lines[node.lineno - 1][: len(lines[node.lineno - 1]) - len(lines[node.lineno - 1].lstrip())]
            lines[node.lineno - 1] = f"{indent}import {WSGUIDE_MODULES[alias.name]} as {alias.asname or alias.name.split('.')[-1]}\n"
    return "".join(lines)


def spec_for(s: Scenario) -> WorkerSpec:
    return WorkerSpec(s.name, s.worker, entrypoint=s.entrypoint, compat_date=s.compat_date, flags=s.flags)


def specs_for(scenarios: Iterable[Scenario]) -> list[WorkerSpec]:
    return [spec_for(s) for s in scenarios]


def worker_file(spec: WorkerSpec) -> str:
    """The path of the Worker's source inside Pyodide (as tracebacks show it)."""
    return f"{WORKER_FILES_DIR}/{spec.module}.py"


class HostLog:
    """The :class:`~transcript.LogSource` of one scenario on a :class:`PyodideHost`."""

    def __init__(self, host: PyodideHost, start: int) -> None:
        self.host = host
        self.start = start

    async def wait_for(self, text: str, timeout: float) -> None:
        # workerd's output is read by the host's reader thread, which wakes waiters line by line.
        def shown() -> bool:
            return any(text in str(e.get("message", "")) for e in self.host.log_entries(self.start))

        if not await asyncio.to_thread(self.host.wait_until, shown, timeout):
            raise ScenarioError(f"the Worker's log did not show {text!r} within {timeout} s")


@dataclass
class Recording:
    """What one client run shows: the import's error (then the client did not run), what the
    client observed, and the Worker's log (normalised)."""

    load_error: str | None
    client: list[Any]
    log: list[dict[str, str]]


async def record_on_host(
    host: PyodideHost, name: str, client: Client, *, timeout: float = STEP_TIMEOUT
) -> Recording:
    """Import Worker ``name`` on ``host``, run ``client`` against it and record what happens."""
    spec = host.specs[name]
    files = [worker_file(spec)]
    start = host.log_offset()
    loaded = await asyncio.to_thread(host.load, name)
    recorder = Recorder(host.base_url(name), HostLog(host, start), timeout=timeout)
    load_error = None
    if "error" in loaded:
        load_error = clean_stack(loaded["error"], files)
    else:
        try:
            await client(recorder)
        except ScenarioError as exc:
            seen = "\n".join(json.dumps(e) for e in recorder.events)
            log = "\n".join(str(e.get("message", ""))[:500] for e in host.log_entries(start))
            raise ScenarioError(f"{name}: {exc}\nclient saw:\n{seen}\nworkerd printed:\n{log}") from None
        finally:
            await recorder.aclose()
    end = await asyncio.to_thread(host.flush)
    return Recording(load_error, normalise_value(recorder.events, files), normalise_log(host.log_entries(start, end), files))


async def run_on_host(host: PyodideHost, s: Scenario) -> dict[str, Any]:
    """Run one scenario on a host that serves it; return its transcript."""
    recording = await record_on_host(host, s.name, s.client)
    return {
        "scenario": s.name,
        "rule": s.rule,
        "shows": s.shows,
        "compatibility_date": s.compat_date,
        "compatibility_flags": list(s.flags),
        "load_error": recording.load_error,
        "client": recording.client,
        "log": recording.log,
    }


def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.json"


def read_golden(name: str) -> dict[str, Any]:
    return json.loads(golden_path(name).read_text(encoding="utf-8"))


def write_golden(transcript: dict[str, Any]) -> Path:
    path = golden_path(transcript["scenario"])
    path.write_text(json.dumps(transcript, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path

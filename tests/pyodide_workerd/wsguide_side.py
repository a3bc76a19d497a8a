"""Replay a boundary scenario on wsguide: the Worker with only its imports changed, the same client.

``run_on_wsguide(scenario)`` returns the transcript ``runner.run_on_host`` returns for real
Pyodide in workerd, so the two compare field by field: the client's observations, the Worker's
log (``{"level", "text"}``, the same normalisation) and the load error. Needs no workerd.
``record_on_wsguide`` / ``record_file_on_wsguide`` are the same for any Worker (a class, a
module, a Worker file as ``wsguide dev`` serves it) and client: ``runner.record_on_host``'s twin.
"""

from __future__ import annotations

import asyncio
import tempfile
import traceback
from pathlib import Path
from typing import Any

from wsguide import serve
from wsguide.core.log import LogLine, WorkerLog
from wsguide.workerfile import load_worker_module

from .runner import Recording, wsguide_source
from .scenarios import Scenario
from .scenarios._registry import Client
from .transcript import (
    Recorder,
    ScenarioError,
    clean_stack,
    normalise_text,
    normalise_value,
)

__all__ = ["WorkerLogSource", "record_file_on_wsguide", "record_on_wsguide", "run_on_wsguide", "wsguide_log"]


class WorkerLogSource:
    """The Worker's log as the client waits on it (an event per line, no polling)."""

    def __init__(self, log: WorkerLog) -> None:
        self.log = log

    async def wait_for(self, text: str, timeout: float) -> None:
        if any(text in line.text for line in self.log):
            return
        seen = asyncio.get_running_loop().create_future()

        def on_line(line: LogLine) -> None:
            if text in line.text and not seen.done():
                seen.set_result(None)

        self.log.watch(on_line)
        try:
            async with asyncio.timeout(timeout):
                await seen
        except TimeoutError:
            raise ScenarioError(f"the Worker's log did not show {text!r} within {timeout} s") from None
        finally:
            self.log.unwatch(on_line)


def wsguide_log(log: WorkerLog, worker_files: list[str]) -> list[dict[str, str]]:
    """The Worker's log as the transcripts show it: an uncaught error is level ``uncaught``."""
    out = []
    for line in log:
        if line.level == "error" and line.text.startswith("Uncaught"):
            out.append({"level": "uncaught", "text": clean_stack(line.text, worker_files)})
        else:
            out.append({"level": line.level, "text": normalise_text(line.text, worker_files)})
    return out


async def record_on_wsguide(
    worker: Any,
    client: Client,
    *,
    files: list[str],
    compatibility_date: str | None = None,
    compatibility_flags: tuple[str, ...] | list[str] = (),
    durable_objects: dict[str, type] | None = None,
) -> Recording:
    """Serve ``worker`` (a class, or a Worker module as ``wsguide dev`` serves it) on wsguide
    on 127.0.0.1, run ``client`` against it and record what happens (``files``: the Worker's
    source files, shown as ``worker.py`` in the log)."""
    log = WorkerLog(echo=None)
    async with serve(
        worker,
        compatibility_date=compatibility_date,
        compatibility_flags=compatibility_flags,
        durable_objects=durable_objects,
        persist=False,
        log=log,
        hibernate_after=False,
    ) as srv:
        recorder = Recorder(srv.url, WorkerLogSource(log))
        try:
            await client(recorder)
        finally:
            await recorder.aclose()
    return Recording(None, normalise_value(recorder.events, files), wsguide_log(log, files))


async def record_file_on_wsguide(path: Path, client: Client) -> Recording:
    """Load a Worker file and serve it as ``wsguide dev`` does (its ``DURABLE_OBJECTS``,
    ``COMPATIBILITY_*`` and ``ASSETS``), in memory and without hibernation; run ``client``."""
    module = load_worker_module(path)
    return await record_on_wsguide(
        module,
        client,
        files=[str(Path(path).resolve())],
        compatibility_date=getattr(module, "COMPATIBILITY_DATE", None),
        compatibility_flags=tuple(getattr(module, "COMPATIBILITY_FLAGS", ()) or ()),
        durable_objects=getattr(module, "DURABLE_OBJECTS", None) or None,
    )


async def run_on_wsguide(s: Scenario) -> dict[str, Any]:
    """Serve the scenario's Worker on wsguide (imports changed, nothing else) and run its client."""
    with tempfile.TemporaryDirectory(prefix=f"wsguide-{s.name}-") as tmp:
        path = Path(tmp) / "worker.py"
        path.write_text(wsguide_source(s.worker), encoding="utf-8")
        files = [str(path)]
        try:
            module = load_worker_module(path)
        except Exception as exc:  # the import fails as it does on Workers (e.g. a name workers lacks)
            load_error = clean_stack("".join(traceback.format_exception(exc)).rstrip(), files)
            return _transcript(s, Recording(load_error, [], []))
        recording = await record_on_wsguide(
            getattr(module, s.entrypoint),
            s.client,
            files=files,
            compatibility_date=s.compat_date,
            compatibility_flags=s.flags,
            durable_objects=getattr(module, "DURABLE_OBJECTS", None) or None,
        )
        return _transcript(s, recording)


def _transcript(s: Scenario, recording: Recording) -> dict[str, Any]:
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

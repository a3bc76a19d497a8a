"""Replay a boundary scenario on wsguide: the Worker with only its imports changed, the same client.

``run_on_wsguide(scenario)`` returns the transcript ``runner.run_on_host`` returns for real
Pyodide in workerd, so the two compare field by field: the client's observations, the Worker's
log (``{"level", "text"}``, the same normalisation) and the load error. Needs no workerd.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from wsguide import serve
from wsguide.core.log import LogLine, WorkerLog
from wsguide.workerfile import load_worker_module

from .runner import wsguide_source
from .scenarios import Scenario
from .transcript import Recorder, ScenarioError, clean_stack, normalise_text

__all__ = ["WorkerLogSource", "run_on_wsguide", "wsguide_log"]


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


def _normalised(value: Any, files: list[str]) -> Any:
    if isinstance(value, str):
        return normalise_text(value, files)
    if isinstance(value, list):
        return [_normalised(v, files) for v in value]
    if isinstance(value, dict):
        return {k: _normalised(v, files) for k, v in value.items()}
    return value


async def run_on_wsguide(s: Scenario) -> dict[str, Any]:
    """Serve the scenario's Worker on wsguide (imports changed, nothing else) and run its client."""
    with tempfile.TemporaryDirectory(prefix=f"wsguide-{s.name}-") as tmp:
        path = Path(tmp) / "worker.py"
        path.write_text(wsguide_source(s.worker), encoding="utf-8")
        files = [str(path)]
        log = WorkerLog(echo=None)
        load_error = None
        try:
            module = load_worker_module(path)
        except Exception as exc:  # the import fails as it does on Workers (e.g. a name workers lacks)
            import traceback

            load_error = clean_stack("".join(traceback.format_exception(exc)).rstrip(), files)
            return _transcript(s, load_error, [], [])
        durable = getattr(module, "DURABLE_OBJECTS", None) or None
        async with serve(
            getattr(module, s.entrypoint),
            compatibility_date=s.compat_date,
            compatibility_flags=s.flags,
            durable_objects=durable,
            persist=False,
            log=log,
            hibernate_after=False,
        ) as srv:
            recorder = Recorder(srv.url, WorkerLogSource(log))
            try:
                await s.client(recorder)
            finally:
                await recorder.aclose()
        return _transcript(s, load_error, _normalised(recorder.events, files), wsguide_log(log, files))


def _transcript(s: Scenario, load_error: Any, client: list[Any], log: list[Any]) -> dict[str, Any]:
    return {
        "scenario": s.name,
        "rule": s.rule,
        "shows": s.shows,
        "compatibility_date": s.compat_date,
        "compatibility_flags": list(s.flags),
        "load_error": load_error,
        "client": client,
        "log": log,
    }
